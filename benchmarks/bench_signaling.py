"""WebRTC signaling messages through the relay: in process and over WebSocket.

``signaling``: a unit is one ``ICE_CANDIDATE`` a viewer sends and the master
receives, on one ACTIVE channel (``Limits(throttling=False)``, so the 20 per
second per connection quota does not apply). ``kvsim`` is the in-process
relay (``sim.signaling``: ``send`` then ``receive`` in batches); ``websocket``
is the same through ``sim.serve()`` with the ``websockets`` package's
synchronous client (the viewer sends the batch, then the master reads it).
The table shows messages per second (median); the WebSocket side is skipped
with a note where the ``signaling`` extra is not installed.
"""

from __future__ import annotations

import json
import sys
from contextlib import ExitStack
from pathlib import Path

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_signaling.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kvsim
from benchmarks.harness import SEED, Context, Runner, Target

SCENARIOS = {"signaling": "ICE candidates viewer → master: in process and over WebSocket"}
BATCH = 1_000
_FRAME = json.dumps({"action": "ICE_CANDIDATE", "messagePayload": "eyJjYW5kaWRhdGUiOiAiYyJ9"})


def _world() -> tuple[kvsim.Simulator, str]:
    sim = kvsim.Simulator(SEED, limits=kvsim.Limits(throttling=False))
    arn = sim.client().create_signaling_channel(ChannelName="bench")["ChannelARN"]
    sim.run_until_idle()
    return sim, arn


def _in_process() -> Runner:
    sim, arn = _world()
    master = sim.signaling.connect(arn, role="MASTER")
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="viewer")
    frame = json.loads(_FRAME)

    def run() -> int:
        send = viewer.send_frame
        for _ in range(BATCH):
            send(frame)
        assert len(master.receive()) == BATCH
        return BATCH

    return Runner("kvsim", run, unit="messages", note="sim.signaling send + receive")


def _presigned(url: str, arn: str, client_id: str | None) -> str:
    query = (
        "X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIDBENCH%2F20260101%2Fus-east-1"
        "%2Fkinesisvideo%2Faws4_request&X-Amz-Date=20260101T000000Z&X-Amz-Expires=299"
        f"&X-Amz-SignedHeaders=host&X-Amz-Signature={'0' * 64}&X-Amz-ChannelARN={arn}"
    )
    if client_id is not None:
        query += f"&X-Amz-ClientId={client_id}"
    return f"{url}?{query}"


def _over_websocket(stack: ExitStack) -> Runner:
    from websockets.sync.client import connect

    sim, arn = _world()
    base = stack.enter_context(sim.serve())
    root = base.replace("http://", "ws://")
    master = stack.enter_context(connect(_presigned(root + "/MASTER", arn, None)))
    viewer = stack.enter_context(connect(_presigned(root + "/VIEWER", arn, "viewer")))

    def run() -> int:
        for _ in range(BATCH):
            viewer.send(_FRAME)
        for _ in range(BATCH):
            master.recv(timeout=30)
        return BATCH

    return Runner("websocket", run, unit="messages", note="websockets sync client, sim.serve()")


def run(ctx: Context, names: list[str]) -> None:
    """The signaling scenario: messages per second through the relay."""
    if "signaling" not in names:
        return
    with ExitStack() as stack:
        runners = [_in_process()]
        try:
            runners.append(_over_websocket(stack))
        except ImportError:
            ctx.note("signaling over WebSocket skipped: pip install 'kvsim[signaling]'")
        results = ctx.measure("signaling", BATCH, runners)
        found = ctx.facts.setdefault("signaling", {})
        for result in results:
            found[result.system] = BATCH / (sorted(result.seconds)[len(result.seconds) // 2])


def targets(ctx: Context) -> list[Target]:
    """No target: the facts show messages per second."""
    return []


def facts_text(ctx: Context) -> str:
    """Messages per second of each side (median batch)."""
    found = ctx.facts.get("signaling")
    if not found:
        return ""
    parts = [f"{system} {rate:,.0f} messages/s" for system, rate in found.items()]
    return "signaling relay (ICE candidates viewer → master, median): " + ", ".join(parts)


if __name__ == "__main__":
    from benchmarks import harness

    sys.exit(harness.main(only=list(SCENARIOS)))
