"""kvsim.media.ebml: variable-size integers, ids, element headers on partial buffers, payloads."""

from __future__ import annotations

import math
import struct

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kvsim.media.ebml import (
    MAX_SIZE,
    UNKNOWN_SIZE,
    EbmlError,
    decode_float,
    decode_int,
    decode_string,
    decode_uint,
    element,
    element_header,
    encode_float,
    encode_id,
    encode_int,
    encode_size,
    encode_uint,
    iter_children,
    read_element_header,
    read_id,
    read_signed_vint,
    read_size,
    read_vint,
    string_element,
    uint_element,
)

MATROSKA_IDS = [
    0x1A45DFA3,  # EBML
    0x18538067,  # Segment
    0x1F43B675,  # Cluster
    0x1254C367,  # Tags
    0x2AD7B1,  # TimecodeScale
    0x63A2,  # CodecPrivate
    0xA3,  # SimpleBlock
    0xE7,  # Timecode
    0xEC,  # Void
]


# -- sizes ------------------------------------------------------------------------------


def test_sizes_known_values() -> None:
    assert encode_size(0) == b"\x80"
    assert encode_size(126) == b"\xfe"
    assert encode_size(127) == b"\x40\x7f"  # 0xFF would be "unknown"
    assert encode_size(0x3FFE) == b"\x7f\xfe"
    assert encode_size(0x3FFF) == b"\x20\x3f\xff"
    assert encode_size(5, 8) == b"\x01\x00\x00\x00\x00\x00\x00\x05"
    assert encode_size(MAX_SIZE) == b"\x01\xff\xff\xff\xff\xff\xff\xfe"


@given(st.integers(0, MAX_SIZE), st.integers(0, 8))
def test_size_round_trip_in_every_length(size: int, length: int) -> None:
    try:
        encoded = encode_size(size, length)
    except ValueError:
        assert length and size >= (1 << (7 * length)) - 1
        return
    assert not length or len(encoded) == length
    assert read_size(encoded, 0, len(encoded)) == (size, len(encoded))
    # Partial buffers: every strict prefix is "come back later".
    for cut in range(len(encoded)):
        assert read_size(encoded, 0, cut) is None


def test_size_errors() -> None:
    for bad in (-1, MAX_SIZE + 1):
        with pytest.raises(ValueError, match="size"):
            encode_size(bad)
    with pytest.raises(ValueError, match="does not fit a 1-byte"):
        encode_size(127, 1)


@pytest.mark.parametrize("length", range(1, 9))
def test_all_ones_is_the_unknown_size_in_every_length(length: int) -> None:
    marker = ((1 << (8 * length - length + 1)) - 1).to_bytes(length, "big")
    assert marker[0] == (0xFF >> (length - 1))
    assert read_size(marker, 0, length) == (None, length)
    assert UNKNOWN_SIZE == b"\x01" + b"\xff" * 7
    assert read_size(UNKNOWN_SIZE, 0, 8) == (None, 8)


def test_a_zero_first_byte_is_not_a_vint() -> None:
    with pytest.raises(EbmlError, match="first byte 0x00"):
        read_vint(b"\x00\x81", 0, 2)


def test_vints_read_at_an_offset_and_stop_at_end() -> None:
    data = b"junk\x42\x10rest"
    assert read_vint(data, 4, len(data)) == (0x210, 2)
    assert read_vint(data, 4, 5) is None
    assert read_vint(data, 10, 10) is None


@given(st.integers(-(2**20), 2**20))
def test_signed_vints(value: int) -> None:
    # EBML lacing's signed form: the vint of value + (2^(7n-1) - 1), shortest n that fits.
    length = 1
    while not -((1 << (7 * length - 1)) - 1) <= value <= (1 << (7 * length - 1)) - 1:
        length += 1
    encoded = encode_size(value + (1 << (7 * length - 1)) - 1, length)
    assert read_signed_vint(encoded, 0, len(encoded)) == (value, length)
    assert read_signed_vint(encoded, 0, len(encoded) - 1) is None


# -- ids and element headers ---------------------------------------------------------------


@pytest.mark.parametrize("element_id", MATROSKA_IDS)
def test_ids_keep_their_marker(element_id: int) -> None:
    encoded = encode_id(element_id)
    assert int.from_bytes(encoded, "big") == element_id
    assert read_id(encoded, 0, len(encoded)) == (element_id, len(encoded))


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"\x0f\xff\xff\xff\xff", "invalid element id"),  # 5 bytes long: over 4
        (b"\x00", "invalid element id"),
        (b"\xff", "reserved element id"),  # all ones
        (b"\x80", "reserved element id"),  # all zeros
        (b"\x40\x00", "reserved element id"),
        (b"\x7f\xff", "reserved element id"),
    ],
)
def test_garbage_ids(data: bytes, message: str) -> None:
    with pytest.raises(EbmlError, match=message):
        read_id(data, 0, len(data))


@pytest.mark.parametrize("element_id", [0, 0xFF00, 0x01, 0x1F, 0x2AD7B1 << 8])
def test_encode_id_refuses_non_ids(element_id: int) -> None:
    with pytest.raises(ValueError, match="is not an EBML element id"):
        encode_id(element_id)


@given(st.sampled_from(MATROSKA_IDS), st.one_of(st.none(), st.integers(0, MAX_SIZE)))
def test_element_headers_on_partial_buffers(element_id: int, size: int | None) -> None:
    head = element_header(element_id, size)
    data = b"\xec\x80" + head + b"payload"
    assert read_element_header(data, 2, len(data)) == (element_id, size, len(head))
    for cut in range(2, 2 + len(head)):
        assert read_element_header(data, 2, cut) is None
    # A memoryview reads the same (the stream reader's case).
    assert read_element_header(memoryview(data), 2, len(data)) == (element_id, size, len(head))


def test_iter_children() -> None:
    payload = uint_element(0xE7, 5) + element(0xA3, b"abc") + string_element(0x86, "V")
    assert [(i, payload[a:b]) for i, a, b in iter_children(payload, 0, len(payload))] == [
        (0xE7, b"\x05"),
        (0xA3, b"abc"),
        (0x86, b"V"),
    ]
    assert iter_children(payload, 0, 0) == []
    with pytest.raises(EbmlError, match="overruns its parent"):
        iter_children(payload, 0, len(payload) - 1)
    with pytest.raises(EbmlError, match="cut off"):
        iter_children(payload, 0, 1)
    unknown = element_header(0x1F43B675, None)
    with pytest.raises(EbmlError, match="unknown size inside a sized element"):
        iter_children(unknown, 0, len(unknown))


# -- payloads -----------------------------------------------------------------------------


@given(st.integers(0, 2**64 - 1))
def test_uints(value: int) -> None:
    encoded = encode_uint(value)
    assert len(encoded) == max(1, math.ceil(value.bit_length() / 8))
    assert decode_uint(encoded) == value


@given(st.integers(-(2**63), 2**63 - 1))
def test_ints(value: int) -> None:
    encoded = encode_int(value)
    assert len(encoded) <= 8
    assert decode_int(encoded) == value


def test_integer_edge_cases() -> None:
    assert decode_uint(b"") == 0 and decode_int(b"") == 0
    assert (
        encode_int(-1) == b"\xff" and encode_int(127) == b"\x7f" and encode_int(128) == b"\x00\x80"
    )
    with pytest.raises(ValueError, match="cannot hold -1"):
        encode_uint(-1)
    with pytest.raises(EbmlError, match="9 bytes"):
        decode_uint(bytes(9))
    with pytest.raises(EbmlError, match="9 bytes"):
        decode_int(bytes(9))


@given(st.floats(allow_nan=False))
def test_floats_round_trip_exactly(value: float) -> None:
    assert decode_float(encode_float(value)) == value


def test_float_widths() -> None:
    assert decode_float(struct.pack(">f", 44100.0)) == 44100.0
    assert decode_float(b"") == 0.0
    with pytest.raises(EbmlError, match="3 bytes"):
        decode_float(b"abc")


@given(st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00")))
def test_strings(value: str) -> None:
    encoded = string_element(0x7BA9, value)
    head = read_element_header(encoded, 0, len(encoded))
    assert head is not None
    assert decode_string(encoded[head[2] :]) == value


def test_string_padding_and_bad_utf8() -> None:
    assert decode_string(b"A_AAC\x00\x00") == "A_AAC"
    with pytest.raises(EbmlError, match="not UTF-8"):
        decode_string(b"\xff\xfe")
