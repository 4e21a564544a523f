"""Hypothesis strategies for media: fragments, timestamp ranges, GetMedia start
selectors and ``sim.put_fragments`` arguments (re-exported by :mod:`kvsim.strategies`).

Every value satisfies the ``kinesis-video-media`` and
``kinesis-video-archived-media`` models and AWS's ingestion limits: options
are keyword-only, and an invalid option raises
:class:`hypothesis.errors.InvalidArgument` when the strategy is built. Which
fragments a number or a range names is up to the test: pass
``st.sampled_from(numbers)`` of fragments it stored, or a range around
``sim.now``.

>>> import kvsim
>>> from hypothesis import given, settings
>>> @settings(max_examples=10, database=None, deadline=None)
... @given(put=put_fragments_kwargs(max_count=5), start=get_media_start_selectors())
... def check(put, start):
...     sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
...     sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
...     sim.advance(5)
...     batch = sim.put_fragments("cam", **put)
...     assert batch.count == put["count"]
...     media = sim.client("kinesis-video-media")
...     try:
...         media.get_media(StreamName="cam", StartSelector=start)["Payload"].read()
...     except kvsim.ClientError as error:  # a number that names no fragment
...         assert error.code in ("ResourceNotFoundException", "InvalidArgumentException")
>>> check()
"""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..core.constants import DEFAULT_START
from ..model.catalog import service_spec
from ..services.kinesis_video_media.put_media import MAX_FRAGMENT_MS, MAX_TRACKS, MIN_FRAGMENT_MS

__all__ = [
    "FRAGMENT_LIST_MAX",
    "LIST_FRAGMENTS_MAX_RESULTS",
    "START_SELECTOR_TYPES",
    "fragment_numbers",
    "fragment_selectors",
    "get_media_for_fragment_list_kwargs",
    "get_media_start_selectors",
    "list_fragments_kwargs",
    "put_fragments_kwargs",
    "timestamp_ranges",
]

_ARCHIVED = service_spec("kinesis-video-archived-media").shapes
_MEDIA = service_spec("kinesis-video-media").shapes
#: ``MaxResults`` of ListFragments: 1 to 1,000.
LIST_FRAGMENTS_MAX_RESULTS: int = _ARCHIVED["ListFragmentsMaxResults"]["max"]
#: Fragments one GetMediaForFragmentList may name: 1 to 1,000.
FRAGMENT_LIST_MAX: int = _ARCHIVED["FragmentNumberList"]["max"]
#: Every GetMedia ``StartSelectorType``.
START_SELECTOR_TYPES: tuple[str, ...] = tuple(_MEDIA["StartSelectorType"]["enum"])
_SELECTOR_TYPES: tuple[str, ...] = tuple(_ARCHIVED["FragmentSelectorType"]["enum"])


def _check_strategy(where: str, name: str, value: object) -> None:
    if value is not None and not isinstance(value, SearchStrategy):
        raise InvalidArgument(f"{where}: {name} must be a hypothesis strategy, got {value!r}")


def _check_moment(where: str, name: str, value: object) -> datetime:
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise InvalidArgument(f"{where}: {name} must be a tz-aware datetime, got {value!r}")
    return value


def fragment_numbers() -> SearchStrategy[str]:
    """Fragment numbers as the service writes them: 47 decimal digits, no leading zero."""
    return st.integers(10**46, 10**47 - 1).map(str)


def timestamp_ranges(
    *,
    min_value: datetime = DEFAULT_START - timedelta(hours=1),
    max_value: datetime = DEFAULT_START + timedelta(days=1),
) -> SearchStrategy[dict[str, datetime]]:
    """``{"StartTimestamp": a, "EndTimestamp": b}`` with ``min_value <= a <= b <=
    max_value``, whole milliseconds, UTC."""
    low = _check_moment("timestamp_ranges", "min_value", min_value)
    high = _check_moment("timestamp_ranges", "max_value", max_value)
    if low > high:
        raise InvalidArgument(f"timestamp_ranges: min_value {low} is after max_value {high}")
    low_ms = math.ceil(low.timestamp() * 1000)
    high_ms = math.floor(high.timestamp() * 1000)

    def moment(ms: int) -> datetime:
        return datetime.fromtimestamp(ms / 1000, UTC)

    return st.tuples(st.integers(low_ms, high_ms), st.integers(low_ms, high_ms)).map(
        lambda pair: {
            "StartTimestamp": moment(min(pair)),
            "EndTimestamp": moment(max(pair)),
        }
    )


def fragment_selectors(
    *, ranges: SearchStrategy[dict[str, datetime]] | None = None
) -> SearchStrategy[dict[str, Any]]:
    """ListFragments ``FragmentSelector`` values: either timestamp type with a
    range from ``ranges`` (default :func:`timestamp_ranges`)."""
    _check_strategy("fragment_selectors", "ranges", ranges)
    return st.builds(
        lambda kind, span: {"FragmentSelectorType": kind, "TimestampRange": span},
        st.sampled_from(_SELECTOR_TYPES),
        timestamp_ranges() if ranges is None else ranges,
    )


def list_fragments_kwargs(
    *,
    stream_name: str = "cam",
    selectors: SearchStrategy[dict[str, Any]] | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of ListFragments for ``stream_name``: maybe ``MaxResults``
    (1-1,000), maybe a ``FragmentSelector`` from ``selectors`` (default
    :func:`fragment_selectors`)."""
    if not isinstance(stream_name, str) or not stream_name:
        raise InvalidArgument(
            f"list_fragments_kwargs: stream_name must be a name, got {stream_name!r}"
        )
    _check_strategy("list_fragments_kwargs", "selectors", selectors)
    chosen = fragment_selectors() if selectors is None else selectors
    return st.fixed_dictionaries(
        {"StreamName": st.just(stream_name)},
        optional={
            "MaxResults": st.integers(1, LIST_FRAGMENTS_MAX_RESULTS),
            "FragmentSelector": chosen,
        },
    )


def get_media_for_fragment_list_kwargs(
    *,
    stream_name: str = "cam",
    numbers: SearchStrategy[str] | None = None,
    max_size: int = 20,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of GetMediaForFragmentList: 1 to ``max_size`` numbers
    from ``numbers`` (default :func:`fragment_numbers`; repeats allowed, as AWS does)."""
    if not isinstance(stream_name, str) or not stream_name:
        raise InvalidArgument(
            f"get_media_for_fragment_list_kwargs: stream_name must be a name, got {stream_name!r}"
        )
    _check_strategy("get_media_for_fragment_list_kwargs", "numbers", numbers)
    if type(max_size) is not int or not 1 <= max_size <= FRAGMENT_LIST_MAX:
        raise InvalidArgument(
            f"get_media_for_fragment_list_kwargs: max_size must be 1 to {FRAGMENT_LIST_MAX}, "
            f"got {max_size!r}"
        )
    return st.builds(
        lambda fragments: {"StreamName": stream_name, "Fragments": fragments},
        st.lists(fragment_numbers() if numbers is None else numbers, min_size=1, max_size=max_size),
    )


def get_media_start_selectors(
    *,
    types: tuple[str, ...] = START_SELECTOR_TYPES,
    numbers: SearchStrategy[str] | None = None,
    timestamps: SearchStrategy[datetime] | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """GetMedia ``StartSelector`` values of the given ``types``, each with the member
    it needs: ``AfterFragmentNumber`` / ``ContinuationToken`` from ``numbers``
    (default :func:`fragment_numbers`), ``StartTimestamp`` from ``timestamps``
    (default: around the default start, whole milliseconds)."""
    if not types or not all(t in START_SELECTOR_TYPES for t in types):
        raise InvalidArgument(
            f"get_media_start_selectors: types must be some of {START_SELECTOR_TYPES}, got {types!r}"
        )
    _check_strategy("get_media_start_selectors", "numbers", numbers)
    _check_strategy("get_media_start_selectors", "timestamps", timestamps)
    chosen_numbers = fragment_numbers() if numbers is None else numbers
    chosen_times = (
        timestamp_ranges().map(lambda r: r["StartTimestamp"]) if timestamps is None else timestamps
    )

    def selector(kind: str) -> SearchStrategy[dict[str, Any]]:
        if kind == "FRAGMENT_NUMBER":
            return chosen_numbers.map(
                lambda n: {"StartSelectorType": kind, "AfterFragmentNumber": n}
            )
        if kind == "CONTINUATION_TOKEN":
            return chosen_numbers.map(lambda n: {"StartSelectorType": kind, "ContinuationToken": n})
        if kind in ("SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP"):
            return chosen_times.map(lambda t: {"StartSelectorType": kind, "StartTimestamp": t})
        return st.just({"StartSelectorType": kind})

    return st.one_of(*(selector(kind) for kind in types))


def put_fragments_kwargs(
    *,
    max_count: int = 50,
    realtime: bool | None = False,
    max_frame_size: int = 4096,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of ``sim.put_fragments`` within AWS's limits: ``count``
    1 to ``max_count``, ``duration`` 1-20 s (tenths), ``frame_rate`` 1-30,
    ``frame_size`` 0 to ``max_frame_size``, ``track_count`` 1-3 and ``realtime``
    (None: either)."""
    if type(max_count) is not int or max_count < 1:
        raise InvalidArgument(
            f"put_fragments_kwargs: max_count must be an int >= 1, got {max_count!r}"
        )
    if type(max_frame_size) is not int or max_frame_size < 0:
        raise InvalidArgument(
            f"put_fragments_kwargs: max_frame_size must be an int >= 0, got {max_frame_size!r}"
        )
    if realtime is not None and not isinstance(realtime, bool):
        raise InvalidArgument(
            f"put_fragments_kwargs: realtime must be True, False or None, got {realtime!r}"
        )
    return st.fixed_dictionaries(
        {
            "count": st.integers(1, max_count),
            "duration": st.integers(MIN_FRAGMENT_MS // 100, MAX_FRAGMENT_MS // 100).map(
                lambda tenths: tenths / 10
            ),
            "frame_rate": st.integers(1, 30).map(float),
            "frame_size": st.integers(0, max_frame_size),
            "track_count": st.integers(1, MAX_TRACKS),
            "realtime": st.booleans() if realtime is None else st.just(realtime),
        }
    )
