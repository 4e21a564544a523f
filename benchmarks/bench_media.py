"""Media on the virtual clock (issue 12): ingestion, ListFragments, expiry, memory.

``media``: in a stream of *n* generated fragments (10^6 in the full plan,
10^5 with ``--quick``; 2 s each, one shared payload):

- ingestion: ``sim.put_fragments`` of *n* fragments, fragments per second
  (10-year retention: nothing expires while it fills);
- list page: one ``list_fragments(MaxResults=1000)`` by server-time range in
  the middle of the stream, through the facade (throttling off), ms per page;
- expiry: ``sim.advance`` past the retention, which drops all *n* in batches,
  fragments per second;
- memory: ``tracemalloc`` bytes per stored fragment (payload shared).

Each figure is the median of the plan's repetitions after one warm-up.
"""

from __future__ import annotations

import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_media.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kvsim
from benchmarks.harness import SEED, Context, Target

#: Ten years: nothing expires while the stream is filled.
_RETENTION_HOURS = 87_600

SCENARIOS = {"media": "put_fragments, a ListFragments page of 1,000, expiry, memory per fragment"}


def _world() -> kvsim.Simulator:
    sim = kvsim.Simulator(
        SEED,
        timings=kvsim.Timings(call_latency=0),
        limits=kvsim.Limits(throttling=False),
        trace_limit=0,  # the page, not the trace's copy of it
    )
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=_RETENTION_HOURS)
    sim.advance(5)
    return sim


def measure(count: int, reps: int) -> dict[str, float]:
    """The medians of one size."""
    ingest, pages, expiry, memory = [], [], [], []
    for rep in range(reps + 1):
        sim = _world()
        started = time.perf_counter()
        batch = sim.put_fragments("cam", count=count, duration=2.0)
        elapsed = time.perf_counter() - started
        archive = sim.client("kinesis-video-archived-media")
        middle = batch.server_start + timedelta(seconds=count)  # half-way
        selector = {
            "FragmentSelectorType": "SERVER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": middle, "EndTimestamp": sim.now},
        }
        page_times = []
        for _ in range(20):
            t = time.perf_counter()
            found = archive.list_fragments(
                StreamName="cam", MaxResults=1000, FragmentSelector=selector
            )
            page_times.append(time.perf_counter() - t)
        assert len(found["Fragments"]) == min(1000, count // 2)
        t = time.perf_counter()
        sim.advance(_RETENTION_HOURS * 3600 + 60)
        dropped = time.perf_counter() - t
        assert archive.list_fragments(StreamName="cam")["Fragments"] == []
        if rep == 0:
            continue  # warm-up
        ingest.append(count / elapsed)
        pages.append(statistics.median(page_times) * 1000)
        expiry.append(count / dropped)
    # Memory: what one more put of ``count`` fragments allocates (the payload is shared).
    sim = _world()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    sim.put_fragments("cam", count=count, duration=2.0)
    memory.append((tracemalloc.get_traced_memory()[0] - before) / count)
    tracemalloc.stop()
    return {
        "fragments": count,
        "ingest_per_s": statistics.median(ingest),
        "list_page_ms": statistics.median(pages),
        "expiry_per_s": statistics.median(expiry),
        "bytes_per_fragment": statistics.median(memory),
    }


def run(ctx: Context, names: list[str]) -> None:
    """Run the ``media`` scenario at the plan's largest size up to 10^6."""
    count = 1_000_000 if ctx.plan.name == "full" else 100_000
    ctx.log(f"media: {count:,} generated fragments, {ctx.plan.reps} reps")
    ctx.facts["media"] = measure(count, ctx.plan.reps)


def targets(ctx: Context) -> list[Target]:
    """Issue 12's goals, where the scenario ran."""
    fact: dict[str, Any] | None = ctx.facts.get("media")
    if not fact:
        return []
    where = f"{fact['fragments']:,} fragments"
    return [
        Target("generated ingestion (fragments/s)", where, fact["ingest_per_s"], 100_000, False),
        Target("ListFragments page of 1,000 (ms)", where, fact["list_page_ms"], 5, True, " ms"),
        Target("retention expiry (fragments/s)", where, fact["expiry_per_s"], 1_000_000, False),
        Target("memory per fragment (B)", where, fact["bytes_per_fragment"], 200, True, " B"),
    ]


def facts_text(ctx: Context) -> str:
    """The medians, one line."""
    fact = ctx.facts.get("media")
    if not fact:
        return ""
    return (
        f"media ({fact['fragments']:,} fragments, medians): ingestion "
        f"{fact['ingest_per_s']:,.0f} fragments/s; ListFragments page of 1,000 "
        f"{fact['list_page_ms']:.2f} ms; expiry {fact['expiry_per_s']:,.0f} fragments/s; "
        f"{fact['bytes_per_fragment']:.0f} B per fragment"
    )


if __name__ == "__main__":
    print(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, 3))
