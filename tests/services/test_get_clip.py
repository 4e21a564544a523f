"""GetClip: an MP4 of the stored fragments in a range, packaged without re-encoding."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import kvsim
import kvsim.boto
from kvsim.media.generate import generated_fragments
from kvsim.media.mkv import Header, Track, write_mkv

av = pytest.importorskip("av")
from kvsim.media.testvideo import h264_test_video  # noqa: E402  (needs PyAV)

START = datetime(2026, 1, 1, 0, 0, 10, tzinfo=UTC)


def world(**limits: Any) -> kvsim.Simulator:
    sim = kvsim.Simulator(
        seed=3, timings=kvsim.Timings(call_latency=0), limits=kvsim.Limits(**limits)
    )
    kv = sim.client()
    kv.create_stream(StreamName="cam", DataRetentionInHours=24)
    kv.create_stream(StreamName="buffer")  # retention 0
    sim.advance(10)
    return sim


def selector(start: datetime, end: datetime, kind: str = "PRODUCER_TIMESTAMP") -> dict[str, Any]:
    return {
        "FragmentSelectorType": kind,
        "TimestampRange": {"StartTimestamp": start, "EndTimestamp": end},
    }


def get_clip(sim: kvsim.Simulator, **kwargs: Any) -> dict[str, Any]:
    archive = sim.client("kinesis-video-archived-media")
    answer: dict[str, Any] = archive.get_clip(**kwargs)
    return answer


def decoded(data: bytes) -> tuple[list[float], tuple[int, int]]:
    with av.open(io.BytesIO(data)) as container:
        context = container.streams.video[0].codec_context
        size = (context.width, context.height)
        return [float(frame.time) for frame in container.decode(video=0)], size


def error_of(call: Any) -> tuple[str, int, str]:
    with pytest.raises(kvsim.errors.ClientError) as info:
        call()
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_a_clip_decodes_to_the_frames_of_the_range_from_zero() -> None:
    sim = world()
    video = h264_test_video(duration=6.0, frame_rate=10, fragment_duration=2.0)
    sim.put_media("cam", video, timecode_type="RELATIVE", producer_start=START)
    # Producer starts 10.0, 12.0, 14.0: a range from 11 s leaves out the first
    # (it began before the start) and keeps the one starting at the end (14 s).
    answer = get_clip(
        sim,
        StreamName="cam",
        ClipFragmentSelector=selector(START + timedelta(seconds=1), START + timedelta(seconds=4)),
    )
    assert answer["ContentType"] == "video/mp4"
    data = answer["Payload"].read()
    assert data[4:8] == b"ftyp" and data.count(b"moof") == 2
    times, size = decoded(data)
    assert size == (320, 240)
    assert [round(t, 3) for t in times] == [i / 10 for i in range(40)]


def test_server_timestamps_select_too_and_the_end_must_be_past() -> None:
    sim = world()
    sim.put_media(
        "cam", h264_test_video(duration=4.0, fragment_duration=2.0), timecode_type="RELATIVE"
    )
    now = sim.now
    answer = get_clip(
        sim,
        StreamARN=sim.client().describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"],
        ClipFragmentSelector=selector(now - timedelta(seconds=60), now, "SERVER_TIMESTAMP"),
    )
    assert len(decoded(answer["Payload"].read())[0]) == 40
    code, status, message = error_of(
        lambda: get_clip(
            sim,
            StreamName="cam",
            ClipFragmentSelector=selector(now, now + timedelta(seconds=1), "SERVER_TIMESTAMP"),
        )
    )
    assert (code, status) == ("InvalidArgumentException", 400)
    assert "must be in the past" in message


@pytest.mark.parametrize(
    ("end", "text"),
    [
        (START, "must be later than its StartTimestamp"),
        (START - timedelta(seconds=1), "must be later than its StartTimestamp"),
        (START + timedelta(hours=24, milliseconds=1), "more than 24 hours"),
    ],
)
def test_a_bad_range_is_an_invalid_argument(end: datetime, text: str) -> None:
    sim = world()
    sim.put_fragments("cam", count=2)
    code, status, message = error_of(
        lambda: get_clip(sim, StreamName="cam", ClipFragmentSelector=selector(START, end))
    )
    assert (code, status) == ("InvalidArgumentException", 400)
    assert text in message


def test_nothing_to_clip_and_no_retention() -> None:
    sim = world()
    sim.put_fragments("cam", count=2, producer_start=START)
    empty = selector(START + timedelta(hours=1), START + timedelta(hours=2))
    assert error_of(lambda: get_clip(sim, StreamName="cam", ClipFragmentSelector=empty)) == (
        "ResourceNotFoundException",
        404,
        "No fragments found in the stream for the streaming request.",
    )
    code, status, _ = error_of(
        lambda: get_clip(
            sim, StreamName="buffer", ClipFragmentSelector=selector(START, START + timedelta(1))
        )
    )
    assert (code, status) == ("NoDataRetentionException", 400)
    code, status, _ = error_of(
        lambda: get_clip(
            sim, StreamName="nope", ClipFragmentSelector=selector(START, START + timedelta(1))
        )
    )
    assert (code, status) == ("ResourceNotFoundException", 404)


def test_codecs_kvsim_cannot_package_are_refused() -> None:
    sim = world()
    sim.put_fragments("cam", count=1, producer_start=START, codec_id="V_MPEGH/ISO/HEVC")
    code, status, _ = error_of(
        lambda: get_clip(
            sim, StreamName="cam", ClipFragmentSelector=selector(START, START + timedelta(1))
        )
    )
    assert (code, status) == ("UnsupportedStreamMediaTypeException", 400)


def test_missing_codec_private_data_is_named() -> None:
    sim = world()
    _, clusters = generated_fragments(count=1)
    bare = Header(1_000_000, (Track(1, 1, "video", "V_MPEG4/ISO/AVC", None, None, 320, 240),))
    media = b"".join(write_mkv(bare, [(c, ()) for c in clusters]))
    sim.put_media("cam", media, timecode_type="RELATIVE", producer_start=START)
    assert error_of(
        lambda: get_clip(
            sim, StreamName="cam", ClipFragmentSelector=selector(START, START + timedelta(1))
        )
    ) == (
        "MissingCodecPrivateDataException",
        400,
        "Missing codec private data in fragment for track 1.",
    )


def test_a_clip_holds_at_most_200_fragments() -> None:
    sim = world()
    sim.put_fragments("cam", count=250, duration=1.0, frame_rate=2, producer_start=START)
    answer = get_clip(
        sim, StreamName="cam", ClipFragmentSelector=selector(START, START + timedelta(hours=1))
    )
    data = answer["Payload"].read()
    assert data.count(b"moof") == 200


def test_a_clip_stops_where_the_tracks_change() -> None:
    sim = world()
    sim.put_fragments("cam", count=3, producer_start=START)
    sim.put_fragments(
        "cam", count=2, producer_start=START + timedelta(seconds=6), frame_size=8, track_count=2
    )
    answer = get_clip(
        sim, StreamName="cam", ClipFragmentSelector=selector(START, START + timedelta(minutes=1))
    )
    assert answer["Payload"].read().count(b"moof") == 3


def test_points_are_taken_for_metadata_and_media_or_not_at_all() -> None:
    sim = world(fragment_media_points=5, fragment_metadata_points=105)
    sim.put_fragments("cam", count=6, producer_start=START)
    wide = selector(START, START + timedelta(minutes=1))
    code, status, message = error_of(
        lambda: get_clip(sim, StreamName="cam", ClipFragmentSelector=wide)
    )
    assert (code, status) == ("ClientLimitExceededException", 400)
    assert "fragment media points for GetClip" in message
    # The refused call took no metadata points: ListFragments takes 100, 5 are left.
    archive = sim.client("kinesis-video-archived-media")
    assert len(archive.list_fragments(StreamName="cam", MaxResults=100)["Fragments"]) == 6
    narrow = selector(START, START + timedelta(seconds=8))  # 5 fragments: 5 points
    assert get_clip(sim, StreamName="cam", ClipFragmentSelector=narrow)["Payload"].read()
    code, _, _ = error_of(lambda: get_clip(sim, StreamName="cam", ClipFragmentSelector=narrow))
    assert code == "ClientLimitExceededException"
    sim.advance(1)
    assert get_clip(sim, StreamName="cam", ClipFragmentSelector=narrow)["Payload"].read()


def test_through_a_real_boto3_client() -> None:
    sim = world()
    sim.put_media(
        "cam",
        h264_test_video(duration=2.0, fragment_duration=1.0),
        timecode_type="RELATIVE",
        producer_start=START,
    )
    kv = kvsim.boto.client(sim)
    url = kv.get_data_endpoint(StreamName="cam", APIName="GET_CLIP")["DataEndpoint"]
    archive = kvsim.boto.client(sim, "kinesis-video-archived-media", endpoint_url=url)
    answer = archive.get_clip(
        StreamName="cam", ClipFragmentSelector=selector(START, START + timedelta(seconds=5))
    )
    assert answer["ContentType"] == "video/mp4"
    assert answer["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert len(decoded(answer["Payload"].read())[0]) == 20
