"""What serving real boto3 clients costs: kvsim.boto beside botocore's floor and moto.

Scenario ``boto3_create_stream``: ``client.create_stream(StreamName=...)`` of
a fresh name from a genuine boto3 client (so botocore's validation,
serialization, signing, parsing and retry handler run every time), in worlds
of ``Plan.boto_sizes`` streams (1,000 and 20,000), three ways:

- **kvsim.boto**: ``kvsim.boto.client(sim)``, its world filled through the facade;
- **before-send floor**: a ``before-send`` hook that returns a canned
  response and does nothing else: botocore's own cost, which no in-process
  backend can go below;
- **moto+boto3**: ``moto.mock_aws()`` with a boto3 client, its backend filled
  with ``Stream`` objects as its ``create_stream`` makes them (going through
  moto's API for 20,000 streams would take minutes; the state is the same).
  The mock is started before and stopped after each of its batches (untimed):
  while it is active moto's handler also sees the other clients' requests.

moto's ``before-send`` handler, which botocore sessions made after moto is
imported carry, is unregistered from the kvsim and floor clients, so they
measure what they would without moto installed.
"""

from __future__ import annotations

import contextlib
import sys
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_boto.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kvsim
from benchmarks.harness import (
    ACCOUNT,
    INSTALL_HINT,
    REGION,
    SEED,
    Context,
    Runner,
    Target,
    optional,
    speed_ratios,
)

SCENARIOS = {
    "boto3_create_stream": "CreateStream from a real boto3 client: kvsim.boto, the before-send floor, moto+boto3",
}
LIMITS = kvsim.Limits(max_streams_per_account=None, throttling=False)
FLOOR_TARGET = 1.2  # kvsim.boto's cost at most this many times the floor's
MOTO_TARGETS = {1_000: 2.0, 20_000: 4.0}  # kvsim.boto at least this many times faster

_CANNED = b'{"StreamARN":"arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/1767225600000"}'
_CANNED_HEADERS = {
    "Content-Type": "application/json",
    "x-amzn-RequestId": "00000000-0000-0000-0000-000000000001",
    "Content-Length": str(len(_CANNED)),
}


class _Raw:
    """The body of a canned response, read by botocore through ``stream()``."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.data


def _floor_hook(request: Any, **kwargs: Any) -> Any:
    from botocore.awsrequest import AWSResponse

    return AWSResponse(request.url, 200, _CANNED_HEADERS, _Raw(_CANNED))


def session() -> Any:
    """A fresh boto3 session with dummy credentials."""
    import boto3

    return boto3.session.Session(
        aws_access_key_id="AKIDBENCH", aws_secret_access_key="x", region_name=REGION
    )


def without_moto(client: Any) -> Any:
    """``client`` without moto's process-wide ``before-send`` handler (if moto is loaded)."""
    models = sys.modules.get("moto.core.models")
    stubber = getattr(models, "botocore_stubber", None)
    if stubber is not None:
        # botocore's unregister raises AttributeError on an event node that has
        # no handler list of its own, as in a client whose session was made
        # before moto was imported: such a client has no stubber to remove.
        with contextlib.suppress(AttributeError):
            client.meta.events.unregister("before-send", stubber)
    return client


def floor_client() -> Any:
    """A boto3 client whose every request is answered by a canned response."""
    client = without_moto(session().client("kinesisvideo"))
    client.meta.events.register("before-send.kinesis-video", _floor_hook)
    return client


def kvsim_world(size: int, *, trace_limit: int = 10_000) -> kvsim.Simulator:
    """A simulator holding ``size`` streams, filled through the facade and settled."""
    sim = kvsim.Simulator(SEED, limits=LIMITS, trace_limit=trace_limit)
    create = sim.client(region_name=REGION, account_id=ACCOUNT).create_stream
    for i in range(size):
        create(StreamName=f"fill-{i:07d}")
    sim.run_until_idle()
    return sim


def kvsim_client(sim: kvsim.Simulator) -> Any:
    """A kvsim.boto client of ``sim``."""
    import kvsim.boto

    return without_moto(kvsim.boto.client(sim, region_name=REGION, account_id=ACCOUNT))


def _creator(client: Any, prefix: str, calls: int) -> Runner:
    counter = [0]

    def run() -> int:
        create = client.create_stream
        start = counter[0]
        counter[0] += calls
        for i in range(start, start + calls):
            create(StreamName=f"{prefix}-{i:07d}")
        return calls

    return Runner("", run)


class MotoBoto:
    """moto's ``mock_aws`` holding ``size`` streams and a boto3 client of it."""

    def __init__(self, moto: Any, size: int) -> None:
        self.mock = moto.mock_aws()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            from moto.kinesisvideo.models import Stream, kinesisvideo_backends
            from moto.moto_api._internal import mock_random

            self.mock.start()  # reset: an empty world
            try:
                mock_random.seed(SEED)
                backend = kinesisvideo_backends[ACCOUNT][REGION]
                for i in range(size):
                    stream = Stream(ACCOUNT, REGION, "", f"fill-{i:07d}", "", "", 0, {})
                    backend.streams[stream.arn] = stream
                self.client = session().client("kinesisvideo")
            finally:
                self.mock.stop(remove_data=False)

    def start(self) -> None:
        self.mock.start(reset=False)

    def stop(self) -> None:
        self.mock.stop(remove_data=False)


def run(ctx: Context, names: list[str]) -> None:
    """boto3_create_stream at each of ``Plan.boto_sizes``."""
    if optional("boto3") is None:
        ctx.note(f"boto3 is not installed: boto3_create_stream is skipped ({INSTALL_HINT})")
        return
    plan = ctx.plan
    moto = optional("moto")
    if moto is None:
        ctx.note(f"moto is not installed: the moto baselines are skipped ({INSTALL_HINT})")
    for size in plan.boto_sizes:
        ctx.log(f"boto3 clients, worlds of {size:,} streams")
        ours = _creator(kvsim_client(kvsim_world(size)), "kv", plan.boto_calls)
        ours.system = "kvsim.boto"
        floor = _creator(floor_client(), "floor", plan.boto_calls)
        floor.system = "before-send floor"
        runners = [ours, floor]
        if moto is not None:
            world = MotoBoto(moto, size)
            theirs = _creator(world.client, "moto", plan.boto_calls)
            theirs.system = "moto+boto3"
            theirs.before, theirs.after = world.start, world.stop
            runners.append(theirs)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ctx.measure("boto3_create_stream", size, runners)


def targets(ctx: Context) -> list[Target]:
    """kvsim.boto against the floor (at most 1.2× its cost) and moto (2× / 4× faster)."""
    ratios = speed_ratios(ctx.results)
    found = []
    for size in ctx.plan.boto_sizes:
        versus = ratios.get(("boto3_create_stream", size), {})
        if "before-send floor" in versus:
            found.append(
                Target(
                    "boto3 create cost vs before-send floor",
                    f"{size:,} streams",
                    1 / versus["before-send floor"],
                    FLOOR_TARGET,
                    at_most=True,
                    unit="×",
                )
            )
        if "moto+boto3" in versus and size in MOTO_TARGETS:
            found.append(
                Target(
                    "boto3 create speed vs moto+boto3",
                    f"{size:,} streams",
                    versus["moto+boto3"],
                    MOTO_TARGETS[size],
                    at_most=False,
                    unit="×",
                )
            )
    return found


def facts_text(ctx: Context) -> str:
    """Nothing beyond the table."""
    return ""


if __name__ == "__main__":
    from benchmarks import harness

    sys.exit(harness.main(only=list(SCENARIOS)))
