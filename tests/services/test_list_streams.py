"""ListStreams: name order, every status, prefix filter, pages, tokens and the paginator."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from helpers import raises
from hypothesis import given
from hypothesis import strategies as st

import kvsim
from kvsim.engine.client import KinesisVideoClient


def names(page: dict[str, Any]) -> list[str]:
    """The stream names of one ListStreams page."""
    return [s["StreamName"] for s in page["StreamInfoList"]]


def create(kv: KinesisVideoClient, *stream_names: str) -> None:
    """Create each named stream."""
    for name in stream_names:
        kv.create_stream(StreamName=name)


def all_pages(kv: KinesisVideoClient, **kwargs: Any) -> list[list[str]]:
    """Follow NextToken by hand; the names of every page."""
    pages = []
    while True:
        page = kv.list_streams(**kwargs)
        pages.append(names(page))
        if "NextToken" not in page:
            return pages
        kwargs["NextToken"] = page["NextToken"]


def test_empty_region_lists_nothing(kv: KinesisVideoClient) -> None:
    page = kv.list_streams()
    assert set(page) == {"StreamInfoList", "ResponseMetadata"}
    assert page["StreamInfoList"] == []


def test_streams_come_in_code_point_order(kv: KinesisVideoClient) -> None:
    stream_names = ["b", "_x", "B", "a.1", "a-1", "0", "a", "Z9"]
    create(kv, *stream_names)
    assert names(kv.list_streams()) == sorted(stream_names)
    assert names(kv.list_streams()) == ["0", "B", "Z9", "_x", "a", "a-1", "a.1", "b"]


def test_list_entries_equal_describe_and_cover_every_status(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    create(kv, "active", "updating", "deleting")
    sim.advance(5)
    kv.create_stream(StreamName="creating")
    version = kv.describe_stream(StreamName="updating")["StreamInfo"]["Version"]
    kv.update_stream(StreamName="updating", CurrentVersion=version, DeviceName="d")
    arn = kv.describe_stream(StreamName="deleting")["StreamInfo"]["StreamARN"]
    kv.delete_stream(StreamARN=arn)
    listed = kv.list_streams()["StreamInfoList"]
    assert [(s["StreamName"], s["Status"]) for s in listed] == [
        ("active", "ACTIVE"),
        ("creating", "CREATING"),
        ("deleting", "DELETING"),
        ("updating", "UPDATING"),
    ]
    for entry in listed:
        assert entry == kv.describe_stream(StreamName=entry["StreamName"])["StreamInfo"]
    sim._check()


def test_max_results_pages_and_the_last_page_has_no_token(kv: KinesisVideoClient) -> None:
    create(kv, "a", "b", "c", "d", "e")
    assert all_pages(kv, MaxResults=2) == [["a", "b"], ["c", "d"], ["e"]]
    assert all_pages(kv, MaxResults=5) == [["a", "b", "c", "d", "e"]]
    assert all_pages(kv, MaxResults=1) == [["a"], ["b"], ["c"], ["d"], ["e"]]


def test_a_full_last_page_has_no_token(kv: KinesisVideoClient) -> None:
    create(kv, "a", "b", "c", "d")
    first = kv.list_streams(MaxResults=2)
    second = kv.list_streams(MaxResults=2, NextToken=first["NextToken"])
    assert names(second) == ["c", "d"]
    assert "NextToken" not in second


def test_token_is_opaque_base64_and_reusable(kv: KinesisVideoClient) -> None:
    create(kv, "a", "b", "c")
    token = kv.list_streams(MaxResults=1)["NextToken"]
    base64.b64decode(token, validate=True)
    assert names(kv.list_streams(NextToken=token)) == ["b", "c"]
    assert names(kv.list_streams(NextToken=token, MaxResults=1)) == ["b"]


def test_tokens_stay_valid_while_streams_come_and_go(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    create(kv, "b", "d", "f", "h")
    sim.advance(5)
    first = kv.list_streams(MaxResults=2)
    assert names(first) == ["b", "d"]
    # Before the token's position (not shown), after it (shown), and the
    # token's own stream deleted completely.
    create(kv, "a", "c", "e")
    arn_d = kv.describe_stream(StreamName="d")["StreamInfo"]["StreamARN"]
    arn_f = kv.describe_stream(StreamName="f")["StreamInfo"]["StreamARN"]
    kv.delete_stream(StreamARN=arn_d)
    kv.delete_stream(StreamARN=arn_f)
    sim.advance(5)
    rest = all_pages(kv, MaxResults=2, NextToken=first["NextToken"])
    assert rest == [["e", "h"]]
    sim._check()


def test_prefix_is_case_sensitive_begins_with(kv: KinesisVideoClient) -> None:
    create(kv, "cam-1", "Cam-2", "camera", "ca", "dog", "cam")
    condition = {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "cam"}
    assert names(kv.list_streams(StreamNameCondition=condition)) == ["cam", "cam-1", "camera"]
    condition["ComparisonValue"] = "Cam"
    assert names(kv.list_streams(StreamNameCondition=condition)) == ["Cam-2"]
    condition["ComparisonValue"] = "zzz"
    assert names(kv.list_streams(StreamNameCondition=condition)) == []


def test_prefix_with_pages(kv: KinesisVideoClient) -> None:
    create(kv, "a", "p1", "p2", "p3", "q")
    condition = {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "p"}
    assert all_pages(kv, MaxResults=2, StreamNameCondition=condition) == [["p1", "p2"], ["p3"]]
    # A page that exactly ends the prefix range carries no token.
    assert all_pages(kv, MaxResults=3, StreamNameCondition=condition) == [["p1", "p2", "p3"]]


@pytest.mark.parametrize(
    "token",
    [
        base64.b64encode(b"someone else's token").decode(),
        base64.b64encode(b"kvsim:1:bad name!").decode(),
        base64.b64encode(b"kvsim:1:").decode(),
        "abc",  # not valid base64
        "!!!",  # not even the model's token pattern
        "A" * 1025,  # too long
    ],
)
def test_forged_token_is_invalid_argument(
    sim: kvsim.Simulator, kv: KinesisVideoClient, token: str
) -> None:
    create(kv, "a", "b")
    before = sim._dump()
    raises(kv.list_streams, "InvalidArgumentException", NextToken=token)
    assert sim._dump() == before


@pytest.mark.parametrize(
    "condition",
    [
        {"ComparisonValue": "cam"},
        {"ComparisonOperator": "BEGINS_WITH"},
        {},
        {"ComparisonOperator": "CONTAINS", "ComparisonValue": "cam"},
        {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "bad name"},
    ],
)
def test_incomplete_or_bad_condition_is_invalid_argument(
    kv: KinesisVideoClient, condition: dict[str, str]
) -> None:
    create(kv, "cam")
    raises(kv.list_streams, "InvalidArgumentException", StreamNameCondition=condition)


def test_max_results_bounds(kv: KinesisVideoClient) -> None:
    create(kv, "a")
    with pytest.raises(kvsim.ParamValidationError, match="valid min value: 1"):
        kv.list_streams(MaxResults=0)
    err = raises(kv.list_streams, "InvalidArgumentException", MaxResults=10_001)
    assert "less than or equal to 10000" in err.response["Error"]["Message"]
    assert names(kv.list_streams(MaxResults=10_000)) == ["a"]


def test_other_accounts_and_regions_are_not_listed(
    sim: kvsim.Simulator, kv: KinesisVideoClient
) -> None:
    other_account = sim.client("kinesisvideo", region_name="us-east-1", account_id="210987654321")
    other_region = sim.client("kinesisvideo", region_name="eu-west-1", account_id="123456789012")
    create(kv, "mine")
    create(other_account, "theirs")
    create(other_region, "elsewhere")
    assert names(kv.list_streams()) == ["mine"]
    assert names(other_account.list_streams()) == ["theirs"]
    assert names(other_region.list_streams()) == ["elsewhere"]


# -- the paginator --------------------------------------------------------------------------


def test_paginator_with_page_size(kv: KinesisVideoClient) -> None:
    create(kv, "a", "b", "c", "d", "e")
    assert kv.can_paginate("list_streams")
    assert not kv.can_paginate("describe_stream")
    pages = list(kv.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 2}))
    assert [names(p) for p in pages] == [["a", "b"], ["c", "d"], ["e"]]
    assert all(p["ResponseMetadata"]["HTTPStatusCode"] == 200 for p in pages)


@pytest.mark.parametrize(
    ("max_items", "expected"), [(1, ["a"]), (3, ["a", "b", "c"]), (9, list("abcde"))]
)
def test_paginator_with_max_items(
    kv: KinesisVideoClient, max_items: int, expected: list[str]
) -> None:
    create(kv, "a", "b", "c", "d", "e")
    paginator = kv.get_paginator("list_streams")
    pages = paginator.paginate(PaginationConfig={"PageSize": 2, "MaxItems": max_items})
    assert [n for p in pages for n in names(p)] == expected


def test_paginator_with_prefix_and_starting_token(kv: KinesisVideoClient) -> None:
    create(kv, "a", "p1", "p2", "p3", "q")
    condition = {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "p"}
    token = kv.list_streams(MaxResults=1, StreamNameCondition=condition)["NextToken"]
    pages = kv.get_paginator("list_streams").paginate(
        StreamNameCondition=condition, PaginationConfig={"StartingToken": token}
    )
    assert [names(p) for p in pages] == [["p2", "p3"]]


def test_paginator_errors(kv: KinesisVideoClient) -> None:
    with pytest.raises(ValueError, match="Operation cannot be paginated: describe_stream"):
        kv.get_paginator("describe_stream")
    with pytest.raises(kvsim.ParamValidationError, match="Unknown PaginationConfig keys: Limit"):
        kv.get_paginator("list_streams").paginate(PaginationConfig={"Limit": 1})
    pages = kv.get_paginator("list_streams").paginate(PaginationConfig={"StartingToken": "abc"})
    with pytest.raises(kvsim.errors.InvalidArgumentException):
        next(iter(pages))


@given(
    stream_names=st.sets(st.text("aAbB0_.-", min_size=1, max_size=4), max_size=12),
    page_size=st.integers(1, 5),
    prefix=st.one_of(st.none(), st.text("aAb", min_size=1, max_size=2)),
)
def test_pages_always_cover_the_sorted_names_once(
    stream_names: set[str], page_size: int, prefix: str | None
) -> None:
    sim = kvsim.Simulator(limits=kvsim.Limits(throttling=False))
    kv = sim.client("kinesisvideo")
    create(kv, *sorted(stream_names))
    kwargs: dict[str, Any] = {"MaxResults": page_size}
    if prefix is not None:
        kwargs["StreamNameCondition"] = {
            "ComparisonOperator": "BEGINS_WITH",
            "ComparisonValue": prefix,
        }
    pages = all_pages(kv, **kwargs)
    expected = sorted(n for n in stream_names if prefix is None or n.startswith(prefix))
    assert [n for page in pages for n in page] == expected
    assert all(len(page) == page_size for page in pages[:-1])
    assert len(pages[-1]) <= page_size


# -- the real service's page sizes (kvs-real-service-evidence 1.1) -------------------------------


def _world_of(count: int, limits: kvsim.Limits | None = None) -> KinesisVideoClient:
    base = limits or kvsim.Limits()
    sim = kvsim.Simulator(
        limits=kvsim.Limits(
            throttling=False,
            max_streams_per_account=None,
            list_streams_page_size=base.list_streams_page_size,
            max_list_streams_page=base.max_list_streams_page,
        ),
        timings=kvsim.Timings(call_latency=0),
    )
    kv = sim.client()
    create(kv, *(f"cam-{i:04}" for i in range(count)))
    return kv


def test_without_max_results_a_page_holds_10_streams_as_in_aws() -> None:
    kv = _world_of(35)
    pages = all_pages(kv)
    # 35 streams took AWS four calls: 10 + 10 + 10 + 5.
    assert [len(page) for page in pages] == [10, 10, 10, 5]
    assert [n for page in pages for n in page] == [f"cam-{i:04}" for i in range(35)]


def test_max_results_above_1000_answers_pages_of_1000() -> None:
    kv = _world_of(2_500)
    assert [len(page) for page in all_pages(kv, MaxResults=10_000)] == [1_000, 1_000, 500]
    assert [len(page) for page in all_pages(kv, MaxResults=700)] == [700, 700, 700, 400]


def test_the_models_pages_stay_reachable_through_limits() -> None:
    model = kvsim.Limits(list_streams_page_size=10_000, max_list_streams_page=10_000)
    kv = _world_of(1_500, model)
    assert [len(page) for page in all_pages(kv)] == [1_500]


def test_the_page_limits_are_checked() -> None:
    with pytest.raises(ValueError, match="list_streams_page_size must be >= 1, got 0"):
        kvsim.Limits(list_streams_page_size=0)
    with pytest.raises(TypeError, match="max_list_streams_page must be an int"):
        kvsim.Limits(max_list_streams_page=1.5)  # type: ignore[arg-type]


def test_limits_saved_before_the_page_fields_keep_the_models_pages() -> None:
    saved = kvsim.Limits().to_json()
    assert (saved["list_streams_page_size"], saved["max_list_streams_page"]) == (10, 1_000)
    del saved["list_streams_page_size"], saved["max_list_streams_page"]
    old = kvsim.Limits.from_json(saved)
    assert (old.list_streams_page_size, old.max_list_streams_page) == (10_000, 10_000)
