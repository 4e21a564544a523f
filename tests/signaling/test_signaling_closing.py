"""When the relay closes connections: the first time limit reached, a deleted channel."""

from __future__ import annotations

import kvsim


def _world() -> tuple[kvsim.Simulator, str]:
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0, channel_delete_delay=5))
    arn = sim.client().create_signaling_channel(ChannelName="door")["ChannelARN"]
    sim.advance(2)
    return sim, arn


def test_an_idle_connection_closes_as_idle_however_late_it_is_looked_at() -> None:
    sim, arn = _world()
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    sim.advance(3_550)  # idle since it opened; its GO_AWAY would have been due at 59 min
    assert viewer.closed == "the connection was idle for 10 minutes"
    assert viewer.receive() == []


def test_a_busy_connection_gets_go_away_then_reaches_its_maximum() -> None:
    sim, arn = _world()
    master = sim.signaling.connect(arn, role="MASTER")
    for _ in range(6):
        sim.advance(590)
        master.send("SDP_ANSWER", "eA==", recipient_client_id="phone")
    sim.advance(30)  # 3,570 s: the warning was due at 3,540 s
    assert [m["messageType"] for m in master.receive()] == ["GO_AWAY"]
    assert master.closed is None
    sim.advance(1_000)  # long past the hour: closed at its maximum, not as idle
    assert master.closed == "the connection reached its maximum duration (1 hour)"


def test_deleting_the_channel_closes_its_connections_at_once() -> None:
    sim, arn = _world()
    idle = sim.signaling.connect(arn, role="VIEWER", client_id="idle")
    sim.advance(599)
    busy = sim.signaling.connect(arn, role="MASTER")
    sim.advance(1)  # the viewer is idle now
    sim.client().delete_signaling_channel(ChannelARN=arn)
    sim.advance(600)
    assert idle.closed == "the connection was idle for 10 minutes"
    assert busy.closed == "the channel was deleted"
