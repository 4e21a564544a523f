"""kvsim.strategies for media: every value passes botocore's validation of the
media models and the simulator; bad options raise InvalidArgument at once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import botocore.session
import pytest
from _botocore_model import botocore_report
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import kvsim
from kvsim import strategies as kvs

BOUNDED = settings(max_examples=30, database=None, deadline=None)
_SESSION = botocore.session.get_session()


def shape(service: str, operation: str) -> Any:
    return _SESSION.get_service_model(service).operation_model(operation).input_shape


def _world(**put: Any) -> tuple[kvsim.Simulator, Any]:
    sim = kvsim.Simulator(
        timings=kvsim.Timings(call_latency=0), limits=kvsim.Limits(throttling=False)
    )
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    return sim, sim.put_fragments("cam", **put) if put else None


@BOUNDED
@given(put=kvs.put_fragments_kwargs(max_count=8, realtime=None))
def test_put_fragments_kwargs_are_taken(put: dict[str, Any]) -> None:
    sim, batch = _world(**put)
    assert batch.count == put["count"]
    sim.advance(put["count"] * put["duration"])  # a realtime producer's fragments all arrive
    listed = sim.client("kinesis-video-archived-media").list_fragments(StreamName="cam")
    assert len(listed["Fragments"]) == put["count"]
    assert {f["FragmentLengthInMilliseconds"] for f in listed["Fragments"]} == {
        round(put["duration"] * 1000)
    }


@BOUNDED
@given(kwargs=kvs.list_fragments_kwargs())
def test_list_fragments_kwargs_are_valid(kwargs: dict[str, Any]) -> None:
    assert botocore_report(kwargs, shape("kinesis-video-archived-media", "ListFragments")) == ""
    sim, _ = _world(count=3)
    sim.client("kinesis-video-archived-media").list_fragments(**kwargs)
    span = kwargs.get("FragmentSelector", {}).get("TimestampRange")
    if span is not None:
        assert span["StartTimestamp"] <= span["EndTimestamp"]


@BOUNDED
@given(data=st.data())
def test_fragment_lists_of_stored_numbers_read_back(data: st.DataObject) -> None:
    sim, _ = _world(count=5)
    archive = sim.client("kinesis-video-archived-media")
    numbers = [f["FragmentNumber"] for f in archive.list_fragments(StreamName="cam")["Fragments"]]
    kwargs = data.draw(kvs.get_media_for_fragment_list_kwargs(numbers=st.sampled_from(numbers)))
    assert (
        botocore_report(kwargs, shape("kinesis-video-archived-media", "GetMediaForFragmentList"))
        == ""
    )
    from kvsim.media.mkv import read_mkv

    clusters = read_mkv(archive.get_media_for_fragment_list(**kwargs)["Payload"].read())[1]
    assert [dict(c.tags)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"] for c in clusters] == kwargs[
        "Fragments"
    ]


@BOUNDED
@given(start=kvs.get_media_start_selectors())
def test_start_selectors_are_valid_and_answered(start: dict[str, Any]) -> None:
    kwargs = {"StreamName": "cam", "StartSelector": start}
    assert botocore_report(kwargs, shape("kinesis-video-media", "GetMedia")) == ""
    sim, _ = _world(count=2)
    try:
        sim.client("kinesis-video-media").get_media(**kwargs)["Payload"].read()
    except kvsim.ClientError as error:  # an arbitrary number names no fragment
        assert start["StartSelectorType"] in ("FRAGMENT_NUMBER", "CONTINUATION_TOKEN")
        assert error.code in ("ResourceNotFoundException", "InvalidArgumentException")


@BOUNDED
@given(number=kvs.fragment_numbers(), span=kvs.timestamp_ranges())
def test_numbers_and_ranges_have_the_service_shape(number: str, span: dict[str, Any]) -> None:
    assert len(number) == 47 and number.isdigit()
    assert span["StartTimestamp"] <= span["EndTimestamp"]
    assert span["StartTimestamp"].tzinfo is not None


@pytest.mark.parametrize(
    "build",
    [
        lambda: kvs.put_fragments_kwargs(max_count=0),
        lambda: kvs.put_fragments_kwargs(realtime="yes"),  # type: ignore[arg-type]
        lambda: kvs.put_fragments_kwargs(max_frame_size=-1),
        lambda: kvs.get_media_start_selectors(types=("SOON",)),
        lambda: kvs.get_media_start_selectors(numbers=["1"]),  # type: ignore[arg-type]
        lambda: kvs.timestamp_ranges(
            min_value=datetime(2026, 1, 2, tzinfo=UTC), max_value=datetime(2026, 1, 1, tzinfo=UTC)
        ),
        lambda: kvs.timestamp_ranges(min_value=datetime(2026, 1, 1)),
        lambda: kvs.get_media_for_fragment_list_kwargs(max_size=1001),
        lambda: kvs.list_fragments_kwargs(stream_name=""),
        lambda: kvs.fragment_selectors(ranges={}),  # type: ignore[arg-type]
    ],
)
def test_bad_options_are_refused_when_built(build: Any) -> None:
    with pytest.raises(InvalidArgument):
        build()
