"""One Simulator shared by many threads: no lost updates, no torn state.

Every public method of a Simulator and its clients is documented as
thread-safe. These tests start 8 threads at once (behind a barrier, with a
tiny GIL switch interval so they interleave often) and check that creations
are all kept, that a name race has exactly one winner, and that concurrent
optimistic updates never both succeed from the same version.
"""

from __future__ import annotations

import random
import sys
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import pytest

import kvsim
from kvsim.engine.client import KinesisVideoClient

THREADS = 8
T = TypeVar("T")


@pytest.fixture(autouse=True)
def _switch_often() -> Iterator[None]:
    """Make the interpreter switch threads far more often than usual."""
    before = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    try:
        yield
    finally:
        sys.setswitchinterval(before)


def run_together(work: Callable[[int], T]) -> list[T]:
    """Run ``work(i)`` for i in 0..7 on 8 threads released at the same moment;
    re-raise the first exception any of them raised; results in thread order."""
    barrier = threading.Barrier(THREADS, timeout=30)

    def start(i: int) -> T:
        barrier.wait()
        return work(i)

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        futures = [pool.submit(start, i) for i in range(THREADS)]
        return [future.result(timeout=60) for future in futures]


def all_names(kv: KinesisVideoClient) -> list[str]:
    """Every stream name of ``kv``'s region, through the paginator (small pages)."""
    pages = kv.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 37})
    return [info["StreamName"] for page in pages for info in page["StreamInfoList"]]


def test_creations_from_eight_threads_are_all_kept() -> None:
    sim = kvsim.Simulator(seed=3, limits=kvsim.Limits(throttling=False))
    shared = sim.client("kinesisvideo", region_name="us-east-1")
    per_thread = 40

    def create(i: int) -> list[dict[str, Any]]:
        # Even threads share one client; odd threads make their own.
        kv = shared if i % 2 == 0 else sim.client("kinesisvideo", region_name="us-east-1")
        return [kv.create_stream(StreamName=f"t{i}-{j:03d}") for j in range(per_thread)]

    responses = [r for batch in run_together(create) for r in batch]
    total = THREADS * per_thread
    expected = sorted(f"t{i}-{j:03d}" for i in range(THREADS) for j in range(per_thread))
    # No call was lost or counted twice: exactly call_latency of virtual time
    # per call, and one request id each.
    assert sim.now - kvsim.DEFAULT_START == timedelta(milliseconds=50 * total)
    assert len({r["ResponseMetadata"]["RequestId"] for r in responses}) == total
    assert len({r["StreamARN"] for r in responses}) == total
    assert all_names(shared) == expected
    sim._check()
    sim.run_until_idle()
    sim._check()
    statuses = {info["Status"] for info in shared.list_streams()["StreamInfoList"]}
    assert statuses == {"ACTIVE"}


@pytest.mark.parametrize("round_", range(5))
def test_eight_threads_racing_for_one_name_have_exactly_one_winner(round_: int) -> None:
    sim = kvsim.Simulator(seed=round_, limits=kvsim.Limits(throttling=False))
    kv = sim.client("kinesisvideo", region_name="us-east-1")
    name = f"race-{round_}"

    def create(i: int) -> str:
        try:
            return kv.create_stream(StreamName=name, DeviceName=f"dev-{i}")["StreamARN"]
        except kv.exceptions.ResourceInUseException as error:
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            return error.response["Error"]["Code"]

    outcomes = run_together(create)
    winners = [o for o in outcomes if o.startswith("arn:")]
    assert len(winners) == 1
    assert outcomes.count("ResourceInUseException") == THREADS - 1
    info = kv.describe_stream(StreamName=name)["StreamInfo"]
    assert info["StreamARN"] == winners[0]
    # The stored device is the winner's, and only it is counted.
    assert info["DeviceName"] == f"dev-{outcomes.index(winners[0])}"
    assert all_names(kv) == [name]
    sim._check()


ALLOWED_UPDATE_ERRORS = {"VersionMismatchException", "ResourceInUseException"}


def test_concurrent_updates_tags_and_describes_keep_every_invariant() -> None:
    sim = kvsim.Simulator(seed=11, limits=kvsim.Limits(throttling=False))
    kv = sim.client("kinesisvideo", region_name="us-east-1")
    names = [f"cam-{k}" for k in range(4)]
    for name in names:
        kv.create_stream(StreamName=name, DeviceName="dev-0")
    sim.run_until_idle()
    rounds = 30

    def work(i: int) -> dict[str, Any]:
        rng = random.Random(i)  # each thread's own, seeded choices
        won: list[tuple[str, str]] = []
        tags: dict[str, str] = {}
        for j in range(rounds):
            name = rng.choice(names)
            version = kv.describe_stream(StreamName=name)["StreamInfo"]["Version"]
            action = rng.randrange(4)
            if action == 0:
                try:
                    kv.update_stream(StreamName=name, CurrentVersion=version, DeviceName=f"dev-{i}")
                    won.append((name, version))
                except kvsim.ClientError as error:
                    assert error.response["Error"]["Code"] in ALLOWED_UPDATE_ERRORS, error
            elif action == 1:
                kv.tag_stream(StreamName=name, Tags={f"t{i}": str(j)})
                tags[name] = str(j)
            elif action == 2:
                listed = kv.list_streams()["StreamInfoList"]
                assert [s["StreamName"] for s in listed] == names
            elif i == 0:
                sim.advance(0.25)  # one thread also moves the clock by hand
            else:
                kv.get_data_endpoint(StreamName=name, APIName="GET_MEDIA")
        return {"won": won, "tags": tags}

    results = run_together(work)
    sim._check()
    # Optimistic concurrency: no two updates ever succeeded from the same version.
    wins = [w for r in results for w in r["won"]]
    assert wins, "no update ever succeeded; the test exercised nothing"
    assert len(set(wins)) == len(wins)
    # Each thread wrote only its own tag key, in order: its last write stands.
    for i, result in enumerate(results):
        for name, value in result["tags"].items():
            assert kv.list_tags_for_stream(StreamName=name)["Tags"][f"t{i}"] == value
    # Each stream's data endpoint is drawn once, whatever the interleaving.
    endpoints = {
        kv.get_data_endpoint(StreamName=n, APIName="GET_MEDIA")["DataEndpoint"] for n in names
    }
    assert len(endpoints) == len(names)
    sim.run_until_idle()
    sim._check()
    infos = kv.list_streams()["StreamInfoList"]
    assert [i["Status"] for i in infos] == ["ACTIVE"] * len(names)


def test_threads_advancing_and_calling_never_move_time_backwards() -> None:
    sim = kvsim.Simulator(seed=5, limits=kvsim.Limits(throttling=False))
    kv = sim.client("kinesisvideo", region_name="us-east-1")

    def work(i: int) -> list[Any]:
        seen = []
        for j in range(25):
            if i % 2:
                sim.advance(0.1)
            else:
                kv.create_stream(StreamName=f"s{i}-{j}")
            seen.append(sim.now)
        return seen

    observed = run_together(work)
    for seen in observed:
        assert seen == sorted(seen), "one thread saw the clock go backwards"
    calls, advances = 4 * 25, 4 * 25
    assert sim.now - kvsim.DEFAULT_START == timedelta(milliseconds=50 * calls + 100 * advances)
    sim._check()
