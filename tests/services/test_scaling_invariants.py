"""Correctness at scale and against a reference model (not timing).

ListStreams paging over thousands of streams must equal the sorted, filtered
names; and after any sequence of creates, deletes and clock advances, full
paging, DescribeStream by name and by ARN must all agree with a plain Python
model of which streams exist and in what status.
"""

from __future__ import annotations

import functools
import math
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

import kvsim
from kvsim.engine.client import KinesisVideoClient

FROZEN = kvsim.Timings(call_latency=0)
ALPHABET = "abAB01-_."
COUNT = 4000


# -- a world of thousands ------------------------------------------------------------------


@dataclass(frozen=True)
class Crowd:
    """A world of COUNT streams with short random names that share many prefixes."""

    sim: kvsim.Simulator
    kv: KinesisVideoClient
    arns: dict[str, str]


@functools.cache
def crowd() -> Crowd:
    """Built once: listing takes no tokens (throttling is off) and no time."""
    # The model's pages (up to 10,000, one page by default), not the real service's.
    model_pages = kvsim.Limits(
        throttling=False, list_streams_page_size=10_000, max_list_streams_page=10_000
    )
    sim = kvsim.Simulator(seed=2, limits=model_pages, timings=FROZEN)
    kv = sim.client("kinesisvideo", region_name="us-east-1")
    rng = random.Random(1234)
    names: dict[str, None] = {}
    while len(names) < COUNT:
        names["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 8)))] = None
    arns = {name: kv.create_stream(StreamName=name)["StreamARN"] for name in names}
    # Let some of them turn ACTIVE and delete a few, so every status is listed.
    sim.advance(2)
    for name in list(names)[:50]:
        kv.delete_stream(StreamARN=arns[name])
    kv.create_stream(StreamName="zz-late")
    arns["zz-late"] = kv.describe_stream(StreamName="zz-late")["StreamInfo"]["StreamARN"]
    return Crowd(sim, kv, arns)


def _pages(kv: KinesisVideoClient, max_results: int, prefix: str | None) -> list[dict[str, Any]]:
    kwargs: dict[str, Any] = {"MaxResults": max_results}
    if prefix is not None:
        kwargs["StreamNameCondition"] = {
            "ComparisonOperator": "BEGINS_WITH",
            "ComparisonValue": prefix,
        }
    pages = [kv.list_streams(**kwargs)]
    while "NextToken" in pages[-1]:
        pages.append(kv.list_streams(**kwargs, NextToken=pages[-1]["NextToken"]))
    return pages


prefixes = st.one_of(
    st.none(),
    st.text(alphabet=ALPHABET, min_size=1, max_size=4),
    st.sampled_from(["a", "A", "zz", "zz-late", "-", ".", "c", "Zzz"]),
)


@given(data=st.data(), prefix=prefixes)
def test_paging_thousands_of_streams_equals_the_sorted_filtered_names(
    data: st.DataObject, prefix: str | None
) -> None:
    world = crowd()
    expected = sorted(n for n in world.arns if prefix is None or n.startswith(prefix))
    # Keep every example under ~40 pages, whatever the match count.
    smallest = max(1, math.ceil(len(expected) / 40))
    max_results = data.draw(
        st.one_of(
            st.integers(smallest, smallest + 60), st.sampled_from([len(expected) or 1, 10_000])
        ),
        label="MaxResults",
    )
    pages = _pages(world.kv, max_results, prefix)
    names = [info["StreamName"] for page in pages for info in page["StreamInfoList"]]
    assert names == expected
    assert len(pages) == max(1, math.ceil(len(expected) / max_results))
    for page in pages[:-1]:
        assert len(page["StreamInfoList"]) == max_results
    assert "NextToken" not in pages[-1]
    for page in pages:
        for info in page["StreamInfoList"]:
            assert info["StreamARN"] == world.arns[info["StreamName"]]


def test_the_crowd_lists_every_status_and_checks_clean() -> None:
    world = crowd()
    infos = world.kv.list_streams()["StreamInfoList"]
    assert len(infos) == COUNT + 1
    statuses = sorted({info["Status"] for info in infos})
    assert statuses == ["ACTIVE", "CREATING", "DELETING"]
    world.sim._check()


def test_paginator_page_sizes_agree_with_one_big_page() -> None:
    world = crowd()
    whole = [i["StreamName"] for i in world.kv.list_streams()["StreamInfoList"]]
    for size in (1_000, 333, 4_001):
        pages = world.kv.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": size})
        assert [i["StreamName"] for p in pages for i in p["StreamInfoList"]] == whole


def test_a_token_stays_valid_while_streams_come_and_go() -> None:
    """kvsim rule: a token continues after its last name, over the streams there now."""
    sim = kvsim.Simulator(seed=4, limits=kvsim.Limits(throttling=False), timings=FROZEN)
    kv = sim.client("kinesisvideo", region_name="us-east-1")
    arns = {n: kv.create_stream(StreamName=n)["StreamARN"] for n in ("b", "d", "f", "h")}
    first = kv.list_streams(MaxResults=2)
    assert [i["StreamName"] for i in first["StreamInfoList"]] == ["b", "d"]
    kv.create_stream(StreamName="e")
    kv.create_stream(StreamName="a")  # before the token: not seen again
    kv.delete_stream(StreamARN=arns["f"])
    sim.advance(1)  # f is gone now
    rest = kv.list_streams(MaxResults=2, NextToken=first["NextToken"])
    assert [i["StreamName"] for i in rest["StreamInfoList"]] == ["e", "h"]
    assert "NextToken" not in rest
    sim._check()


# -- a reference model ---------------------------------------------------------------------

REGIONS = ("us-east-1", "ap-south-1")
NAMES = ("a", "a.b", "a-1", "ab", "B", "b", "_x", "z9")
CAP = 4  # streams per account and region: low enough to be hit


@dataclass
class Modeled:
    """What the model knows of one stream incarnation."""

    arn: str
    created_ms: int
    gone_ms: int | None = None  # when its deletion completes


@dataclass
class Model:
    """Live streams per region, with the clock, and ARNs that must lead nowhere."""

    now_ms: int = 0
    regions: dict[str, dict[str, Modeled]] = field(default_factory=lambda: {r: {} for r in REGIONS})
    stale: dict[str, list[str]] = field(default_factory=lambda: {r: [] for r in REGIONS})

    def status(self, stream: Modeled) -> str:
        """The status the simulator must report now."""
        if stream.gone_ms is not None:
            return "DELETING"
        return "CREATING" if self.now_ms < stream.created_ms + 2000 else "ACTIVE"

    def advance(self, ms: int) -> None:
        """Let ``ms`` pass: deletions that complete drop their stream."""
        self.now_ms += ms
        for region, streams in self.regions.items():
            for name in [n for n, s in streams.items() if s.gone_ms is not None]:
                if streams[name].gone_ms <= self.now_ms:  # type: ignore[operator]
                    self.stale[region].append(streams.pop(name).arn)


#: One step: (kind, region, name, advance ms, stale ARN index); creates weigh most.
Action = tuple[str, str, str, int, int]
KINDS = ("advance", "create", "delete", "create", "delete-stale", "create", "delete")
actions = st.tuples(
    st.sampled_from(KINDS),
    st.sampled_from(REGIONS),
    st.sampled_from(NAMES),
    st.sampled_from([250, 500, 1000, 2000]),
    st.integers(0, 7),
)


def _code(call: Any, **kwargs: Any) -> str | dict[str, Any]:
    try:
        return call(**kwargs)  # type: ignore[no-any-return]
    except kvsim.ClientError as error:
        return str(error.response["Error"]["Code"])


def _apply(
    sim: kvsim.Simulator, clients: dict[str, KinesisVideoClient], model: Model, action: Action
) -> None:
    kind, region, name, ms, index = action
    if kind == "advance":
        sim.advance(ms / 1000)
        model.advance(ms)
        return
    kv, streams = clients[region], model.regions[region]
    if kind == "create":
        got = _code(kv.create_stream, StreamName=name)
        if name in streams:
            assert got == "ResourceInUseException"
        elif len(streams) >= CAP:
            assert got == "AccountStreamLimitExceededException"
        else:
            assert isinstance(got, dict), got
            streams[name] = Modeled(got["StreamARN"], model.now_ms)
    elif kind == "delete" and streams:
        name = sorted(streams)[index % len(streams)]
        got = _code(kv.delete_stream, StreamARN=streams[name].arn)
        if streams[name].gone_ms is not None:
            assert got == "ResourceInUseException"
        else:
            assert isinstance(got, dict), got
            streams[name].gone_ms = model.now_ms + 1000
    elif kind == "delete-stale" and model.stale[region]:
        arn = model.stale[region][index % len(model.stale[region])]
        assert _code(kv.delete_stream, StreamARN=arn) == "ResourceNotFoundException"


def _compare(clients: dict[str, KinesisVideoClient], model: Model, page_size: int) -> None:
    for region, kv in clients.items():
        streams = model.regions[region]
        pages = kv.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": page_size})
        listed = [info for page in pages for info in page["StreamInfoList"]]
        assert [i["StreamName"] for i in listed] == sorted(streams)
        for info in listed:
            expected = streams[info["StreamName"]]
            assert info["StreamARN"] == expected.arn
            assert info["Status"] == model.status(expected)
            by_name = kv.describe_stream(StreamName=info["StreamName"])["StreamInfo"]
            by_arn = kv.describe_stream(StreamARN=info["StreamARN"])["StreamInfo"]
            assert by_name == by_arn == info
        for arn in model.stale[region]:
            assert _code(kv.describe_stream, StreamARN=arn) == "ResourceNotFoundException"


@given(steps=st.lists(actions, min_size=12, max_size=40), page_size=st.integers(1, 4))
def test_listing_and_describing_match_a_reference_model(
    steps: list[Action], page_size: int
) -> None:
    sim = kvsim.Simulator(
        seed=9,
        limits=kvsim.Limits(throttling=False, max_streams_per_account=CAP),
        timings=FROZEN,
    )
    clients = {r: sim.client("kinesisvideo", region_name=r) for r in REGIONS}
    model = Model()
    for step in steps:
        _apply(sim, clients, model, step)
        sim._check()
        _compare(clients, model, page_size)
    sim.run_until_idle()
    model.advance(10_000)
    _compare(clients, model, page_size)
    sim._check()


@pytest.mark.parametrize("count", [1, 2, 7])
def test_a_cap_of_streams_counts_deleting_ones_until_they_are_gone(count: int) -> None:
    sim = kvsim.Simulator(
        limits=kvsim.Limits(throttling=False, max_streams_per_account=count), timings=FROZEN
    )
    kv = sim.client("kinesisvideo", region_name="us-east-1")
    arns = [kv.create_stream(StreamName=f"s{k}")["StreamARN"] for k in range(count)]
    kv.delete_stream(StreamARN=arns[0])
    with pytest.raises(kvsim.errors.AccountStreamLimitExceededException):
        kv.create_stream(StreamName="extra")
    sim.advance(1)
    assert kv.create_stream(StreamName="extra")["StreamARN"].endswith("/extra/1767225601000")
    sim._check()
