"""kvsim.media.mkv: round trips, known and unknown sizes, incremental feeding, errors and ids."""

from __future__ import annotations

import ast
import dataclasses
import itertools
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kvsim.media import (
    Cluster,
    Frame,
    Header,
    MkvError,
    MkvStreamReader,
    Track,
    encode_cluster,
    generated_mkv,
    read_mkv,
    write_mkv,
)
from kvsim.media.ebml import (
    UNKNOWN_SIZE,
    element,
    element_header,
    encode_id,
    read_element_header,
    string_element,
    uint_element,
)
from kvsim.media.mkv import (
    CLUSTER,
    CUES,
    EBML,
    INFO,
    SEGMENT,
    SIMPLE_BLOCK,
    TIMECODE,
    TRACKS,
    VOID,
)

AVC = "V_MPEG4/ISO/AVC"
Tags = Sequence[tuple[str, str]]
Stream = tuple[Header, list[tuple[Cluster, Tags]]]


def one_track(number: int = 1) -> Header:
    return Header(1_000_000, (Track(number, 10 + number, "video", AVC, b"\x01\x42"),), "cam")


def frames(track: int = 1, count: int = 3, step: int = 33) -> tuple[Frame, ...]:
    return tuple(Frame(track, i * step, i == 0, bytes([i]) * 5) for i in range(count))


def written(header: Header, clusters: Sequence[tuple[Cluster, Tags]]) -> bytes:
    return b"".join(write_mkv(header, clusters))


def read_all(data: bytes, pieces: Sequence[int] = ()) -> list[Header | Cluster]:
    """Feed ``data`` cut at ``pieces`` (offsets), then close."""
    reader = MkvStreamReader()
    items: list[Header | Cluster] = []
    start = 0
    for cut in [*pieces, len(data)]:
        items += reader.feed(data[start:cut])
        start = cut
    return items + reader.close()


def without_size(cluster: Cluster) -> Cluster:
    return dataclasses.replace(cluster, size=0)


# -- rewriting a stream into the other size forms producers use ------------------------------


def _split(data: bytes) -> tuple[bytes, list[bytes]]:
    """write_mkv's output (known-size clusters) as (head up to Tracks, [Tags... + Cluster])."""
    pos = 0
    head_end = 0
    while not head_end:
        found = read_element_header(data, pos, len(data))
        assert found is not None
        element_id, size, header_length = found
        if element_id == SEGMENT:
            pos += header_length
            continue
        assert size is not None
        pos += header_length + size
        if element_id == TRACKS:
            head_end = pos
    parts: list[bytes] = []
    pending = b""
    while pos < len(data):
        found = read_element_header(data, pos, len(data))
        assert found is not None
        element_id, size, header_length = found
        assert size is not None
        end = pos + header_length + size
        if element_id == CLUSTER:
            parts.append(pending + data[pos:end])
            pending = b""
        else:
            pending += data[pos:end]
        pos = end
    return data[:head_end], parts


def unknown_size_clusters(data: bytes) -> bytes:
    """The same stream with every Cluster of unknown size (as the KVS producer SDKs write)."""
    head, parts = _split(data)
    out = [head]
    for part in parts:
        pos = 0
        found = read_element_header(part, pos, len(part))
        assert found is not None
        while found[0] != CLUSTER:
            assert found[1] is not None
            pos += found[2] + found[1]
            found = read_element_header(part, pos, len(part))
            assert found is not None
        out.append(part[:pos] + element_header(CLUSTER, None) + part[pos + found[2] :])
    return b"".join(out)


def known_size_segment(data: bytes) -> bytes:
    """The same stream with a Segment of known size."""
    segment = data.index(element_header(SEGMENT, None))
    body = data[segment + 12 :]
    return data[:segment] + element_header(SEGMENT, len(body)) + body


# -- strategies ---------------------------------------------------------------------------

texts = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=10
)
#: TimecodeScales that divide 1 ms, so ms round-trip exactly.
scales = st.sampled_from([1_000_000, 500_000, 100_000, 1_000, 1])


@st.composite
def track_lists(draw: st.DrawFn) -> tuple[Track, ...]:
    numbers = draw(st.lists(st.integers(1, 300), min_size=1, max_size=4, unique=True))
    return tuple(
        Track(
            number=number,
            uid=draw(st.integers(0, 2**64 - 1)),
            kind=draw(st.sampled_from(["video", "audio", "subtitle", "other"])),
            codec_id=draw(st.sampled_from([AVC, "A_AAC", "V_VP8", "S_TEXT/UTF8", "A_OPUS"])),
            codec_private=draw(st.none() | st.binary(max_size=12)),
            name=draw(st.none() | texts),
            pixel_width=draw(st.none() | st.integers(0, 8192)),
            pixel_height=draw(st.none() | st.integers(0, 8192)),
            sampling_frequency=draw(st.none() | st.floats(0, 192_000, allow_nan=False)),
            channels=draw(st.none() | st.integers(0, 8)),
        )
        for number in numbers
    )


@st.composite
def streams(draw: st.DrawFn) -> Stream:
    scale = draw(scales)
    header = Header(scale, draw(track_lists()), draw(st.none() | texts))
    numbers = [track.number for track in header.tracks]
    reach = 32767 * scale // 1_000_000  # a block's relative timecode: 16 signed bits of ticks
    frame = st.builds(
        Frame,
        track=st.sampled_from(numbers),
        timecode_ms=st.integers(-reach, reach),
        keyframe=st.booleans(),
        data=st.binary(max_size=20),
        duration_ms=st.none() | st.integers(0, 100_000),
    )
    cluster = st.builds(
        Cluster,
        timecode_ms=st.integers(0, 2**40),
        frames=st.lists(frame, max_size=6).map(tuple),
        tags=st.just(()),
        size=st.just(0),
    )
    tags = st.lists(st.tuples(texts, texts), max_size=3)
    return header, draw(st.lists(st.tuples(cluster, tags), max_size=4))


def check_read(
    header: Header,
    clusters: Sequence[tuple[Cluster, Tags]],
    items: list[Header | Cluster],
    *,
    unknown_sizes: bool = False,
) -> None:
    assert items[0] == header
    assert len(items) == len(clusters) + 1
    for (cluster, tags), got in zip(clusters, items[1:], strict=True):
        assert isinstance(got, Cluster)
        assert without_size(got) == dataclasses.replace(cluster, tags=tuple(tags), size=0)
        encoded = encode_cluster(cluster, tags, timecode_scale_ns=header.timecode_scale_ns)
        expected = len(encoded)
        if unknown_sizes:  # the Cluster's size field is 8 bytes instead of the shortest
            alone = encode_cluster(cluster, timecode_scale_ns=header.timecode_scale_ns)
            found = read_element_header(encoded, len(encoded) - len(alone), len(encoded))
            assert found is not None
            expected += 12 - found[2]
        assert got.size == expected


# -- round trips ----------------------------------------------------------------------------


@given(streams())
def test_round_trip(stream: Stream) -> None:
    header, clusters = stream
    data = written(header, clusters)
    read_header, read_clusters = read_mkv(data)
    check_read(header, clusters, [read_header, *read_clusters])


@given(streams(), st.data())
def test_round_trip_in_every_size_form_and_any_pieces(stream: Stream, data: st.DataObject) -> None:
    header, clusters = stream
    plain = written(header, clusters)
    for form, unknown in [
        (plain, False),
        (unknown_size_clusters(plain), True),
        (known_size_segment(plain), False),
        (known_size_segment(unknown_size_clusters(plain)), True),
    ]:
        cuts = data.draw(st.lists(st.integers(0, len(form)), max_size=8).map(sorted))
        check_read(header, clusters, read_all(form, cuts), unknown_sizes=unknown)


def test_round_trip_without_tags_matches_the_contract() -> None:
    header = one_track()
    clusters = [Cluster(1000 * k, frames(), (), 0) for k in range(3)]
    read_header, read_clusters = read_mkv(written(header, [(c, ()) for c in clusters]))
    assert read_header == header
    assert [without_size(c) for c in read_clusters] == clusters


def test_write_mkv_yields_one_chunk_for_the_head_and_one_per_cluster() -> None:
    header = one_track()
    clusters = [(Cluster(1000 * k, frames(), (), 0), [("K", str(k))]) for k in range(3)]
    chunks = list(write_mkv(header, clusters))
    assert len(chunks) == 4
    assert chunks[0].startswith(bytes.fromhex("1a45dfa3"))
    assert element_header(SEGMENT, None) in chunks[0]
    for (cluster, tags), chunk in zip(clusters, chunks[1:], strict=True):
        assert chunk == encode_cluster(cluster, tags)
        assert read_all(chunks[0] + chunk)[1] == Cluster(
            cluster.timecode_ms, cluster.frames, tuple(tags), len(chunk)
        )
    # A lazy iterable of clusters is consumed lazily.
    lazy = write_mkv(header, (pair for pair in clusters))
    assert next(lazy) == chunks[0]


def test_cluster_size_counts_the_tags_in_front_and_only_them() -> None:
    header = one_track()
    tagged = (Cluster(0, frames(), (), 0), [("AWS_KINESISVIDEO_IMAGE_GENERATION", "")])
    plain = (Cluster(2000, frames(), (), 0), ())
    data = written(header, [tagged, plain])
    _, (first, second) = read_mkv(data)
    assert first.tags == (("AWS_KINESISVIDEO_IMAGE_GENERATION", ""),) and second.tags == ()
    assert first.size == len(encode_cluster(*tagged)) > len(encode_cluster(tagged[0]))
    assert second.size == len(encode_cluster(*plain))
    assert len(data) == len(next(iter(write_mkv(header, [])))) + first.size + second.size


def test_tags_of_several_tags_elements_and_tag_elements_add_up_in_order() -> None:
    header = one_track()
    head, _ = _split(written(header, []))
    simple = [
        element(0x67C8, string_element(0x45A3, name) + string_element(0x4487, value))
        for name, value in [("a", "1"), ("b", "2"), ("c", "3")]
    ]
    tags_1 = element(0x1254C367, element(0x7373, simple[0]) + element(0x7373, simple[1]))
    # A SimpleTag without TagString (a flag such as AWS_KINESISVIDEO_IMAGE_GENERATION)
    bare = element(0x67C8, string_element(0x45A3, "flag"))
    tags_2 = element(0x1254C367, element(0x7373, element(0x63C0, b"") + simple[2] + bare))
    cluster = encode_cluster(Cluster(5, frames(), (), 0))
    [_, got] = read_all(head + tags_1 + element(VOID, b"xx") + tags_2 + cluster)
    assert isinstance(got, Cluster)
    assert got.tags == (("a", "1"), ("b", "2"), ("c", "3"), ("flag", ""))
    assert got.size == len(tags_1) + 4 + len(tags_2) + len(cluster)


@pytest.mark.parametrize("scale", [1_000_000, 1_000, 100_000])
def test_timecodes_are_scaled(scale: int) -> None:
    header = dataclasses.replace(one_track(), timecode_scale_ns=scale)
    cluster = Cluster(
        1_700_000_000_000, (Frame(1, 30, True, b"x", 33), Frame(1, -2, False, b"y")), (), 0
    )
    data = written(header, [(cluster, ())])
    ticks = 1_700_000_000_000 * 1_000_000 // scale
    assert element(TIMECODE, ticks.to_bytes((ticks.bit_length() + 7) // 8, "big")) in data
    _, [got] = read_mkv(data)
    assert without_size(got) == cluster


def test_a_scale_that_does_not_divide_a_millisecond_rounds_to_the_nearest_tick() -> None:
    header = dataclasses.replace(one_track(), timecode_scale_ns=3_000_000)  # 3 ms ticks
    cluster = Cluster(1000, (Frame(1, 4, True, b"x", 5), Frame(1, 7, False, b"y")), (), 0)
    _, [got] = read_mkv(written(header, [(cluster, ())]))
    # 1000 ms -> 333 ticks -> 999 ms; 4 ms -> 1 tick -> 3 ms; 5 -> 2 ticks -> 6; 7 -> 2 -> 6
    assert (got.timecode_ms, [(f.timecode_ms, f.duration_ms) for f in got.frames]) == (
        999,
        [(3, 6), (6, None)],
    )


# -- incremental reading ----------------------------------------------------------------------


def small_stream() -> tuple[bytes, list[Header | Cluster]]:
    header = one_track()
    clusters = [
        (Cluster(0, frames(count=2), (), 0), [("AWS_KINESISVIDEO_NOTIFICATION", "x")]),
        (Cluster(66, (Frame(1, 0, True, b"key", 33),), (), 0), ()),
    ]
    data = unknown_size_clusters(written(header, clusters))
    return data, read_all(data)


def test_split_at_every_byte_boundary() -> None:
    data, expected = small_stream()
    assert [type(item) for item in expected] == [Header, Cluster, Cluster]
    for cut in range(len(data) + 1):
        assert read_all(data, [cut]) == expected, cut


def test_byte_by_byte_returns_each_item_as_soon_as_it_is_known() -> None:
    data, expected = small_stream()
    reader = MkvStreamReader()
    when: list[tuple[int, str]] = []
    for i in range(len(data)):
        when += [(i, type(item).__name__) for item in reader.feed(data[i : i + 1])]
        assert reader.offset <= i + 1
    when += [(len(data), type(item).__name__) for item in reader.close()]
    assert [name for _, name in when] == ["Header", "Cluster", "Cluster"]
    head, _ = _split(written(one_track(), []))
    # The header once Tracks is in; an unknown-size cluster once the next one's header is in
    # (id and size: 12 bytes), the last one at close.
    assert when[0][0] == len(head) - 1
    assert when[1][0] == data.rindex(element_header(CLUSTER, None)) + 11
    assert when[2][0] == len(data)
    assert reader.header == expected[0]


def test_a_known_size_cluster_is_out_at_its_last_byte() -> None:
    header = one_track()
    data = written(header, [(Cluster(0, frames(), (), 0), ())])
    reader = MkvStreamReader()
    assert [type(i) for i in reader.feed(data[:-1])] == [Header]
    assert [type(i) for i in reader.feed(data[-1:])] == [Cluster]
    assert reader.close() == []


def test_the_header_waits_for_the_first_cluster_when_info_is_missing() -> None:
    head, _ = _split(written(one_track(), []))
    info_start = head.index(bytes.fromhex("1549a966"))
    tracks_start = head.index(bytes.fromhex("1654ae6b"))
    without_info = head[:info_start] + head[tracks_start:]
    cluster = encode_cluster(Cluster(0, frames(), (), 0))
    reader = MkvStreamReader()
    assert reader.feed(without_info) == []
    [header, got] = reader.feed(cluster)
    assert header == Header(1_000_000, one_track().tracks, None)
    assert isinstance(got, Cluster)
    assert read_all(without_info) == [header]  # or at close


def test_big_payloads_arrive_in_small_pieces_in_linear_time() -> None:
    # 4 MB of frames fed in 1 kB pieces: the reader must not rescan or recopy its buffer.
    big = bytes(range(256)) * 4096  # 1 MiB
    header = one_track()
    cluster = Cluster(0, tuple(Frame(1, i, i == 0, big) for i in range(4)), (), 0)
    data = unknown_size_clusters(written(header, [(cluster, ())]))
    items = read_all(data, range(1024, len(data), 1024))
    got = items[1]
    assert isinstance(got, Cluster) and [f.data == big for f in got.frames] == [True] * 4


def test_elements_kvsim_does_not_use_are_skipped() -> None:
    head, [part] = _split(written(one_track(), [(Cluster(0, frames(), (), 0), ())]))
    seek_head = element(0x114D9B74, element(0x4DBB, b"\x53\xab\x84\x15\x49\xa9\x66"))
    cues = element(CUES, element(0xBB, uint_element(0xB3, 0)))
    void = element(VOID, bytes(100))
    # Inside the cluster: Position, PrevSize and a Void before the blocks.
    found = read_element_header(part, 0, len(part))
    assert found is not None and found[1] is not None
    body = part[found[2] :]
    extra = uint_element(0xA7, 0) + uint_element(0xAB, 0) + element(VOID, b"")
    cluster = element(CLUSTER, body[:3] + extra + body[3:])
    segment_start = head.index(element_header(SEGMENT, None)) + 12
    data = head[:segment_start] + seek_head + void + head[segment_start:] + cluster + cues
    [header, got] = read_all(data)
    assert header == one_track()
    assert isinstance(got, Cluster) and got.frames == frames() and got.size == len(cluster)
    # An unknown-size cluster ends at Cues too.
    data = head + element_header(CLUSTER, None) + body + cues
    assert read_all(data)[1:] == [
        Cluster(0, frames(), (), len(element_header(CLUSTER, None) + body))
    ]
    # Voids at the top level, before the Segment.
    assert read_all(void + data) == read_all(data)


def test_webm_doctype_is_matroska_enough() -> None:
    data = written(one_track(), [(Cluster(0, frames(), (), 0), ())])
    webm = data.replace(
        string_element(0x4282, "matroska"), string_element(0x4282, "webm\x00\x00\x00\x00")
    )
    assert len(webm) == len(data)
    assert read_all(webm) == read_all(data)


# -- lacing and BlockGroups --------------------------------------------------------------------


def block(flags: int, payload: bytes, track: int = 1, timecode: int = 7) -> bytes:
    return element(
        SIMPLE_BLOCK,
        bytes((0x80 | track,)) + timecode.to_bytes(2, "big") + bytes((flags,)) + payload,
    )


def cluster_of(*blocks: bytes, timecode: int = 100) -> bytes:
    return element(CLUSTER, uint_element(TIMECODE, timecode) + b"".join(blocks))


def stream_of(*clusters: bytes, header: Header | None = None) -> bytes:
    return written(header or one_track(), []) + b"".join(clusters)


@pytest.mark.parametrize(
    ("flags", "laced"),
    [
        # Xiph: count-1, then each size but the last as 255s plus a remainder.
        (0x82, b"\x02" + b"\xff\x05" + b"\x03" + b"a" * 260 + b"bbb" + b"cc"),
        # Fixed-size: count-1, equal parts.
        (0x84, b"\x02" + b"aaa" + b"bbb" + b"ccc"),
        # EBML: count-1, the first size as a vint, then signed differences (0xBF is 0, 0xC0 +1,
        # 0xBE -1); the last size is what is left.
        (0x86, b"\x03" + b"\x83" + b"\xc0" + b"\xbe" + b"aaa" + b"bbbb" + b"ccc" + b"d"),
    ],
)
def test_laced_blocks_give_one_frame_each(flags: int, laced: bytes) -> None:
    [_, got] = read_all(stream_of(cluster_of(block(flags, laced))))
    assert isinstance(got, Cluster)
    parts = {
        0x82: [b"a" * 260, b"bbb", b"cc"],
        0x84: [b"aaa", b"bbb", b"ccc"],
        0x86: [b"aaa", b"bbbb", b"ccc", b"d"],
    }[flags]
    assert got.frames == tuple(Frame(1, 7, True, part) for part in parts)


@pytest.mark.parametrize(
    ("flags", "laced", "message"),
    [
        (0x82, b"", "without a frame count"),
        (0x82, b"\x02\xff", "Xiph lacing cut off"),
        (0x84, b"\x01abc", "fixed-size lacing of 3 bytes into 2 frames"),
        (0x86, b"\x02", "EBML lacing cut off"),
        (0x86, b"\x02\x82", "EBML lacing cut off"),
        (0x86, b"\x02\x81\x80xx", "negative size"),
        (0x86, b"\x01\x90ab", "overrun their block"),
    ],
)
def test_bad_lacing_is_invalid_mkv(flags: int, laced: bytes, message: str) -> None:
    with pytest.raises(MkvError, match=message) as caught:
        read_all(stream_of(cluster_of(block(flags, laced))))
    assert caught.value.error_id == 4006


def test_block_groups_carry_duration_and_keyframe_by_reference() -> None:
    def group(*children: bytes) -> bytes:
        return element(0xA0, b"".join(children))

    plain_block = element(0xA1, b"\x81\x00\x05\x00data")
    key = group(plain_block, uint_element(0x9B, 40))
    delta = group(plain_block, uint_element(0x9B, 40), element(0xFB, b"\xfe"))
    no_duration = group(plain_block, element(0xFB, b"\xfe"))
    [_, got] = read_all(stream_of(cluster_of(key, delta, no_duration)))
    assert isinstance(got, Cluster)
    assert got.frames == (
        Frame(1, 5, True, b"data", 40),
        Frame(1, 5, False, b"data", 40),
        Frame(1, 5, False, b"data", None),
    )
    with pytest.raises(MkvError, match="without a Block"):
        read_all(stream_of(cluster_of(group(uint_element(0x9B, 1)))))
    with pytest.raises(MkvError, match="two Blocks"):
        read_all(stream_of(cluster_of(group(plain_block, plain_block))))


# -- duration_ms --------------------------------------------------------------------------------


def f(track: int, timecode: int, duration: int | None = None) -> Frame:
    return Frame(track, timecode, False, b"", duration)


@pytest.mark.parametrize(
    ("cluster_frames", "duration"),
    [
        ((), 0),
        ((f(1, 5),), 0),  # one frame, no gap known
        ((f(1, 5, 40),), 40),
        ((f(1, 0), f(1, 33), f(1, 66)), 99),  # the last frame lasts the median gap
        ((f(1, 0), f(1, 33), f(1, 66, 10)), 76),  # unless it has a duration
        ((f(1, 0), f(1, 40), f(1, 50), f(1, 100)), 140),  # median_low of 40, 10, 50
        ((f(1, 0), f(1, 100), f(1, 33), f(1, 66)), 133),  # B-frames: presentation order
        ((f(1, 0, 500), f(1, 33)), 500),  # a long explicit duration wins
        ((f(1, 10), f(2, 0), f(1, 30), f(2, 20)), 50),  # two tracks, gaps 20, 20
        ((f(1, 0), f(1, 0), f(1, 20)), 40),  # equal timecodes are no gap
        ((f(1, -10), f(1, 10, 5)), 25),  # negative relative timecodes
    ],
)
def test_cluster_duration_rule(cluster_frames: tuple[Frame, ...], duration: int) -> None:
    assert Cluster(0, cluster_frames, (), 0).duration_ms == duration


@given(
    st.lists(
        st.tuples(st.integers(1, 3), st.integers(-50, 50), st.none() | st.integers(0, 60)),
        max_size=12,
    )
)
def test_cluster_duration_against_a_plain_reading_of_the_rule(
    spec: list[tuple[int, int, int | None]],
) -> None:
    cluster = Cluster(0, tuple(f(*s) for s in spec), (), 0)
    if not spec:
        assert cluster.duration_ms == 0
        return
    gaps = []
    for track in {t for t, _, _ in spec}:
        times = sorted({tc for t, tc, _ in spec if t == track})
        gaps += [b - a for a, b in itertools.pairwise(times)]
    median = sorted(gaps)[(len(gaps) - 1) // 2] if gaps else 0
    ends = []
    for track, tc, duration in spec:
        later = [x for t, x, _ in spec if t == track and x > tc]
        ends.append(tc + duration if duration is not None else min(later) if later else tc + median)
    assert cluster.duration_ms == max(ends) - min(tc for _, tc, _ in spec)


# -- errors ----------------------------------------------------------------------------------


def expect(data: bytes, error_id: int, message: str, pieces: Sequence[int] = ()) -> MkvError:
    with pytest.raises(MkvError, match=message) as caught:
        read_all(data, pieces)
    assert caught.value.error_id == error_id
    assert message in caught.value.reason and "\n" not in caught.value.reason
    return caught.value


def test_every_truncation_is_an_error_or_a_prefix() -> None:
    data = written(
        one_track(), [(Cluster(k * 100, frames(), (), 0), [("k", "v")]) for k in range(2)]
    )
    full = read_all(data)
    for form in (data, unknown_size_clusters(data), known_size_segment(data)):
        complete = read_all(form)
        for cut in range(len(form)):
            try:
                items = read_all(form[:cut])
            except MkvError as error:
                assert error.error_id == 4006
                assert any(
                    word in error.reason
                    for word in (
                        "truncated",
                        "empty stream",
                        "no Segment",
                        "no Tracks",
                        "without a Timecode",
                    )
                ), error.reason
            else:
                # A valid shorter stream: a prefix of the items (an unknown-size cluster cut
                # between its blocks is a shorter cluster; compare its start only).
                assert items[: len(items) - 1] == complete[: len(items) - 1]
                assert len(items) <= len(full)


def test_empty_and_garbage() -> None:
    expect(b"", 4006, "empty stream")
    expect(b"hello, world", 4006, "expected an EBML header")
    expect(b"\x00\x00\x00", 4006, "invalid element id")
    expect(b"\x1a\x45\xdf\xa3\x00", 4006, "invalid variable-size integer")
    expect(element(VOID, b""), 4006, "no Segment")
    assert read_all(written(one_track(), [])) == [one_track()]


def test_a_second_segment() -> None:
    data = written(one_track(), [(Cluster(0, frames(), (), 0), ())])
    error = expect(data + data, 4006, "more than one segment")
    assert f"at byte {len(data)}" in error.reason
    expect(known_size_segment(data) + data, 4006, "more than one segment")
    segment = data.index(element_header(SEGMENT, None))
    expect(known_size_segment(data) + data[segment:], 4006, "more than one segment")
    # In pieces, the same.
    expect(data + data, 4006, "more than one segment", range(0, 2 * len(data), 7))


def test_a_frame_of_an_undeclared_track_is_4010() -> None:
    header = Header(
        1_000_000, (Track(1, 1, "video", AVC, None), Track(3, 3, "audio", "A_AAC", None))
    )
    good = (Cluster(0, (*frames(1), *frames(3)), (), 0), ())
    bad = (Cluster(100, (*frames(1), Frame(2, 40, False, b"x")), (), 0), ())
    error = expect(written(header, [good, bad]), 4010, "a frame of track 2")
    assert "does not declare" in error.reason
    # The first, good cluster was handed out before the error.
    reader = MkvStreamReader()
    data = written(header, [good, bad])
    cut = len(b"".join(list(write_mkv(header, [good]))))
    assert [type(i) for i in reader.feed(data[:cut])] == [Header, Cluster]
    with pytest.raises(MkvError) as caught:
        reader.feed(data[cut:])
    assert caught.value.error_id == 4010
    # A reader that failed keeps failing, the same way.
    with pytest.raises(MkvError) as again:
        reader.feed(b"")
    assert again.value is caught.value
    with pytest.raises(MkvError):
        reader.close()


def _pieces() -> dict[str, bytes]:
    head, [part] = _split(written(one_track(), [(Cluster(0, frames(), (), 0), ())]))
    found = read_element_header(part, 0, len(part))
    assert found is not None
    segment = head.index(element_header(SEGMENT, None))
    info = head.index(encode_id(INFO))
    tracks = head.index(encode_id(TRACKS))
    return {
        "ebml": head[:segment],
        "segment": head[segment : segment + 12],
        "info": head[info:tracks],
        "tracks": head[tracks:],
        "body": part[found[2] :],  # the Cluster's payload: Timecode (3 bytes), then blocks
    }


INVALID: list[tuple[Callable[[dict[str, bytes]], bytes], str]] = [
    (
        lambda p: (
            p["ebml"] + p["segment"] + p["info"] + p["tracks"] + element(CLUSTER, p["body"][3:])
        ),
        "without a Timecode",
    ),
    (
        lambda p: p["ebml"] + p["segment"] + p["info"] + element(CLUSTER, p["body"]),
        "no Tracks before byte",
    ),
    (
        lambda p: (
            p["ebml"] + p["segment"] + p["tracks"] + element(CLUSTER, p["body"]) + p["tracks"]
        ),
        "Tracks at byte",
    ),
    (lambda p: p["ebml"] + p["segment"] + p["tracks"] + p["tracks"], "a second Tracks"),
    (lambda p: p["ebml"] + p["segment"] + p["info"] + p["info"], "a second Info"),
    (lambda p: p["ebml"] + p["segment"] + p["info"] + p["tracks"] + p["info"], "Info at byte"),
    (
        lambda p: (
            p["ebml"]
            + p["segment"]
            + p["info"]
            + p["tracks"]
            + element_header(CLUSTER, None)
            + element_header(SIMPLE_BLOCK, None)
        ),
        "unknown size in a Cluster",
    ),
    (
        lambda p: p["ebml"] + p["segment"] + p["info"] + p["tracks"] + element_header(CUES, None),
        "of unknown size at byte",
    ),
    (
        lambda p: (
            p["ebml"]
            + p["segment"]
            + p["info"]
            + p["tracks"]
            + element(CLUSTER, p["body"] + b"\xec\x85")
        ),
        "overruns its Cluster",
    ),
    (lambda p: p["ebml"].replace(b"matroska", b"matrosky") + p["segment"], "DocType 'matrosky'"),
    (lambda p: p["segment"] + p["info"], "a Segment without an EBML header"),
    (lambda p: p["ebml"] + p["ebml"], "a second EBML header"),
    (
        lambda p: (
            p["ebml"]
            + p["segment"]
            + p["info"]
            + p["tracks"]
            + element_header(CLUSTER, None)
            + b"\xe7\x81\x00\xa3\x82\x81\x00"
        ),
        "too short for its header",
    ),
    (
        lambda p: (
            p["ebml"]
            + p["segment"]
            + p["info"].replace(
                uint_element(0x2AD7B1, 1_000_000), encode_id(0x2AD7B1) + b"\x83" + bytes(3)
            )
        ),
        "TimecodeScale of 0",
    ),
    (lambda p: p["ebml"] + p["segment"] + element_header(0x1254C367, 1 << 30), "1073741824 bytes"),
    (lambda p: element_header(EBML, None), "EBML header of unknown or huge size"),
]


@pytest.mark.parametrize(("mangle", "message"), INVALID)
def test_invalid_structure_is_4006(
    mangle: Callable[[dict[str, bytes]], bytes], message: str
) -> None:
    expect(mangle(_pieces()), 4006, message)


def test_the_pieces_of_the_invalid_streams_make_a_valid_one() -> None:
    p = _pieces()
    data = p["ebml"] + p["segment"] + p["info"] + p["tracks"] + element(CLUSTER, p["body"])
    assert read_all(data)[1:] == [Cluster(0, frames(), (), len(element(CLUSTER, p["body"])))]


def test_tracks_that_cannot_be() -> None:
    def with_tracks(*entries: bytes) -> bytes:
        head, _ = _split(written(one_track(), []))
        tracks = head.index(bytes.fromhex("1654ae6b"))
        return head[:tracks] + element(TRACKS, b"".join(element(0xAE, e) for e in entries))

    number = uint_element(0xD7, 1)
    codec = string_element(0x86, AVC)
    expect(with_tracks(codec), 4006, "TrackNumber 0")
    expect(with_tracks(number), 4006, "track 1 has no CodecID")
    expect(with_tracks(number + codec, number + codec), 4006, "two tracks numbered 1")
    [header] = read_all(with_tracks(number + codec + uint_element(0x83, 3)))
    assert header == Header(1_000_000, (Track(1, 0, "other", AVC, None),), "cam")


def test_sized_elements_must_fit_the_segment() -> None:
    data = written(one_track(), [(Cluster(0, frames(), (), 0), ())])
    segment = data.index(element_header(SEGMENT, None))
    body = data[segment + 12 :]
    # A Segment one byte short of its last Cluster.
    expect(
        data[:segment] + element_header(SEGMENT, len(body) - 1) + body[:-1],
        4006,
        "overruns the Segment",
    )
    # An unknown-size Cluster ends with its known-size Segment; a block across that end is an error.
    head, [part] = _split(data)
    found = read_element_header(part, 0, len(part))
    assert found is not None
    cluster = element_header(CLUSTER, None) + part[found[2] :]
    inner = head[segment + 12 :] + cluster
    sized = data[:segment] + element_header(SEGMENT, len(inner)) + inner
    assert read_all(sized)[1:] == [Cluster(0, frames(), (), len(cluster))]
    short = data[:segment] + element_header(SEGMENT, len(inner) - 1) + inner
    expect(short, 4006, "overruns its Cluster")


def test_feed_after_close() -> None:
    reader = MkvStreamReader()
    reader.feed(written(one_track(), []))
    reader.close()
    with pytest.raises(ValueError, match="closed"):
        reader.feed(b"")


@settings(max_examples=150)
@given(st.binary(max_size=200))
def test_arbitrary_bytes_raise_only_mkv_errors(data: bytes) -> None:
    try:
        read_all(data)
    except MkvError as error:
        assert error.error_id == 4006


@given(st.data())
def test_corrupted_streams_raise_only_mkv_errors(data: st.DataObject) -> None:
    stream = generated_mkv(count=2, duration=0.1, frame_rate=30, frame_size=8, track_count=2)
    corrupted = bytearray(stream)
    for _ in range(data.draw(st.integers(1, 4))):
        corrupted[data.draw(st.integers(0, len(stream) - 1))] = data.draw(st.integers(0, 255))
    try:
        read_all(bytes(corrupted))
    except MkvError as error:
        assert error.error_id in (4006, 4010)


def test_mkv_errors_are_value_errors_with_the_id_in_the_message() -> None:
    error = MkvError(4006, "truncated")
    assert isinstance(error, ValueError)
    assert str(error) == "truncated (PutMedia error 4006)"
    import pickle

    again = pickle.loads(pickle.dumps(error))
    assert (again.error_id, again.reason) == (4006, "truncated")


# -- writing errors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "cluster", "message"),
    [
        (
            one_track(),
            Cluster(0, (Frame(1, 32768, True, b""),), (), 0),
            "a block holds -32768..32767",
        ),
        (one_track(), Cluster(0, (Frame(1, -32769, True, b""),), (), 0), "a block holds"),
        (one_track(), Cluster(-1, (), (), 0), "cluster timecode cannot be negative"),
        (
            one_track(),
            Cluster(0, (Frame(1, 0, True, b"", -1),), (), 0),
            "duration cannot be negative",
        ),
        (one_track(), Cluster(0, (Frame(0, 0, True, b""),), (), 0), "track number 0"),
        (Header(0, ()), Cluster(0, (), (), 0), "timecode_scale_ns must be at least 1"),
        (Header(1, (Track(1, 1, "video", AVC, None),) * 2), Cluster(0, (), (), 0), "repeat"),
        (Header(1, (Track(1, 1, "data", AVC, None),)), Cluster(0, (), (), 0), "kind 'data'"),
        (Header(1, (Track(0, 1, "video", AVC, None),)), Cluster(0, (), (), 0), "track number 0"),
    ],
)
def test_write_refuses_what_matroska_cannot_hold(
    header: Header, cluster: Cluster, message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        written(header, [(cluster, ())])


def test_frames_of_any_track_are_written_as_given() -> None:
    # So that tests can make the invalid streams PutMedia must refuse.
    data = written(one_track(), [(Cluster(0, (Frame(200, 0, True, b"x"),), (), 0), ())])
    assert element(SIMPLE_BLOCK, b"\x40\xc8\x00\x00\x80x") in data


# -- the package stays a standard-library leaf ------------------------------------------------


#: The modules of kvsim.media that belong to the ``media`` extra, and what each
#: may import lazily (inside a function, never at import time).
EXTRA_IMPORTS = {"testvideo.py": {"av"}, "images.py": {"av"}}


def _imports(node: ast.AST) -> list[str]:
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    if isinstance(node, ast.ImportFrom):
        return [] if node.level else [node.module or ""]
    return []


def test_media_imports_only_the_standard_library() -> None:
    """The core of kvsim.media is standard library only; the extra's modules
    import their library inside functions, so importing kvsim.media needs nothing."""
    package = Path(__file__).resolve().parents[2] / "kvsim" / "media"
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        lazy = {
            id(inner)
            for function in ast.walk(tree)
            if isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef)
            for inner in ast.walk(function)
        }
        for node in ast.walk(tree):
            for name in _imports(node):
                top = name.partition(".")[0]
                allowed = top in sys.stdlib_module_names or top == "__future__"
                if id(node) in lazy:
                    allowed = allowed or top in EXTRA_IMPORTS.get(path.name, set())
                assert allowed, f"{path.name} imports {name}"


def test_ids_used_in_these_tests() -> None:
    assert (EBML, SEGMENT, CLUSTER, UNKNOWN_SIZE[:1]) == (
        0x1A45DFA3,
        0x18538067,
        0x1F43B675,
        b"\x01",
    )
