"""GetHLSStreamingSessionURL and GetDASHStreamingSessionURL through the facade:
parameters, errors with their exact codes and statuses, URLs and tokens (issue 13)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import kvsim
from kvsim.media.generate import generated_fragments
from kvsim.media.mkv import Header, Track, write_mkv
from kvsim.services.kinesis_video_archived_media.sessions import decode_token

START = datetime(2026, 1, 1, tzinfo=UTC)
NO_FRAGMENTS = "No fragments found in the stream for the streaming request."
URL = re.compile(
    r"https://(b-[0-9a-f]{8}\.kinesisvideo\.us-east-1\.amazonaws\.com)"
    r"/(hls/v1/getHLSMasterPlaylist\.m3u8|dash/v1/getDASHManifest\.mpd)"
    r"\?SessionToken=(Ci[A-Za-z0-9_-]+~)"
)


def world(retention: int = 1, fragments: int = 10, **limits: Any) -> kvsim.Simulator:
    """A stream ``cam`` whose fragments start at 00:00:05 every 2 s; now = 5 + 2 * fragments s."""
    sim = kvsim.Simulator(
        seed=7, timings=kvsim.Timings(call_latency=0), limits=kvsim.Limits(**limits)
    )
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=retention)
    sim.advance(5)
    if fragments:
        sim.put_fragments("cam", count=fragments, duration=2.0)
    return sim


def archive(sim: kvsim.Simulator) -> Any:
    return sim.client("kinesis-video-archived-media")


def fails(call: Any, code: str, status: int, message: str | None = None, **kwargs: Any) -> str:
    """``call(**kwargs)`` fails with ``code`` and ``status`` (and ``message``); its message."""
    with pytest.raises(kvsim.ClientError) as info:
        call(**kwargs)
    error = info.value
    assert error.response["Error"]["Code"] == code
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status
    found: str = error.response["Error"]["Message"]
    if message is not None:
        assert found == message
    return found


def span(start_s: float, end_s: float | None) -> dict[str, Any]:
    value: dict[str, Any] = {"StartTimestamp": START + timedelta(seconds=start_s)}
    if end_s is not None:
        value["EndTimestamp"] = START + timedelta(seconds=end_s)
    return value


def selector(start_s: float, end_s: float | None, kind: str = "SERVER_TIMESTAMP") -> dict[str, Any]:
    return {"FragmentSelectorType": kind, "TimestampRange": span(start_s, end_s)}


# -- URLs and tokens ---------------------------------------------------------------------------


def test_live_hls_url_is_on_the_streams_b_host_with_an_aws_shaped_token() -> None:
    sim = world()
    url = archive(sim).get_hls_streaming_session_url(StreamName="cam")["HLSStreamingSessionURL"]
    found = URL.fullmatch(url)
    assert found is not None and found.group(2) == "hls/v1/getHLSMasterPlaylist.m3u8"
    endpoint = sim.client().get_data_endpoint(
        StreamName="cam", APIName="GET_HLS_STREAMING_SESSION_URL"
    )["DataEndpoint"]
    assert endpoint == f"https://{found.group(1)}"
    _secret, account, region, number, expires = decode_token(found.group(3))
    assert (account, region) == ("123456789012", "us-east-1") and 0 < number < 2**48
    assert expires == int((START + timedelta(seconds=25 + 300)).timestamp() * 1000)


def test_dash_url_and_the_b_host_drawn_before_are_the_same() -> None:
    sim = world()
    endpoint = sim.client().get_data_endpoint(StreamName="cam", APIName="GET_CLIP")["DataEndpoint"]
    url = archive(sim).get_dash_streaming_session_url(StreamName="cam", Expires=43_200)
    found = URL.fullmatch(url["DASHStreamingSessionURL"])
    assert found is not None and found.group(2) == "dash/v1/getDASHManifest.mpd"
    assert endpoint == f"https://{found.group(1)}"
    assert decode_token(found.group(3))[4] == int(
        (START + timedelta(seconds=25 + 43_200)).timestamp() * 1000
    )


def test_urls_are_deterministic_and_tokens_differ_per_session() -> None:
    first = [
        archive(sim).get_hls_streaming_session_url(StreamName="cam")["HLSStreamingSessionURL"]
        for sim in [world()]
        for _ in range(2)
    ]
    again = [
        archive(sim).get_hls_streaming_session_url(StreamName="cam")["HLSStreamingSessionURL"]
        for sim in [world()]
        for _ in range(2)
    ]
    assert first == again and first[0] != first[1]


def test_by_arn_and_every_parameter_accepted() -> None:
    sim = world()
    arn = sim.client().describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"]
    url = archive(sim).get_hls_streaming_session_url(
        StreamARN=arn,
        PlaybackMode="ON_DEMAND",
        HLSFragmentSelector=selector(0, 25, "PRODUCER_TIMESTAMP"),
        ContainerFormat="FRAGMENTED_MP4",
        DiscontinuityMode="ON_DISCONTINUITY",
        DisplayFragmentTimestamp="ALWAYS",
        Expires=900,
        MaxMediaPlaylistFragmentResults=3,
    )["HLSStreamingSessionURL"]
    assert URL.fullmatch(url)
    url = archive(sim).get_dash_streaming_session_url(
        StreamARN=arn,
        PlaybackMode="LIVE_REPLAY",
        DASHFragmentSelector=selector(0, None),
        DisplayFragmentTimestamp="ALWAYS",
        DisplayFragmentNumber="ALWAYS",
        Expires=300,
        MaxManifestFragmentResults=5000,
    )["DASHStreamingSessionURL"]
    assert URL.fullmatch(url)


# -- parameter rules ------------------------------------------------------------------------------


@pytest.mark.parametrize("protocol", ["HLS", "DASH"])
def test_selector_rules(protocol: str) -> None:
    sim = world()
    call = getattr(archive(sim), f"get_{protocol.lower()}_streaming_session_url")
    key = f"{protocol}FragmentSelector"
    fails(
        call,
        "InvalidArgumentException",
        400,
        f"{key} must not have a TimestampRange when PlaybackMode is LIVE.",
        StreamName="cam",
        **{key: selector(0, 10)},
    )
    for mode in ("ON_DEMAND", "LIVE_REPLAY"):
        message = (
            f"{key} with its FragmentSelectorType and TimestampRange is required when "
            f"PlaybackMode is {mode}."
        )
        fails(call, "InvalidArgumentException", 400, message, StreamName="cam", PlaybackMode=mode)
        fails(
            call,
            "InvalidArgumentException",
            400,
            message,
            StreamName="cam",
            PlaybackMode=mode,
            **{key: {"TimestampRange": span(0, 10)}},
        )
    fails(
        call,
        "InvalidArgumentException",
        400,
        "The TimestampRange needs an EndTimestamp when PlaybackMode is ON_DEMAND.",
        StreamName="cam",
        PlaybackMode="ON_DEMAND",
        **{key: selector(0, None)},
    )
    # A LIVE selector with only its type is fine.
    call(StreamName="cam", **{key: {"FragmentSelectorType": "PRODUCER_TIMESTAMP"}})


@pytest.mark.parametrize(
    ("start_s", "end_s", "message"),
    [
        (10, 10, "The EndTimestamp of the TimestampRange must be later than its StartTimestamp."),
        (10, 5, "The EndTimestamp of the TimestampRange must be later than its StartTimestamp."),
        (0, 86_400.001, "The TimestampRange must not span more than 24 hours."),
        (
            0,
            25.001,
            "With SERVER_TIMESTAMP, the EndTimestamp of the TimestampRange must be in the past.",
        ),
    ],
)
def test_range_rules(start_s: float, end_s: float, message: str) -> None:
    sim = world()
    fails(
        archive(sim).get_hls_streaming_session_url,
        "InvalidArgumentException",
        400,
        message,
        StreamName="cam",
        PlaybackMode="ON_DEMAND",
        HLSFragmentSelector=selector(start_s, end_s),
    )


def test_a_replay_may_not_start_in_the_future_but_producer_ranges_may_end_there() -> None:
    sim = world()
    fails(
        archive(sim).get_dash_streaming_session_url,
        "InvalidArgumentException",
        400,
        "With SERVER_TIMESTAMP, the StartTimestamp of the TimestampRange must be in the past.",
        StreamName="cam",
        PlaybackMode="LIVE_REPLAY",
        DASHFragmentSelector=selector(26, None),
    )
    archive(sim).get_hls_streaming_session_url(
        StreamName="cam",
        PlaybackMode="ON_DEMAND",
        HLSFragmentSelector=selector(0, 3600, "PRODUCER_TIMESTAMP"),
    )


@pytest.mark.parametrize(
    "extra",
    [
        {"Expires": 43_201},
        {"MaxMediaPlaylistFragmentResults": 5001},
        {"PlaybackMode": "ON-DEMAND"},
        {"ContainerFormat": "MP4"},
        {"DiscontinuityMode": "SOMETIMES"},
        {"DisplayFragmentTimestamp": "YES"},
    ],
)
def test_model_constraints_answer_invalid_argument(extra: dict[str, Any]) -> None:
    sim = world()
    message = fails(
        archive(sim).get_hls_streaming_session_url,
        "InvalidArgumentException",
        400,
        StreamName="cam",
        **extra,
    )
    assert message.startswith("1 validation error detected: Value ")


def test_below_the_models_minimum_is_botocores_error() -> None:
    sim = world()
    with pytest.raises(kvsim.ParamValidationError, match="MaxManifestFragmentResults, value: 0"):
        archive(sim).get_dash_streaming_session_url(StreamName="cam", MaxManifestFragmentResults=0)
    with pytest.raises(kvsim.ParamValidationError, match="parameter Expires, value: 299"):
        archive(sim).get_hls_streaming_session_url(StreamName="cam", Expires=299)


# -- the stream and its fragments ----------------------------------------------------------------------


def test_stream_errors() -> None:
    sim = world()
    fails(
        archive(sim).get_hls_streaming_session_url,
        "ResourceNotFoundException",
        404,
        "The requested stream is not found or not active.",
        StreamName="nope",
    )
    fails(
        archive(sim).get_hls_streaming_session_url,
        "InvalidArgumentException",
        400,
        "Either StreamName or StreamARN must be specified.",
    )
    sim.client().create_stream(StreamName="buffer")  # retention 0
    sim.advance(5)
    fails(
        archive(sim).get_dash_streaming_session_url,
        "NoDataRetentionException",
        400,
        "The stream buffer does not retain data (DataRetentionInHours is 0).",
        StreamName="buffer",
    )


def test_no_fragments() -> None:
    sim = world(fragments=0)
    for call in (
        archive(sim).get_hls_streaming_session_url,
        archive(sim).get_dash_streaming_session_url,
    ):
        fails(call, "ResourceNotFoundException", 404, NO_FRAGMENTS, StreamName="cam")
    sim = world()
    fails(
        archive(sim).get_hls_streaming_session_url,
        "ResourceNotFoundException",
        404,
        NO_FRAGMENTS,
        StreamName="cam",
        PlaybackMode="ON_DEMAND",
        HLSFragmentSelector=selector(0, 4.999),
    )
    fails(
        archive(sim).get_dash_streaming_session_url,
        "ResourceNotFoundException",
        404,
        NO_FRAGMENTS,
        StreamName="cam",
        PlaybackMode="LIVE_REPLAY",
        DASHFragmentSelector=selector(23.001, None),
    )


def test_live_needs_a_fragment_from_the_last_30_seconds() -> None:
    sim = world()  # the newest fragment started at 00:00:23
    sim.advance(30 - 2)  # now 00:00:53
    archive(sim).get_hls_streaming_session_url(StreamName="cam")
    sim.advance(0.001)
    fails(
        archive(sim).get_hls_streaming_session_url,
        "ResourceNotFoundException",
        404,
        NO_FRAGMENTS,
        StreamName="cam",
    )
    # The archive is still there for ON_DEMAND.
    archive(sim).get_hls_streaming_session_url(
        StreamName="cam", PlaybackMode="ON_DEMAND", HLSFragmentSelector=selector(0, 50)
    )


def _put_header(sim: kvsim.Simulator, track: Track) -> None:
    _, clusters = generated_fragments(count=2, duration=1.0, frame_rate=5, frame_size=16)
    data = b"".join(write_mkv(Header(1_000_000, (track,)), [(c, ()) for c in clusters]))
    sim.put_media("cam", data, timecode_type="RELATIVE")


@pytest.mark.parametrize(
    ("track", "code", "message"),
    [
        (
            Track(1, 1, "video", "V_MPEG4/ISO/AVC", None),
            "MissingCodecPrivateDataException",
            "Missing codec private data in fragment for track 1.",
        ),
        (
            Track(1, 1, "video", "V_MPEG4/ISO/AVC", b"\x00\x01\x02"),
            "InvalidCodecPrivateDataException",
            None,
        ),
        (Track(1, 1, "video", "V_VP8", b"\x01"), "UnsupportedStreamMediaTypeException", None),
    ],
)
def test_codec_errors(track: Track, code: str, message: str | None) -> None:
    sim = world(fragments=0)
    _put_header(sim, track)
    for call in (
        archive(sim).get_hls_streaming_session_url,
        archive(sim).get_dash_streaming_session_url,
    ):
        fails(call, code, 400, message, StreamName="cam")


def test_the_stream_rate_is_25_calls_a_second() -> None:
    sim = world()
    for _ in range(25):
        archive(sim).get_hls_streaming_session_url(StreamName="cam")
    fails(
        archive(sim).get_hls_streaming_session_url,
        "ClientLimitExceededException",
        400,
        "Limit exceeded on number of requests for GetHLSStreamingSessionURL API for resource 'cam'",
        StreamName="cam",
    )
    archive(sim).get_dash_streaming_session_url(StreamName="cam")  # a bucket of its own
    sim.advance(0.04)
    archive(sim).get_hls_streaming_session_url(StreamName="cam")


def test_a_failed_call_makes_no_session_and_takes_no_token() -> None:
    sim = world()
    fails(
        archive(sim).get_hls_streaming_session_url,
        "InvalidArgumentException",
        400,
        StreamName="cam",
        PlaybackMode="ON_DEMAND",
    )
    url = archive(sim).get_hls_streaming_session_url(StreamName="cam")["HLSStreamingSessionURL"]
    # The same draws as a world that never saw the failed call.
    clean = world()
    assert (
        url
        == archive(clean).get_hls_streaming_session_url(StreamName="cam")["HLSStreamingSessionURL"]
    )
