"""What serving real boto3 clients costs: kvsim.boto against botocore's floor and moto.

Run ``python benchmarks/bench_boto.py`` (about a minute on 2 cores) or
``--quick``; ``--json PATH`` also writes the measurements.

Three ways to answer ``client.create_stream(StreamName=...)`` from a genuine
boto3 client (so botocore's validation, serialization, signing, parsing and
retry handler run every time):

- **floor**: a ``before-send`` hook that returns a canned response and does
  nothing else: the cost of botocore itself, which no mock can go below;
- **kvsim**: ``kvsim.boto.client(sim)``, in worlds of 1,000 and 20,000 streams;
- **moto**: ``moto.mock_aws()``, in worlds of 1,000 and 20,000 streams.

Each call is timed on its own (``time.perf_counter_ns``); a scenario runs a
warm-up batch, then ``reps`` batches, and reports the median call. Floor and
kvsim batches alternate so that both see the same machine; the ratios are
taken within this one run. kvsim worlds are filled through the facade, moto's
by putting ``Stream`` objects in its backend as its ``create_stream`` would
(going through moto's API for 20,000 streams would take minutes; the state is
the same).

Targets: kvsim ≤ 1.2 × the floor; kvsim ≥ 2 × faster than moto at 1,000
streams and ≥ 4 × at 20,000.
"""

from __future__ import annotations

import argparse
import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse

import kvsim
import kvsim.boto

ACCOUNT = "123456789012"
REGION = "us-east-1"
SIZES = (1_000, 20_000)
LIMITS = kvsim.Limits(max_streams_per_account=None, throttling=False)
TARGETS = {
    "kvsim / floor (max)": 1.2,
    "moto / kvsim at 1000 (min)": 2.0,
    "moto / kvsim at 20000 (min)": 4.0,
}

_CANNED = b'{"StreamARN":"arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/1767225600000"}'
_CANNED_HEADERS = {
    "Content-Type": "application/json",
    "x-amzn-RequestId": "00000000-0000-0000-0000-000000000001",
    "Content-Length": str(len(_CANNED)),
}


@dataclass(frozen=True)
class Plan:
    """Calls per batch and timed batches per scenario."""

    calls: int
    reps: int


FULL = Plan(calls=400, reps=7)
QUICK = Plan(calls=100, reps=3)


@dataclass
class Result:
    """One scenario: the median call in microseconds, and the batch medians."""

    scenario: str
    streams: int | None
    median_us: float
    batch_medians_us: list[float]


class _Raw:
    """The body of a canned response, read by botocore through ``stream()``."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.data


def _floor_hook(request: Any, **kwargs: Any) -> AWSResponse:
    return AWSResponse(request.url, 200, _CANNED_HEADERS, _Raw(_CANNED))


def _session() -> Any:
    return boto3.session.Session(
        aws_access_key_id="AKIDBENCH", aws_secret_access_key="x", region_name=REGION
    )


def floor_client() -> Any:
    """A boto3 client whose every request is answered by a canned response."""
    client = _session().client("kinesisvideo")
    client.meta.events.register("before-send.kinesis-video", _floor_hook)
    return client


def kvsim_client(size: int) -> Any:
    """A kvsim.boto client of a world that already holds ``size`` streams."""
    sim = kvsim.Simulator(seed=1, limits=LIMITS)
    facade = sim.client(region_name=REGION, account_id=ACCOUNT)
    for i in range(size):
        facade.create_stream(StreamName=f"fill-{i:06d}")
    return kvsim.boto.client(sim, region_name=REGION, account_id=ACCOUNT)


def _batch(client: Any, prefix: str, calls: int) -> list[int]:
    times = []
    create = client.create_stream
    clock = time.perf_counter_ns
    for i in range(calls):
        name = f"{prefix}-{i:05d}"
        start = clock()
        create(StreamName=name)
        times.append(clock() - start)
    return times


def _run(clients: dict[str, Any], plan: Plan, label: str) -> dict[str, list[list[int]]]:
    """Warm up, then ``plan.reps`` rounds that each run one batch per client in turn."""
    batches: dict[str, list[list[int]]] = {name: [] for name in clients}
    for name, client in clients.items():
        _batch(client, f"{label}-{name}-warm", max(20, plan.calls // 4))
    for rep in range(plan.reps):
        for name, client in clients.items():
            gc.collect()
            batches[name].append(_batch(client, f"{label}-{name}-{rep}", plan.calls))
    return batches


def _result(scenario: str, streams: int | None, batches: list[list[int]]) -> Result:
    every = [t for batch in batches for t in batch]
    return Result(
        scenario,
        streams,
        statistics.median(every) / 1000,
        [round(statistics.median(b) / 1000, 1) for b in batches],
    )


def measure_floor_and_kvsim(plan: Plan) -> list[Result]:
    """Floor and kvsim at each size, alternating batches."""
    results = []
    for size in SIZES:
        clients = {"floor": floor_client(), "kvsim": kvsim_client(size)}
        batches = _run(clients, plan, f"s{size}")
        results.append(_result("floor", size, batches["floor"]))
        results.append(_result("kvsim", size, batches["kvsim"]))
    return results


def measure_moto(plan: Plan) -> list[Result]:
    """moto's mock_aws at each size (moto is imported only here)."""
    import moto
    from moto.kinesisvideo.models import Stream, kinesisvideo_backends

    results = []
    for size in SIZES:
        with moto.mock_aws():
            backend = kinesisvideo_backends[ACCOUNT][REGION]
            for i in range(size):
                stream = Stream(ACCOUNT, REGION, "", f"fill-{i:06d}", "", "", 0, {})
                backend.streams[stream.arn] = stream
            client = _session().client("kinesisvideo")
            batches = _run({"moto": client}, plan, f"m{size}")
            assert len(backend.streams) == size + plan.reps * plan.calls + max(20, plan.calls // 4)
        results.append(_result("moto", size, batches["moto"]))
    return results


def _ratios(results: list[Result]) -> dict[str, float]:
    by = {(r.scenario, r.streams): r.median_us for r in results}
    ratios = {}
    for size in SIZES:
        ratios[f"kvsim / floor at {size}"] = by[("kvsim", size)] / by[("floor", size)]
        if ("moto", size) in by:
            ratios[f"moto / kvsim at {size}"] = by[("moto", size)] / by[("kvsim", size)]
    return ratios


def _verdicts(ratios: dict[str, float]) -> list[tuple[str, float, float, bool]]:
    worst_floor = max(v for k, v in ratios.items() if k.startswith("kvsim / floor"))
    rows = [
        ("kvsim / floor (max)", worst_floor, TARGETS["kvsim / floor (max)"], worst_floor <= 1.2)
    ]
    for size in SIZES:
        key = f"moto / kvsim at {size}"
        if key in ratios:
            target = TARGETS[f"{key} (min)"]
            rows.append((f"{key} (min)", ratios[key], target, ratios[key] >= target))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="fewer calls and batches")
    parser.add_argument("--no-moto", action="store_true", help="skip the moto scenarios")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the results as JSON")
    args = parser.parse_args(argv)
    plan = QUICK if args.quick else FULL
    print(
        f"kvsim {kvsim.__version__}, boto3 {boto3.__version__}, Python {platform.python_version()}, "
        f"{plan.calls} calls x {plan.reps} batches per scenario"
    )
    started = time.perf_counter()
    results = measure_floor_and_kvsim(plan)
    if not args.no_moto:
        results += measure_moto(plan)
    print(f"\n{'scenario':10s} {'streams':>8s} {'median call':>12s}   batch medians (us)")
    for r in results:
        print(f"{r.scenario:10s} {r.streams:>8d} {r.median_us:>9.1f} us   {r.batch_medians_us}")
    ratios = _ratios(results)
    print()
    for key, value in ratios.items():
        print(f"{key:28s} {value:6.2f}x")
    print()
    verdicts = _verdicts(ratios)
    for key, value, target, ok in verdicts:
        print(f"{key:28s} {value:6.2f}x  target {target:g}x  {'OK' if ok else 'MISSED'}")
    print(f"\n({time.perf_counter() - started:.0f} s)")
    if args.json:
        args.json.write_text(
            json.dumps({"results": [asdict(r) for r in results], "ratios": ratios}, indent=2) + "\n"
        )
    return 0 if all(ok for *_, ok in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
