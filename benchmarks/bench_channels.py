"""Signaling channels through the facade, beside streams at the same world sizes.

``channels``: a unit is one ``create_signaling_channel`` of a fresh name
followed by ``describe_signaling_channel`` of it, in a world of *size* ACTIVE
channels; its baseline, in the same process and interleaved batch by batch,
is one ``create_stream`` + ``describe_stream`` in a world of *size* ACTIVE
streams. Both worlds use ``Limits(max_streams_per_account=None,
max_channels_per_account=None, throttling=False)`` and the default
``Timings()``; a batch is ``Plan.create_batch`` units (its resources are
deleted and the deletions run, untimed, before the next). Sizes: 10^3 and
10^5 (10^3 and 10^4 with ``--quick``). The table's ratio is the streams'
µs per unit over the channels' (above 1: channels are faster).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_channels.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kvsim
from benchmarks.harness import ACCOUNT, REGION, SEED, Context, Plan, Runner, Target

SCENARIOS = {
    "channels": "CreateSignalingChannel + DescribeSignalingChannel vs CreateStream + DescribeStream",
}
LIMITS = kvsim.Limits(max_streams_per_account=None, max_channels_per_account=None, throttling=False)


def sizes(plan: Plan) -> tuple[int, ...]:
    """The world sizes: the plan's smallest and its largest up to 10^5 (10^4 when quick)."""
    top = 100_000 if plan.name == "full" else 10_000
    return tuple(dict.fromkeys((plan.sizes[0], max(s for s in plan.sizes if s <= top))))


class World:
    """A simulator holding ``size`` ACTIVE channels (or streams) with scattered names."""

    def __init__(self, size: int, *, channels: bool) -> None:
        self.sim = kvsim.Simulator(SEED, limits=LIMITS)
        self.kv = self.sim.client("kinesisvideo", region_name=REGION, account_id=ACCOUNT)
        self.channels = channels
        self.offset = random.Random(f"{SEED}:{size}:channels").getrandbits(32)
        self.next_id = 0
        self.batch: list[str] = []
        create = self.kv.create_signaling_channel if channels else self.kv.create_stream
        member = "ChannelName" if channels else "StreamName"
        for name in self.take(size):
            create(**{member: name})
        self.sim.run_until_idle()

    def take(self, count: int) -> list[str]:
        """``count`` names never taken before, scattered over the name order."""
        start = self.next_id
        self.next_id += count
        return [
            f"site{u % 8:02d}-cam-{u:08x}"
            for i in range(start, start + count)
            for u in (((i + self.offset) * 2_654_435_761) % 2**32,)
        ]

    def runner(self, batch: int) -> Runner:
        """One batch: ``batch`` creates, each followed by a describe of the new resource."""
        kv = self.kv

        def before() -> None:
            self.batch = self.take(batch)

        if self.channels:
            create, describe = kv.create_signaling_channel, kv.describe_signaling_channel

            def run() -> int:
                for name in self.batch:
                    arn = create(ChannelName=name)["ChannelARN"]
                    describe(ChannelARN=arn)
                return 2 * len(self.batch)

            def after() -> None:
                for name in self.batch:
                    info = kv.describe_signaling_channel(ChannelName=name)["ChannelInfo"]
                    kv.delete_signaling_channel(ChannelARN=info["ChannelARN"])
                self.sim.run_until_idle()

        else:
            create_stream, describe_stream = kv.create_stream, kv.describe_stream

            def run() -> int:
                for name in self.batch:
                    arn = create_stream(StreamName=name)["StreamARN"]
                    describe_stream(StreamARN=arn)
                return 2 * len(self.batch)

            def after() -> None:
                for name in self.batch:
                    kv.delete_stream(StreamARN=_stream_arn(kv, name))
                self.sim.run_until_idle()

        system = "kvsim" if self.channels else "streams"
        note = "channel create+describe" if self.channels else "stream create+describe"
        return Runner(system, run, before, after, note=note)


def _stream_arn(kv: Any, name: str) -> str:
    return str(kv.describe_stream(StreamName=name)["StreamInfo"]["StreamARN"])


def run(ctx: Context, names: list[str]) -> None:
    """The channel scenario at each size."""
    if "channels" not in names:
        return
    batch = ctx.plan.create_batch
    for size in sizes(ctx.plan):
        ctx.log(f"channels: building worlds of {size:,} channels and {size:,} streams")
        channel_world = World(size, channels=True)
        stream_world = World(size, channels=False)
        results = ctx.measure(
            "channels", size, [channel_world.runner(batch), stream_world.runner(batch)]
        )
        ours, theirs = results
        ratio = theirs.us_per_call / ours.us_per_call
        ctx.facts.setdefault("channels", {})[str(size)] = {
            "channel_us_per_call": ours.us_per_call,
            "stream_us_per_call": theirs.us_per_call,
            "stream_over_channel": ratio,
        }


def targets(ctx: Context) -> list[Target]:
    """No target: the table shows the ratio."""
    return []


def facts_text(ctx: Context) -> str:
    """One line per size: µs per call of each, and their ratio."""
    found = ctx.facts.get("channels")
    if not found:
        return ""
    lines = ["channels vs streams (create + describe, µs per call, median):"]
    for size, fact in found.items():
        lines.append(
            f"  {int(size):>9,} each: channel {fact['channel_us_per_call']:.2f} µs, "
            f"stream {fact['stream_us_per_call']:.2f} µs "
            f"(streams / channels = {fact['stream_over_channel']:.2f}×)"
        )
    return "\n".join(lines)


if __name__ == "__main__":
    from benchmarks import harness

    sys.exit(harness.main(only=list(SCENARIOS)))
