"""PutMedia in process: acknowledgements, ingestion limits, connections, and a
hypothesis property of ListFragments ranges against a plain list (issue 12)."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kvsim
from kvsim.media.generate import generated_fragments, generated_mkv
from kvsim.media.mkv import Cluster, Header, Track, write_mkv

START = datetime(2026, 1, 1, tzinfo=UTC)


def world(retention: int = 24) -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=5, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=retention)
    sim.advance(10)
    return sim


def mkv(header: Header, clusters: list[Cluster], tags: Any = ()) -> bytes:
    return b"".join(write_mkv(header, [(c, tags) for c in clusters]))


def kinds(acks: list[dict[str, Any]]) -> list[str]:
    return [a["EventType"] if a["EventType"] != "ERROR" else f"ERROR {a['ErrorId']}" for a in acks]


def test_acks_are_the_wire_objects_in_order() -> None:
    sim = world()
    start = datetime(2025, 1, 1, tzinfo=UTC)
    acks = sim.put_media(
        "cam", generated_mkv(count=2, duration=2.0), timecode_type="RELATIVE", producer_start=start
    )
    assert kinds(acks) == ["BUFFERING", "RECEIVED", "PERSISTED"] * 2
    assert [a["FragmentTimecode"] for a in acks] == [0] * 3 + [2000] * 3
    assert set(acks[0]) == {"EventType", "FragmentTimecode", "FragmentNumber"}
    assert int(acks[3]["FragmentNumber"]) > int(acks[0]["FragmentNumber"])
    listed = sim.client("kinesis-video-archived-media").list_fragments(StreamName="cam")
    assert sorted(f["ProducerTimestamp"] for f in listed["Fragments"]) == [
        start,
        start + timedelta(seconds=2),
    ]
    assert sim.now == START + timedelta(seconds=14)  # sent in real time


def test_absolute_timecodes_are_producer_epoch_milliseconds_and_chunks_may_split_anywhere() -> None:
    sim = world()
    start_ms = int(datetime(2025, 3, 1, tzinfo=UTC).timestamp() * 1000)
    data = generated_mkv(count=3, duration=1.0, start_ms=start_ms)
    acks = sim.put_media("cam", (data[i : i + 7] for i in range(0, len(data), 7)))
    assert kinds(acks) == ["BUFFERING", "RECEIVED", "PERSISTED"] * 3
    assert acks[-1]["FragmentTimecode"] == start_ms + 2000


def test_a_timecode_going_back_is_error_4004_and_the_session_goes_on() -> None:
    sim = world()
    header, clusters = generated_fragments(count=3, duration=1.0, frame_rate=5)
    swapped = [clusters[0], clusters[2], clusters[1]]
    acks = sim.put_media("cam", mkv(header, swapped), timecode_type="RELATIVE")
    assert kinds(acks) == [
        "BUFFERING", "RECEIVED", "PERSISTED",
        "BUFFERING", "RECEIVED", "PERSISTED",
        "BUFFERING", "ERROR 4004",
    ]  # fmt: skip
    assert acks[-1]["ErrorCode"] == "FRAGMENT_TIMECODE_LESSER_THAN_PREVIOUS"
    assert acks[-1]["FragmentNumber"] == acks[-2]["FragmentNumber"]
    listed = sim.client("kinesis-video-archived-media").list_fragments(StreamName="cam")
    assert len(listed["Fragments"]) == 2


def test_ingestion_limits_answer_their_error_ids() -> None:
    sim = world()
    header, [cluster] = generated_fragments(count=1, duration=1.0, frame_rate=5)
    too_many_tags = [(f"k{i}", "v") for i in range(11)]
    acks = sim.put_media("cam", mkv(header, [cluster], too_many_tags), timecode_type="RELATIVE")
    assert kinds(acks) == ["BUFFERING", "ERROR 4009"]
    short_header, [short] = generated_fragments(count=1, duration=0.5, frame_rate=10)
    acks = sim.put_media("cam", mkv(short_header, [short]), timecode_type="RELATIVE")
    assert kinds(acks) == ["BUFFERING", "ERROR 4002"]
    assert acks[-1]["ErrorCode"] == "MIN_FRAGMENT_DURATION_REACHED"
    long_header, [long] = generated_fragments(count=1, duration=21.0, frame_rate=1)
    acks = sim.put_media("cam", mkv(long_header, [long]), timecode_type="RELATIVE")
    assert (kinds(acks), acks[-1]["ErrorCode"]) == (
        ["BUFFERING", "ERROR 4002"],
        "MAX_FRAGMENT_DURATION_REACHED",
    )
    four = dataclasses.replace(
        header, tracks=tuple(Track(n, n, "video", "V_MPEG4/ISO/AVC", None) for n in range(1, 5))
    )
    assert kinds(sim.put_media("cam", mkv(four, [cluster]))) == ["ERROR 4012"]
    two_tracks = dataclasses.replace(
        header, tracks=(*header.tracks, Track(2, 2, "audio", "A_AAC", None))
    )
    acks = sim.put_media("cam", mkv(two_tracks, [cluster]), timecode_type="RELATIVE")
    assert kinds(acks) == ["BUFFERING", "ERROR 4011"]
    assert kinds(sim.put_media("cam", b"\x1a\x45\xdf\xa3 not mkv")) == ["ERROR 4006"]
    sim._check()


def test_one_connection_per_stream_and_five_per_second() -> None:
    sim = world()
    session = sim.put_media_session("cam")
    with pytest.raises(kvsim.errors.ClientError) as info:
        sim.put_media("cam", generated_mkv(count=1))
    assert info.value.response["Error"]["Code"] == "ConnectionLimitExceededException"
    assert info.value.operation_name == "PutMedia"
    assert session.close() == []
    for _ in range(4):  # the refused connection took no token: 5 in this second
        sim.put_media_session("cam").close()
    with pytest.raises(kvsim.errors.ClientLimitExceededException):
        sim.put_media_session("cam")
    with pytest.raises(kvsim.errors.ResourceNotFoundException):
        sim.put_media("nope", generated_mkv(count=1))


def test_deleting_the_stream_mid_session_is_error_4008() -> None:
    sim = world()
    session = sim.put_media_session("cam", timecode_type="RELATIVE")
    data = generated_mkv(count=2, duration=1.0)
    half = len(data) // 2
    first = session.feed(data[:half])
    kv = sim.client()
    kv.delete_stream(StreamARN=kv.describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"])
    rest = session.feed(data[half:]) + session.close()
    assert kinds(first + rest)[-1] == "ERROR 4008"
    assert not session.open


@settings(max_examples=40, deadline=None)
@given(
    durations=st.lists(st.integers(1, 20), min_size=1, max_size=30),
    gaps=st.lists(st.integers(0, 5), min_size=30, max_size=30),
    window=st.tuples(st.integers(-5, 400), st.integers(0, 400)),
    page=st.integers(1, 7),
    producer=st.booleans(),
)
def test_list_fragments_ranges_match_a_plain_list(
    durations: list[int], gaps: list[int], window: tuple[int, int], page: int, producer: bool
) -> None:
    sim = world()
    model: list[tuple[int, int]] = []  # (server ms, producer ms) of every fragment
    base_ms = int(START.timestamp() * 1000)
    for i, seconds in enumerate(durations):
        sim.advance(gaps[i])
        # Each batch's producer clock starts 1000 s before the server's, or after it.
        offset = -1_000_000 if i % 2 else 500_000
        now_ms = int(sim.now.timestamp() * 1000)
        sim.put_fragments("cam", count=1, duration=seconds, producer_start=(now_ms + offset) / 1000)
        model.append((now_ms, now_ms + offset))
    start = base_ms + window[0] * 1000
    end = start + window[1] * 1000
    kind = "PRODUCER_TIMESTAMP" if producer else "SERVER_TIMESTAMP"
    column = 1 if producer else 0
    expected = sorted(row[column] for row in model if start <= row[column] <= end)
    selector = {
        "FragmentSelectorType": kind,
        "TimestampRange": {"StartTimestamp": start / 1000, "EndTimestamp": end / 1000},
    }
    pages = sim.client("kinesis-video-archived-media").get_paginator("list_fragments")
    found = [
        f
        for p in pages.paginate(
            StreamName="cam", FragmentSelector=selector, PaginationConfig={"PageSize": page}
        )
        for f in p["Fragments"]
    ]
    key = "ProducerTimestamp" if producer else "ServerTimestamp"
    assert sorted(int(f[key].timestamp() * 1000) for f in found) == expected
    assert len({f["FragmentNumber"] for f in found}) == len(found)
    sim._check()
