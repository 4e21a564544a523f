"""Where a call's cost grows with the world: cProfile of one scenario at two world sizes.

``python benchmarks/profile_growth.py [--small 1000] [--large 1000000] [--calls 20000]``
profiles ``create_stream`` and ``describe_stream`` (by name) of seeded random
streams in a small and a large benchmark world (the same worlds as
``kvsim bench``: ``bench_core.BenchWorld``) and prints, per function, the
time spent in it (``tottime``) per call at each size, sorted by growth. The
profiler's own overhead inflates every figure about twofold; what matters is
which functions grow. A function that does the same work at both sizes but
takes longer at the large one is waiting for memory (cache and TLB misses),
not doing more work.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import pstats
import sys
from collections.abc import Callable
from pathlib import Path

if __package__ in (None, ""):  # run as a script
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.bench_core import BenchWorld


def _profile(run: Callable[[], None]) -> dict[str, float]:
    profile = cProfile.Profile()
    gc.collect()
    profile.enable()
    run()
    profile.disable()
    stats = pstats.Stats(profile)
    found: dict[str, float] = {}
    for (path, line, func), row in stats.stats.items():  # type: ignore[attr-defined]
        where = f"{Path(path).name}:{line}({func})" if line else func
        found[where] = found.get(where, 0.0) + row[2]
    return found


def scenarios(world: BenchWorld, calls: int) -> dict[str, Callable[[], None]]:
    """Each profiled scenario on ``world``: ``calls`` calls each."""
    picks = [world.names[i] for i in world.sample(calls)]
    fresh = world.names_source.take(calls)
    kv = world.kv

    def describe() -> None:
        for name in picks:
            kv.describe_stream(StreamName=name)

    def create() -> None:
        for name in fresh:
            kv.create_stream(StreamName=name)

    return {"describe_stream by name": describe, "create_stream": create}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=1_000)
    parser.add_argument("--large", type=int, default=1_000_000)
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--top", type=int, default=14)
    args = parser.parse_args(argv)
    profiles: dict[str, dict[int, dict[str, float]]] = {}
    for size in (args.small, args.large):
        print(f"building a world of {size:,} streams", file=sys.stderr, flush=True)
        world = BenchWorld(size, traced=False)
        world.fill_trace()  # a full call trace, as kvsim bench measures
        for name, run in scenarios(world, args.calls).items():
            run()  # warm-up (describe) / a first batch (create)
            profiles.setdefault(name, {})[size] = _profile(
                scenarios(world, args.calls)[name] if name == "create_stream" else run
            )
        del world
        gc.collect()
    for name, by_size in profiles.items():
        small, large = by_size[args.small], by_size[args.large]
        total_small = sum(small.values()) / args.calls * 1e6
        total_large = sum(large.values()) / args.calls * 1e6
        print(
            f"\n{name}: {total_small:.2f} µs/call at {args.small:,} streams, "
            f"{total_large:.2f} at {args.large:,} (profiled; tottime per call, µs)"
        )
        rows = sorted(
            set(small) | set(large),
            key=lambda f: large.get(f, 0.0) - small.get(f, 0.0),
            reverse=True,
        )
        print(f"  {'function':<58} {args.small:>10,} {args.large:>10,}   growth")
        for function in rows[: args.top]:
            a = small.get(function, 0.0) / args.calls * 1e6
            b = large.get(function, 0.0) / args.calls * 1e6
            print(f"  {function[:58]:<58} {a:10.3f} {b:10.3f}   {b - a:+.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
