"""GetImages (issue 13 §4): samples, pictures, sizes, formats, pages, errors and points,
through the facade and a real boto3 client, with real H.264 from ``h264_test_video``."""

from __future__ import annotations

import base64
import functools
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kvsim
from kvsim.media.testvideo import h264_test_video

av = pytest.importorskip("av")

PRODUCER = datetime(2025, 6, 1, tzinfo=UTC)
SECOND = timedelta(seconds=1)


@functools.cache
def video() -> bytes:
    # 4 fragments of 1 s, 10 frames a second, a keyframe at each fragment's start.
    return h264_test_video(duration=4.0, width=160, height=90)


def world(retention: int = 24, **limits: Any) -> kvsim.Simulator:
    sim = kvsim.Simulator(
        seed=7, timings=kvsim.Timings(call_latency=0), limits=kvsim.Limits(**limits)
    )
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=retention)
    sim.advance(10)
    return sim


def filmed(**limits: Any) -> tuple[kvsim.Simulator, datetime]:
    """A stream with the 4 s video at producer time PRODUCER; the server start time."""
    sim = world(**limits)
    server = sim.now
    acks = sim.put_media("cam", video(), timecode_type="RELATIVE", producer_start=PRODUCER)
    assert [a["EventType"] for a in acks].count("PERSISTED") == 4
    return sim, server


def decode(data: str, image_format: str = "JPEG") -> Any:
    codec = av.CodecContext.create("mjpeg" if image_format == "JPEG" else "png", "r")
    (picture,) = codec.decode(av.Packet(base64.b64decode(data)))
    return picture


def request(**overrides: Any) -> dict[str, Any]:
    params: dict[str, Any] = {
        "StreamName": "cam",
        "ImageSelectorType": "PRODUCER_TIMESTAMP",
        "StartTimestamp": PRODUCER - SECOND,
        "EndTimestamp": PRODUCER + 5 * SECOND,
        "SamplingInterval": 500,
        "Format": "JPEG",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v is not None}


def error_of(call: Any, **params: Any) -> tuple[str, int, str]:
    with pytest.raises(kvsim.errors.ClientError) as info:
        call(**params)
    response = info.value.response
    return (
        response["Error"]["Code"],
        response["ResponseMetadata"]["HTTPStatusCode"],
        response["Error"]["Message"],
    )


def test_a_sample_takes_the_keyframe_at_or_before_it_and_no_media_outside() -> None:
    sim, _server = filmed()
    archive = sim.client("kinesis-video-archived-media")
    answer = archive.get_images(**request(WidthPixels=80))
    images = answer["Images"]
    assert "NextToken" not in answer
    assert [i["TimeStamp"] for i in images] == [PRODUCER + k * SECOND / 2 for k in range(-2, 11)]
    assert [i.get("Error") for i in images] == ["NO_MEDIA"] * 2 + [None] * 8 + ["NO_MEDIA"] * 3
    contents = [i["ImageContent"] for i in images[2:10]]
    # Samples 0.5 s into a fragment show its keyframe, the picture at its start.
    assert contents[0] == contents[1] and contents[2] == contents[3]
    assert len(set(contents)) == 4
    for content in contents:
        picture = decode(content)
        assert (picture.width, picture.height) == (80, 45)
    assert all(set(i) in ({"TimeStamp", "Error"}, {"TimeStamp", "ImageContent"}) for i in images)


def test_server_timestamps_select_by_arrival() -> None:
    sim, server = filmed()
    archive = sim.client("kinesis-video-archived-media")
    images = archive.get_images(
        **request(
            ImageSelectorType="SERVER_TIMESTAMP",
            StartTimestamp=server,
            EndTimestamp=server + 4 * SECOND,
            SamplingInterval=1000,
        )
    )["Images"]
    assert [i["TimeStamp"] for i in images] == [server + k * SECOND for k in range(5)]
    assert [i.get("Error") for i in images] == [None] * 4 + ["NO_MEDIA"]
    # By producer time, the same instants hold nothing.
    by_producer = archive.get_images(
        **request(StartTimestamp=server, EndTimestamp=server + 4 * SECOND, SamplingInterval=1000)
    )["Images"]
    assert {i["Error"] for i in by_producer} == {"NO_MEDIA"}


def test_a_range_shorter_than_the_interval_gives_the_image_at_its_start() -> None:
    sim, _server = filmed()
    archive = sim.client("kinesis-video-archived-media")
    images = archive.get_images(
        **request(
            StartTimestamp=PRODUCER + SECOND,
            EndTimestamp=PRODUCER + 1.1 * SECOND,
            SamplingInterval=3000,
        )
    )["Images"]
    assert [i["TimeStamp"] for i in images] == [PRODUCER + SECOND]
    assert "ImageContent" in images[0]
    # SamplingInterval defaults to 1000 ms (kvsim rule).
    default = archive.get_images(**request(SamplingInterval=None))["Images"]
    assert [i["TimeStamp"] for i in default] == [PRODUCER + k * SECOND for k in range(-1, 6)]


@pytest.mark.parametrize(
    ("width", "height", "size"),
    [
        (None, None, (160, 90)),
        (80, None, (80, 45)),
        (None, 30, (53, 30)),
        (100, 100, (100, 100)),
        (320, 180, (320, 180)),
    ],
)
@pytest.mark.parametrize("image_format", ["JPEG", "PNG"])
def test_sizes_and_formats(
    image_format: str, width: int | None, height: int | None, size: tuple[int, int]
) -> None:
    sim, _server = filmed()
    archive = sim.client("kinesis-video-archived-media")
    (image,) = archive.get_images(
        **request(
            StartTimestamp=PRODUCER,
            EndTimestamp=PRODUCER,
            Format=image_format,
            WidthPixels=width,
            HeightPixels=height,
        )
    )["Images"]
    raw = base64.b64decode(image["ImageContent"])
    assert raw[:4] == (b"\xff\xd8\xff\xdb" if image_format == "JPEG" else b"\x89PNG")
    picture = decode(image["ImageContent"], image_format)
    assert (picture.width, picture.height) == size


def test_jpeg_quality_and_same_bytes_every_time() -> None:
    sim, _server = filmed()
    archive = sim.client("kinesis-video-archived-media")

    def one(**config: Any) -> bytes:
        (image,) = archive.get_images(
            **request(StartTimestamp=PRODUCER, EndTimestamp=PRODUCER, **config)
        )["Images"]
        return base64.b64decode(image["ImageContent"])

    best, worst, default = (
        one(FormatConfig={"JPEGQuality": "100"}),
        one(FormatConfig={"JPEGQuality": "1"}),
        one(),
    )
    assert len(best) > len(default) > len(worst)
    assert one(FormatConfig={"JPEGQuality": "80"}) == default
    other, _ = filmed()
    (image,) = other.client("kinesis-video-archived-media").get_images(
        **request(StartTimestamp=PRODUCER, EndTimestamp=PRODUCER)
    )["Images"]
    assert base64.b64decode(image["ImageContent"]) == default


def test_generated_filler_fragments_are_media_errors() -> None:
    sim = world()
    batch = sim.put_fragments("cam", count=2, duration=2.0, producer_start=PRODUCER)
    assert batch.count == 2
    archive = sim.client("kinesis-video-archived-media")
    images = archive.get_images(**request(SamplingInterval=1000))["Images"]
    assert [i.get("Error") for i in images] == ["NO_MEDIA"] + ["MEDIA_ERROR"] * 4 + ["NO_MEDIA"] * 2
    # ... and audio-only media too: no H.264 track.
    audio_only = world()
    from kvsim.media.mkv import Cluster, Frame, Header, Track, write_mkv

    header = Header(1_000_000, (Track(1, 1, "audio", "A_AAC", b"\x11\x90"),))
    frames = tuple(Frame(1, t, True, b"\x00" * 8) for t in range(0, 1000, 100))
    clusters = [(Cluster(0, frames, (), 0), ()), (Cluster(1000, frames, (), 0), ())]
    mkv = b"".join(write_mkv(header, clusters))
    audio_only.put_media("cam", mkv, timecode_type="RELATIVE", producer_start=PRODUCER)
    found = audio_only.client("kinesis-video-archived-media").get_images(
        **request(StartTimestamp=PRODUCER, EndTimestamp=PRODUCER + SECOND)
    )["Images"]
    assert [i["Error"] for i in found] == ["MEDIA_ERROR"] * 3


def test_pages_of_at_most_25_with_a_token_bound_to_the_request() -> None:
    sim, _server = filmed()
    archive = sim.client("kinesis-video-archived-media")
    params = request(
        StartTimestamp=PRODUCER - 60 * SECOND, EndTimestamp=PRODUCER, SamplingInterval=1000
    )
    pages = []
    token = None
    while True:
        answer = archive.get_images(**params, **({"NextToken": token} if token else {}))
        pages.append(answer["Images"])
        token = answer.get("NextToken")
        if token is None:
            break
    assert [len(p) for p in pages] == [25, 25, 11]
    times = [i["TimeStamp"] for p in pages for i in p]
    assert times == [PRODUCER - (60 - k) * SECOND for k in range(61)]
    assert [i.get("Error") for p in pages for i in p][-1] is None
    assert [len(p["Images"]) for p in archive.get_paginator("get_images").paginate(**params)] == [
        25,
        25,
        11,
    ]
    ten = archive.get_paginator("get_images").paginate(**params, PaginationConfig={"PageSize": 10})
    assert [len(p["Images"]) for p in ten] == [10] * 6 + [1]
    hundred = archive.get_images(**params, MaxResults=100)
    assert len(hundred["Images"]) == 25 and "NextToken" in hundred
    first = archive.get_images(**params)["NextToken"]
    # The token belongs to this request: another range, format or stream refuses it.
    for changed in (
        {"EndTimestamp": PRODUCER + SECOND},
        {"Format": "PNG"},
        {"SamplingInterval": 2000},
        {"WidthPixels": 10},
        {"ImageSelectorType": "SERVER_TIMESTAMP"},
    ):
        code, status, message = error_of(archive.get_images, **params | changed, NextToken=first)
        assert (code, status) == ("InvalidArgumentException", 400)
        assert message == f"The NextToken {first[:100]} is not valid."
    assert error_of(archive.get_images, **params, NextToken="bm9wZQ==")[:2] == (
        "InvalidArgumentException",
        400,
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            {"EndTimestamp": PRODUCER - 2 * SECOND},
            "The EndTimestamp must not be before the StartTimestamp.",
        ),
        (
            {"EndTimestamp": PRODUCER + 299.001 * SECOND},
            "The range from StartTimestamp to EndTimestamp must be at most 300 seconds.",
        ),
        ({"SamplingInterval": 199}, "The SamplingInterval must be at least 200 ms, got 199."),
        (
            {"Format": "PNG", "FormatConfig": {"JPEGQuality": "50"}},
            "FormatConfig JPEGQuality applies to the JPEG format only, not PNG.",
        ),
        (
            {"FormatConfig": {"JPEGQuality": "0"}},
            "FormatConfig JPEGQuality must be an integer from 1 to 100, got '0'.",
        ),
        (
            {"FormatConfig": {"JPEGQuality": "high"}},
            "FormatConfig JPEGQuality must be an integer from 1 to 100, got 'high'.",
        ),
    ],
)
def test_invalid_arguments_change_nothing(overrides: dict[str, Any], message: str) -> None:
    sim, _server = filmed()
    archive = sim.client("kinesis-video-archived-media")
    before = sim._dump()
    assert error_of(archive.get_images, **request(**overrides)) == (
        "InvalidArgumentException",
        400,
        message,
    )
    assert sim._dump() == before


def test_the_longest_range_is_300_seconds() -> None:
    sim, _server = filmed()
    archive = sim.client("kinesis-video-archived-media")
    pages = archive.get_paginator("get_images").paginate(
        **request(EndTimestamp=PRODUCER + 299 * SECOND, SamplingInterval=10_000)
    )
    assert sum(len(p["Images"]) for p in pages) == 31


def test_stream_errors() -> None:
    sim = world(retention=0)
    archive = sim.client("kinesis-video-archived-media")
    code, status, _ = error_of(archive.get_images, **request())
    assert (code, status) == ("NoDataRetentionException", 400)
    code, status, _ = error_of(archive.get_images, **request(StreamName="nope"))
    assert (code, status) == ("ResourceNotFoundException", 404)
    # Below a minimum botocore refuses to send; above a maximum the service refuses.
    with pytest.raises(kvsim.errors.ParamValidationError, match="parameter MaxResults, value: 0"):
        archive.get_images(**request(MaxResults=0))
    for too_big in ({"MaxResults": 101}, {"WidthPixels": 3841}, {"HeightPixels": 2161}):
        code, status, _ = error_of(archive.get_images, **request(**too_big))
        assert (code, status) == ("InvalidArgumentException", 400)


def test_points_are_taken_both_or_neither() -> None:
    # 400 + 25 metadata and 25 media points a call; the media budget allows one call.
    sim, _server = filmed(fragment_metadata_points=1_425, fragment_media_points=30)
    archive = sim.client("kinesis-video-archived-media")
    archive.get_images(**request())
    code, status, message = error_of(archive.get_images, **request())
    assert (code, status) == ("ClientLimitExceededException", 400)
    assert message == "Limit exceeded on fragment media points for GetImages API for resource 'cam'"
    # The failed call took no metadata points: 1,000 are left for ListFragments.
    listed = archive.list_fragments(StreamName="cam", MaxResults=1000)
    assert len(listed["Fragments"]) == 4
    code, _, message = error_of(archive.list_fragments, StreamName="cam", MaxResults=1)
    assert message.startswith("Limit exceeded on fragment metadata points for ListFragments")
    sim.advance(1)
    assert len(archive.get_images(**request(MaxResults=5))["Images"]) == 5


def test_without_pyav_the_call_names_the_extra_and_changes_nothing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    sim, _server = filmed()
    archive = sim.client("kinesis-video-archived-media")
    before = sim._dump()
    with monkeypatch.context() as patch:
        patch.setitem(sys.modules, "av", None)
        with pytest.raises(ImportError, match=r"pip install 'kvsim\[media\]'"):
            archive.get_images(**request())
        assert sim._dump() == before
        # Nothing to render: no PyAV needed.
        empty = archive.get_images(**request(EndTimestamp=PRODUCER - 0.5 * SECOND))
        assert [i["Error"] for i in empty["Images"]] == ["NO_MEDIA"] * 2
        # Generated fragments hold filler, no coded slice: MEDIA_ERROR, known without PyAV.
        filler = world()
        filler.put_fragments("cam", count=2, duration=2.0, producer_start=PRODUCER)
        images = filler.client("kinesis-video-archived-media").get_images(
            **request(SamplingInterval=1000)
        )["Images"]
        assert [i.get("Error") for i in images] == (
            ["NO_MEDIA"] + ["MEDIA_ERROR"] * 4 + ["NO_MEDIA"] * 2
        )


@settings(max_examples=25, deadline=None)
@given(
    start=st.integers(-10_000, 8_000),
    length=st.integers(0, 30_000),
    interval=st.integers(200, 12_000),
    page=st.integers(1, 100),
)
def test_one_image_per_sample_in_time_order(
    start: int, length: int, interval: int, page: int
) -> None:
    sim, _server = cached_world()
    archive = sim.client("kinesis-video-archived-media")
    begin = PRODUCER + timedelta(milliseconds=start)
    pages = list(
        archive.get_paginator("get_images").paginate(
            **request(
                StartTimestamp=begin,
                EndTimestamp=begin + timedelta(milliseconds=length),
                SamplingInterval=interval,
                WidthPixels=16,
            ),
            PaginationConfig={"PageSize": page},
        )
    )
    times = [i["TimeStamp"] for p in pages for i in p["Images"]]
    assert times == [
        begin + timedelta(milliseconds=k * interval) for k in range(length // interval + 1)
    ]
    assert all(len(p["Images"]) <= min(page, 25) for p in pages)
    for image in (i for p in pages for i in p["Images"]):
        offset = (image["TimeStamp"] - PRODUCER) / timedelta(milliseconds=1)
        assert ("Error" in image) == (not 0 <= offset < 4000)


@functools.cache
def cached_world() -> tuple[kvsim.Simulator, datetime]:
    return filmed(throttling=False)


def test_a_boto3_client_pages_through_images() -> None:
    boto = pytest.importorskip("kvsim.boto")
    sim, _server = filmed()
    kv = boto.client(sim)
    url = kv.get_data_endpoint(StreamName="cam", APIName="GET_IMAGES")["DataEndpoint"]
    archive = boto.client(sim, "kinesis-video-archived-media", endpoint_url=url)
    pages = archive.get_paginator("get_images").paginate(
        **request(
            StartTimestamp=PRODUCER - 20 * SECOND,
            EndTimestamp=PRODUCER + 10 * SECOND,
            SamplingInterval=1000,
            Format="PNG",
            HeightPixels=45,
        )
    )
    images = [i for p in pages for i in p["Images"]]
    assert len(images) == 31
    assert [i["TimeStamp"] for i in images] == [PRODUCER + (k - 20) * SECOND for k in range(31)]
    shown = [i for i in images if "ImageContent" in i]
    assert [i["TimeStamp"] for i in shown] == [PRODUCER + k * SECOND for k in range(4)]
    picture = decode(shown[0]["ImageContent"], "PNG")
    assert (picture.width, picture.height) == (80, 45)
    code = None
    try:
        archive.get_images(**request(SamplingInterval=100))
    except Exception as error:  # botocore's ClientError
        code = (
            error.response["Error"]["Code"],  # type: ignore[attr-defined]
            error.response["ResponseMetadata"]["HTTPStatusCode"],  # type: ignore[attr-defined]
        )
    assert code == ("InvalidArgumentException", 400)


@pytest.mark.parametrize("longer_first", [True, False])
def test_a_sample_falls_in_the_latest_starting_fragment_that_holds_it(
    monkeypatch: pytest.MonkeyPatch, longer_first: bool
) -> None:
    # Overlapping producer spans (either order; the second order sends producer
    # time back): [P, P+2 s) and [P+0.5 s, P+1.5 s). At P+1.6 s only the longer
    # one holds the sample, though the shorter one started later.
    monkeypatch.setitem(sys.modules, "av", None)  # filler frames: known without decoding
    sim = world()
    spans = [(0.0, 2.0), (0.5, 1.0)] if longer_first else [(0.5, 1.0), (0.0, 2.0)]
    for offset, duration in spans:
        sim.put_fragments(
            "cam",
            count=1,
            duration=duration,
            frame_rate=1.0,
            producer_start=PRODUCER + offset * SECOND,
        )
    archive = sim.client("kinesis-video-archived-media")
    found = archive.get_images(
        **request(
            StartTimestamp=PRODUCER + 1.6 * SECOND,
            EndTimestamp=PRODUCER + 2.0 * SECOND,
            SamplingInterval=400,
        )
    )["Images"]
    assert [i["Error"] for i in found] == ["MEDIA_ERROR", "NO_MEDIA"]
