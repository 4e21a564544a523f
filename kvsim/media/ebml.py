"""EBML primitives: variable-size integers, element headers, typed payloads.

EBML (RFC 8794) is the binary format under Matroska. An element is an id,
a size and a payload. Ids and sizes are *variable-size integers* (vints):
the count of leading zero bits of the first byte, plus one, is the length
in bytes (1-8); the first set bit is the length marker. Ids keep their
marker (``0x1A45DFA3`` is four bytes on the wire); sizes drop it. A size
whose value bits are all ones means *unknown*: the element runs until
something that cannot be its child arrives (live producers write Segments
and Clusters that way).

>>> encode_id(0x1A45DFA3).hex()
'1a45dfa3'
>>> encode_size(127).hex(), encode_size(126).hex()
('407f', 'fe')
>>> read_element_header(bytes.fromhex("1a45dfa3a3"), 0, 5)
(440786851, 35, 5)
>>> read_element_header(element_header(0x18538067, None), 0, 12)
(408125543, None, 12)
>>> read_element_header(b"\\x1a\\x45", 0, 2) is None  # partial: come back with more bytes
True
>>> decode_uint(encode_uint(1_000_000)), decode_int(encode_int(-2)), decode_float(encode_float(0.5))
(1000000, -2, 0.5)

Every function here is O(length of what it reads or writes); none copies a
payload except the ``*_element`` encoders, which build one ``bytes``.
"""

from __future__ import annotations

import struct
from typing import Final

__all__ = [
    "MAX_SIZE",
    "UNKNOWN_SIZE",
    "Buffer",
    "EbmlError",
    "binary_element",
    "decode_float",
    "decode_int",
    "decode_string",
    "decode_uint",
    "element",
    "element_header",
    "encode_float",
    "encode_id",
    "encode_int",
    "encode_size",
    "encode_uint",
    "float_element",
    "int_element",
    "iter_children",
    "read_element_header",
    "read_id",
    "read_signed_vint",
    "read_size",
    "read_vint",
    "string_element",
    "uint_element",
]

#: What the readers accept: anything indexable to ints and sliceable to a buffer.
Buffer = bytes | bytearray | memoryview

#: The unknown-size marker, in its usual 8-byte form.
UNKNOWN_SIZE: Final = b"\x01\xff\xff\xff\xff\xff\xff\xff"
#: The largest known size an 8-byte vint holds (all ones is "unknown").
MAX_SIZE: Final = (1 << 56) - 2

_DOUBLE = struct.Struct(">d")
_SINGLE = struct.Struct(">f")


class EbmlError(ValueError):
    """Bytes that are not EBML: a vint or id of impossible length, a bad payload size."""


# -- vints --------------------------------------------------------------------------------


def read_vint(buf: Buffer, pos: int, end: int) -> tuple[int, int] | None:
    """The vint at ``buf[pos]`` as ``(value without marker, length)``; None if ``end`` comes first.

    Raises :class:`EbmlError` for a first byte of 0 (a length over 8). O(length).

    >>> read_vint(b"\\x81", 0, 1), read_vint(b"\\x40\\x02", 0, 2), read_vint(b"\\x40", 0, 1)
    ((1, 1), (2, 2), None)
    """
    if pos >= end:
        return None
    first = buf[pos]
    if first == 0:
        raise EbmlError(f"invalid variable-size integer (first byte 0x00) at offset {pos}")
    length = 9 - first.bit_length()
    if pos + length > end:
        return None
    if length == 1:
        return first & 0x7F, 1
    return int.from_bytes(buf[pos : pos + length], "big") & ((1 << (7 * length)) - 1), length


def read_signed_vint(buf: Buffer, pos: int, end: int) -> tuple[int, int] | None:
    """A signed vint (EBML lacing's size differences): the value minus half its range.

    >>> read_signed_vint(b"\\xbf", 0, 1), read_signed_vint(b"\\xc0", 0, 1), read_signed_vint(b"\\x5f\\xff", 0, 2)
    ((0, 1), (1, 1), (0, 2))
    """
    found = read_vint(buf, pos, end)
    if found is None:
        return None
    value, length = found
    return value - ((1 << (7 * length - 1)) - 1), length


def read_id(buf: Buffer, pos: int, end: int) -> tuple[int, int] | None:
    """The element id at ``buf[pos]``, marker kept, as ``(id, length)``; None if incomplete.

    Ids are 1-4 bytes, and value bits all zeros or all ones are reserved:
    either raises :class:`EbmlError` (that is how garbage shows).
    """
    if pos >= end:
        return None
    first = buf[pos]
    if first < 0x10:
        raise EbmlError(f"invalid element id (first byte 0x{first:02X}) at offset {pos}")
    length = 9 - first.bit_length()
    if pos + length > end:
        return None
    value = first if length == 1 else int.from_bytes(buf[pos : pos + length], "big")
    bits = value & ((1 << (7 * length)) - 1)
    if bits == 0 or bits == (1 << (7 * length)) - 1:
        raise EbmlError(f"reserved element id 0x{value:X} at offset {pos}")
    return value, length


def read_size(buf: Buffer, pos: int, end: int) -> tuple[int | None, int] | None:
    """An element size as ``(size, length)``, size None for *unknown*; None if incomplete."""
    found = read_vint(buf, pos, end)
    if found is None:
        return None
    value, length = found
    if value == (1 << (7 * length)) - 1:
        return None, length
    return value, length


def read_element_header(buf: Buffer, pos: int, end: int) -> tuple[int, int | None, int] | None:
    """``(id, size or None if unknown, header length)`` of the element at ``pos``.

    Works on partial buffers: None when ``buf[pos:end]`` does not yet hold the
    whole header. O(1) (at most 12 bytes read).
    """
    found = read_id(buf, pos, end)
    if found is None:
        return None
    element_id, id_length = found
    sized = read_size(buf, pos + id_length, end)
    if sized is None:
        return None
    size, size_length = sized
    return element_id, size, id_length + size_length


def encode_id(element_id: int) -> bytes:
    """The wire form of an id (its marker included). Raises ValueError for a non-id."""
    length = (element_id.bit_length() + 7) // 8
    if not 1 <= length <= 4 or 9 - (element_id >> (8 * (length - 1))).bit_length() != length:
        raise ValueError(f"0x{element_id:X} is not an EBML element id")
    return element_id.to_bytes(length, "big")


def encode_size(size: int, length: int = 0) -> bytes:
    """``size`` as a vint: the shortest form, or exactly ``length`` bytes if given.

    Raises ValueError if it does not fit (all ones is reserved for unknown).
    """
    if size < 0:
        raise ValueError(f"an element size cannot be negative, got {size}")
    if size < 127 and length <= 1:
        return bytes((0x80 | size,))
    if not length:
        length = 2
        while size >= (1 << (7 * length)) - 1:
            length += 1
    if length > 8 or size >= (1 << (7 * length)) - 1:
        raise ValueError(f"size {size} does not fit a {length}-byte EBML vint")
    return ((1 << (7 * length)) | size).to_bytes(length, "big")


# -- payloads -----------------------------------------------------------------------------


def encode_uint(value: int) -> bytes:
    """Big-endian, shortest form (one byte for 0)."""
    if value < 0:
        raise ValueError(f"an unsigned integer element cannot hold {value}")
    return value.to_bytes(max(1, (value.bit_length() + 7) // 8), "big")


def decode_uint(data: Buffer) -> int:
    """A 0-8 byte big-endian unsigned integer (0 bytes is 0)."""
    if len(data) > 8:
        raise EbmlError(f"an unsigned integer element of {len(data)} bytes (at most 8)")
    return int.from_bytes(data, "big")


def encode_int(value: int) -> bytes:
    """Big-endian two's complement, shortest form."""
    return value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big", signed=True)


def decode_int(data: Buffer) -> int:
    """A 0-8 byte big-endian signed integer."""
    if len(data) > 8:
        raise EbmlError(f"a signed integer element of {len(data)} bytes (at most 8)")
    return int.from_bytes(data, "big", signed=True)


def encode_float(value: float) -> bytes:
    """Always 8 bytes, so every float round-trips exactly."""
    return _DOUBLE.pack(value)


def decode_float(data: Buffer) -> float:
    """A 0, 4 or 8 byte IEEE float."""
    if len(data) == 8:
        value: float = _DOUBLE.unpack(data)[0]
        return value
    if len(data) == 4:
        single: float = _SINGLE.unpack(data)[0]
        return single
    if len(data) == 0:
        return 0.0
    raise EbmlError(f"a float element of {len(data)} bytes (0, 4 or 8)")


def decode_string(data: Buffer) -> str:
    """UTF-8 (ASCII strings are UTF-8 too); trailing NUL padding is dropped."""
    raw = bytes(data).rstrip(b"\x00")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EbmlError(f"a string element that is not UTF-8 ({error.reason})") from None


# -- elements ---------------------------------------------------------------------------


def element_header(element_id: int, size: int | None) -> bytes:
    """An element's id and size (``None``: unknown size, 8 bytes)."""
    return encode_id(element_id) + (UNKNOWN_SIZE if size is None else encode_size(size))


def element(element_id: int, payload: bytes) -> bytes:
    """A whole element. O(len(payload)): one join."""
    return b"".join((encode_id(element_id), encode_size(len(payload)), payload))


def uint_element(element_id: int, value: int) -> bytes:
    return element(element_id, encode_uint(value))


def int_element(element_id: int, value: int) -> bytes:
    return element(element_id, encode_int(value))


def float_element(element_id: int, value: float) -> bytes:
    return element(element_id, encode_float(value))


def string_element(element_id: int, value: str) -> bytes:
    return element(element_id, value.encode("utf-8"))


def binary_element(element_id: int, value: bytes) -> bytes:
    return element(element_id, value)


def iter_children(buf: Buffer, start: int, end: int) -> list[tuple[int, int, int]]:
    """The children of a master element whose payload is ``buf[start:end]``, all present.

    Returns ``(id, payload start, payload end)`` triples. Raises
    :class:`EbmlError` for a child of unknown size or one that runs past
    ``end``. O(number of children).

    >>> iter_children(bytes.fromhex("e78100a3820102"), 0, 7)
    [(231, 2, 3), (163, 5, 7)]
    """
    children = []
    pos = start
    while pos < end:
        head = read_element_header(buf, pos, end)
        if head is None:
            raise EbmlError(f"element header cut off at offset {pos}")
        element_id, size, header_length = head
        if size is None:
            raise EbmlError(f"element 0x{element_id:X} of unknown size inside a sized element")
        payload = pos + header_length
        pos = payload + size
        if pos > end:
            raise EbmlError(f"element 0x{element_id:X} at offset {payload} overruns its parent")
        children.append((element_id, payload, pos))
    return children
