"""Fragments on the virtual clock: the store, retention, ListFragments,
GetMediaForFragmentList and GetMedia through the facade (issue 12)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import kvsim
from kvsim.media.generate import generated_fragments, generated_mkv
from kvsim.media.mkv import Cluster, Header, read_mkv, write_mkv

START = datetime(2026, 1, 1, tzinfo=UTC)


def world(retention: int = 24, **limits: Any) -> kvsim.Simulator:
    sim = kvsim.Simulator(
        seed=3, timings=kvsim.Timings(call_latency=0), limits=kvsim.Limits(**limits)
    )
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=retention)
    sim.advance(10)
    return sim


def archive(sim: kvsim.Simulator) -> Any:
    return sim.client("kinesis-video-archived-media")


def all_fragments(sim: kvsim.Simulator, **kwargs: Any) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for page in archive(sim).get_paginator("list_fragments").paginate(StreamName="cam", **kwargs):
        found += page["Fragments"]
    return found


def segments(data: bytes) -> list[tuple[Header, list[Cluster]]]:
    """Every MKV segment of a body (a new one starts where the tracks change)."""
    marker = b"\x1a\x45\xdf\xa3"
    return [read_mkv(marker + part) for part in data.split(marker)[1:]]


def clusters_of(data: bytes) -> list[Cluster]:
    return [cluster for _header, clusters in segments(data) for cluster in clusters]


# -- the store --------------------------------------------------------------------------------


def test_generated_fragments_get_increasing_47_digit_numbers_and_move_the_clock() -> None:
    sim = world()
    batch = sim.put_fragments("cam", count=50, duration=2.0)
    assert batch.count == 50
    assert sim.now == START + timedelta(seconds=10 + 100)
    listed = all_fragments(sim)
    numbers = [f["FragmentNumber"] for f in listed]
    assert len(numbers) == len(set(numbers)) == 50
    assert all(len(n) == 47 and n.isdigit() for n in numbers)
    ordered = sorted(listed, key=lambda f: int(f["FragmentNumber"]))
    assert ordered[0]["FragmentNumber"] == batch.first_fragment_number
    assert ordered[-1]["FragmentNumber"] == batch.last_fragment_number
    servers = [f["ServerTimestamp"] for f in ordered]
    assert servers == [START + timedelta(seconds=10 + 2 * i) for i in range(50)]
    assert {f["FragmentLengthInMilliseconds"] for f in ordered} == {2000}
    assert [f["ProducerTimestamp"] for f in ordered] == servers
    sim._check()


def test_list_fragments_pages_are_shuffled_the_same_way_every_run() -> None:
    def run() -> list[str]:
        sim = world()
        sim.put_fragments("cam", count=30)
        return [
            f["FragmentNumber"] for f in archive(sim).list_fragments(StreamName="cam")["Fragments"]
        ]

    first = run()
    assert first == run()
    assert first != sorted(first, key=int)  # no guaranteed order: a test must sort


def test_list_fragments_paginates_every_fragment_once() -> None:
    sim = world()
    sim.put_fragments("cam", count=25)
    client = archive(sim)
    page = client.list_fragments(StreamName="cam", MaxResults=10)
    assert len(page["Fragments"]) == 10 and "NextToken" in page
    seen = [f["FragmentNumber"] for f in page["Fragments"]]
    while "NextToken" in page:
        page = client.list_fragments(StreamName="cam", MaxResults=10, NextToken=page["NextToken"])
        seen += [f["FragmentNumber"] for f in page["Fragments"]]
    assert len(seen) == len(set(seen)) == 25
    with pytest.raises(client.exceptions.InvalidArgumentException):
        client.list_fragments(StreamName="cam", NextToken="bm90LWEtdG9rZW4=")


def test_list_fragments_by_server_and_producer_ranges_inclusive() -> None:
    sim = world()
    producer = datetime(2025, 6, 1, tzinfo=UTC)
    sim.put_fragments("cam", count=10, duration=2.0, producer_start=producer)
    client = archive(sim)

    def listed(kind: str, start: datetime, end: datetime) -> list[datetime]:
        selector = {
            "FragmentSelectorType": kind,
            "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end},
        }
        found = client.list_fragments(StreamName="cam", FragmentSelector=selector)["Fragments"]
        key = "ServerTimestamp" if kind == "SERVER_TIMESTAMP" else "ProducerTimestamp"
        return sorted(f[key] for f in found)

    t0 = START + timedelta(seconds=10)
    assert listed("SERVER_TIMESTAMP", t0 + timedelta(seconds=2), t0 + timedelta(seconds=6)) == [
        t0 + timedelta(seconds=s) for s in (2, 4, 6)
    ]
    assert listed("PRODUCER_TIMESTAMP", producer, producer + timedelta(seconds=3)) == [
        producer,
        producer + timedelta(seconds=2),
    ]
    assert listed("SERVER_TIMESTAMP", producer, producer + timedelta(seconds=60)) == []
    with pytest.raises(client.exceptions.InvalidArgumentException):
        listed("SERVER_TIMESTAMP", t0 + timedelta(seconds=5), t0)


def test_producer_time_that_goes_back_is_still_ranged_exactly() -> None:
    sim = world()
    late = datetime(2025, 6, 1, 12, tzinfo=UTC)
    early = datetime(2025, 6, 1, 6, tzinfo=UTC)
    sim.put_fragments("cam", count=5, producer_start=late)
    sim.put_fragments("cam", count=5, producer_start=early)
    selector = {
        "FragmentSelectorType": "PRODUCER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": early, "EndTimestamp": early + timedelta(seconds=4)},
    }
    found = all_fragments(sim, FragmentSelector=selector, PaginationConfig={"PageSize": 1})
    assert sorted(f["ProducerTimestamp"] for f in found) == [
        early + timedelta(seconds=s) for s in (0, 2, 4)
    ]
    sim._check()


# -- retention --------------------------------------------------------------------------------


def test_fragments_expire_in_one_batch_after_the_retention() -> None:
    sim = world(retention=1)
    sim.put_fragments("cam", count=1800, duration=2.0)  # one hour of video
    # Now is an hour after the first fragment began: it has just expired.
    assert len(all_fragments(sim)) == 1799
    [change] = [c for c in sim.pending() if c.transition == "STORED -> EXPIRED"]
    assert change.due == START + timedelta(hours=1, minutes=1)  # the minute after the first expiry
    sim.advance(60)  # readers skip what is older than the retention at once
    assert len(all_fragments(sim)) == 1799 - 30
    sim.advance(3600)
    assert all_fragments(sim) == []
    assert sim.pending() == []  # the last batch left nothing to schedule
    sim._check()


def test_lowering_retention_deletes_older_fragments_at_once() -> None:
    sim = world(retention=5)
    sim.put_fragments("cam", count=1800, duration=4.0)  # two hours
    kv = sim.client()
    version = kv.describe_stream(StreamName="cam")["StreamInfo"]["Version"]
    kv.update_data_retention(
        StreamName="cam",
        CurrentVersion=version,
        Operation="DECREASE_DATA_RETENTION",
        DataRetentionChangeInHours=4,
    )
    listed = all_fragments(sim)
    assert len(listed) == 899  # the last hour (the fragment of exactly an hour ago has gone)
    assert min(f["ServerTimestamp"] for f in listed) > sim.now - timedelta(hours=1)


def test_deleting_the_stream_makes_its_media_unreachable_at_once() -> None:
    sim = world()
    batch = sim.put_fragments("cam", count=5)
    kv = sim.client()
    kv.delete_stream(StreamARN=kv.describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"])
    client = archive(sim)
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.list_fragments(StreamName="cam")
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_media_for_fragment_list(
            StreamName="cam", Fragments=[batch.first_fragment_number]
        )


def test_retention_zero_keeps_a_five_minute_buffer_for_get_media_only() -> None:
    sim = world(retention=0)
    acks = sim.put_media("cam", generated_mkv(count=2), timecode_type="RELATIVE")
    assert [a["EventType"] for a in acks] == ["BUFFERING", "RECEIVED"] * 2  # never PERSISTED
    client = archive(sim)
    with pytest.raises(client.exceptions.NoDataRetentionException):
        client.list_fragments(StreamName="cam")
    with pytest.raises(client.exceptions.NoDataRetentionException):
        client.get_media_for_fragment_list(StreamName="cam", Fragments=[acks[0]["FragmentNumber"]])
    media = sim.client("kinesis-video-media")
    body = media.get_media(StreamName="cam", StartSelector={"StartSelectorType": "EARLIEST"})
    assert len(clusters_of(body["Payload"].read())) == 2
    sim.advance(5 * 60)
    body = media.get_media(StreamName="cam", StartSelector={"StartSelectorType": "EARLIEST"})
    assert body["Payload"].read() == b""


# -- reading media back -----------------------------------------------------------------------


def tagged_mkv(tags: list[tuple[str, str]], count: int = 3) -> tuple[Header, list[Cluster], bytes]:
    header, clusters = generated_fragments(count=count, duration=1.0, frame_rate=10, frame_size=64)
    data = b"".join(write_mkv(header, [(c, tags) for c in clusters]))
    return header, clusters, data


def test_get_media_for_fragment_list_returns_the_frames_and_tags_put_in() -> None:
    sim = world()
    header, clusters, data = tagged_mkv([("camera", "door"), ("motion", "yes")])
    acks = sim.put_media("cam", data, timecode_type="RELATIVE")
    numbers = [a["FragmentNumber"] for a in acks if a["EventType"] == "PERSISTED"]
    assert len(numbers) == 3
    client = archive(sim)
    asked = [numbers[2], numbers[0]]
    answer = client.get_media_for_fragment_list(StreamName="cam", Fragments=asked)
    assert answer["ContentType"] == "video/webm"
    [(read_header, read)] = segments(answer["Payload"].read())
    assert read_header.tracks == header.tracks
    assert [c.frames for c in read] == [clusters[2].frames, clusters[0].frames]
    listed = {f["FragmentNumber"]: f for f in all_fragments(sim)}
    for number, cluster in zip(asked, read, strict=True):
        tags = dict(cluster.tags)
        assert tags["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] == number
        server = listed[number]["ServerTimestamp"].timestamp()
        assert tags["AWS_KINESISVIDEO_SERVER_SIDE_TIMESTAMP"] == f"{server:.3f}"
        assert "AWS_KINESISVIDEO_PRODUCER_SIDE_TIMESTAMP" in tags
        assert tags["camera"] == "door" and tags["motion"] == "yes"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_media_for_fragment_list(StreamName="cam", Fragments=[numbers[0], "1" * 47])


def media_body(sim: kvsim.Simulator, **selector: Any) -> list[Cluster]:
    sim.advance(0.2)  # GetMedia: 5 calls per second per stream
    answer = sim.client("kinesis-video-media").get_media(StreamName="cam", StartSelector=selector)
    assert answer["ContentType"] == "video/webm"
    return clusters_of(answer["Payload"].read())


def test_get_media_start_selectors() -> None:
    sim = world()
    producer = datetime(2025, 6, 1, tzinfo=UTC)
    batch = sim.put_fragments("cam", count=10, duration=2.0, producer_start=producer)
    numbers = sorted((f["FragmentNumber"] for f in all_fragments(sim)), key=int)

    def got(**selector: Any) -> list[str]:
        return [
            dict(c.tags)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in media_body(sim, **selector)
        ]

    assert got(StartSelectorType="EARLIEST") == numbers
    assert got(StartSelectorType="NOW") == numbers[-1:]
    assert got(StartSelectorType="FRAGMENT_NUMBER", AfterFragmentNumber=numbers[7]) == numbers[7:]
    t0 = batch.server_start
    assert (
        got(StartSelectorType="SERVER_TIMESTAMP", StartTimestamp=t0 + timedelta(seconds=3))
        == (numbers[1:])
    )
    assert (
        got(StartSelectorType="PRODUCER_TIMESTAMP", StartTimestamp=producer + timedelta(seconds=16))
        == numbers[8:]
    )
    [last] = media_body(sim, StartSelectorType="NOW")
    tags = dict(last.tags)
    assert tags["AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"] == "0"
    assert tags["AWS_KINESISVIDEO_CONTINUATION_TOKEN"] == numbers[-1]
    first = dict(media_body(sim, StartSelectorType="EARLIEST")[0].tags)
    assert first["AWS_KINESISVIDEO_MILLIS_BEHIND_NOW"] == "18000"
    token = first["AWS_KINESISVIDEO_CONTINUATION_TOKEN"]
    assert got(StartSelectorType="CONTINUATION_TOKEN", ContinuationToken=token) == numbers[1:]
    assert got(StartSelectorType="CONTINUATION_TOKEN", ContinuationToken=numbers[-1]) == []
    with pytest.raises(kvsim.errors.ResourceNotFoundException):
        got(StartSelectorType="FRAGMENT_NUMBER", AfterFragmentNumber="1" * 47)
    # The cluster carries its fragment's producer time.
    assert media_body(sim, StartSelectorType="EARLIEST")[2].timecode_ms == round(
        (producer + timedelta(seconds=4)).timestamp() * 1000
    )


def test_get_media_is_rate_limited_per_stream() -> None:
    sim = world()
    sim.put_fragments("cam", count=1)
    media = sim.client("kinesis-video-media")
    for _ in range(5):
        media.get_media(StreamName="cam", StartSelector={"StartSelectorType": "NOW"})
    with pytest.raises(media.exceptions.ClientLimitExceededException):
        media.get_media(StreamName="cam", StartSelector={"StartSelectorType": "NOW"})


def test_fragment_points_limit_archived_reads_per_stream() -> None:
    sim = world()
    batch = sim.put_fragments("cam", count=10)
    client = archive(sim)
    for _ in range(10):
        client.list_fragments(StreamName="cam", MaxResults=1000)
    with pytest.raises(client.exceptions.ClientLimitExceededException):
        client.list_fragments(StreamName="cam", MaxResults=1)
    sim.advance(0.001)
    client.list_fragments(StreamName="cam", MaxResults=10)
    numbers = [batch.first_fragment_number] * 500
    client.get_media_for_fragment_list(StreamName="cam", Fragments=numbers)
    with pytest.raises(client.exceptions.ClientLimitExceededException):
        client.get_media_for_fragment_list(StreamName="cam", Fragments=numbers[:1])
    unlimited = world(fragment_media_points=None)
    unlimited.put_fragments("cam", count=1)
    number = archive(unlimited).list_fragments(StreamName="cam")["Fragments"][0]["FragmentNumber"]
    for _ in range(3):
        archive(unlimited).get_media_for_fragment_list(StreamName="cam", Fragments=[number] * 1000)


def test_readers_of_a_stream_without_media_or_not_active() -> None:
    sim = world()
    assert archive(sim).list_fragments(StreamName="cam")["Fragments"] == []
    assert media_body(sim, StartSelectorType="NOW") == []
    sim.client().create_stream(StreamName="new", DataRetentionInHours=1)
    with pytest.raises(kvsim.errors.ResourceNotFoundException):
        archive(sim).list_fragments(StreamName="new")
    with pytest.raises(kvsim.errors.ResourceNotFoundException):
        sim.put_fragments("new", count=1)


def test_snapshots_keep_fragments_compactly() -> None:
    sim = world(retention=1)
    sim.put_fragments("cam", count=1000)
    sim.put_media("cam", tagged_mkv([("k", "v")])[2], timecode_type="RELATIVE")
    data = sim.snapshot()
    [region] = data["regions"]
    [stored] = region["resources"]["fragments"]
    assert len(stored["media"]) == 4  # one shared generated payload, three put clusters
    assert len(stored["columns"]["server"]) < 10  # run-length encoded differences
    copy = kvsim.Simulator.restore(data)
    assert all_fragments(copy) == all_fragments(sim)
    assert sim.pending() == copy.pending()
    number = sorted(f["FragmentNumber"] for f in all_fragments(sim))[-1]
    one = archive(copy).get_media_for_fragment_list(StreamName="cam", Fragments=[number])
    two = archive(sim).get_media_for_fragment_list(StreamName="cam", Fragments=[number])
    assert one["Payload"].read() == two["Payload"].read()
    copy.advance(7200)
    assert all_fragments(copy) == []
    copy._check()
