"""The relay's quotas are Limits: viewers per channel, connections and sends per second."""

from __future__ import annotations

import json

import pytest

import kvsim
from kvsim.errors import ClientLimitExceededException


def _world(**limits: object) -> tuple[kvsim.Simulator, str]:
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0), limits=kvsim.Limits(**limits))  # type: ignore[arg-type]
    arn = sim.client().create_signaling_channel(ChannelName="door")["ChannelARN"]
    sim.advance(2)
    return sim, arn


def test_the_defaults_are_aws_figures() -> None:
    limits = kvsim.Limits()
    assert (
        limits.max_viewers_per_channel,
        limits.signaling_connect_tps,
        limits.signaling_sdp_tps,
        limits.signaling_candidate_tps,
    ) == (10, 3, 5, 20)


def test_viewers_per_channel() -> None:
    sim, arn = _world(max_viewers_per_channel=2, signaling_connect_tps=None)
    for n in range(2):
        sim.signaling.connect(arn, role="VIEWER", client_id=f"v{n}")
    with pytest.raises(ClientLimitExceededException, match="already has 2 viewers"):
        sim.signaling.connect(arn, role="VIEWER", client_id="v2")
    # Replacing a viewer is not one more; a master does not count.
    sim.signaling.connect(arn, role="VIEWER", client_id="v1")
    sim.signaling.connect(arn, role="MASTER")
    sim, arn = _world(max_viewers_per_channel=None, signaling_connect_tps=None)
    for n in range(30):
        sim.signaling.connect(arn, role="VIEWER", client_id=f"v{n}")
    assert len(sim.signaling.connections(arn)["viewers"]) == 30


def test_connections_per_second_per_channel_and_role() -> None:
    sim, arn = _world(signaling_connect_tps=1)
    sim.signaling.connect(arn, role="MASTER")
    sim.signaling.connect(arn, role="VIEWER", client_id="v0")  # its own bucket
    with pytest.raises(ClientLimitExceededException, match="ConnectAsMaster"):
        sim.signaling.connect(arn, role="MASTER")
    sim.advance(1)
    sim.signaling.connect(arn, role="MASTER")
    sim, arn = _world(signaling_connect_tps=None)
    for _ in range(20):
        sim.signaling.connect(arn, role="MASTER")


def test_sends_per_second_per_connection() -> None:
    sim, arn = _world(signaling_sdp_tps=2, signaling_candidate_tps=None)
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    offers = [
        viewer.send_frame({"action": "SDP_OFFER", "messagePayload": "eA=="}) for _ in range(3)
    ]
    assert offers == [True, True, False]
    assert all(
        viewer.send_frame({"action": "ICE_CANDIDATE", "messagePayload": "eA=="}) for _ in range(100)
    )
    viewer.send("SDP_OFFER", "eA==", correlation_id="c")
    (status,) = viewer.receive()
    assert status["statusResponse"]["description"].endswith("(2 per second).")


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("max_viewers_per_channel", -1, ValueError),
        ("max_viewers_per_channel", 1.5, TypeError),
        ("max_viewers_per_channel", True, TypeError),
        ("signaling_connect_tps", 0, ValueError),
        ("signaling_sdp_tps", float("inf"), ValueError),
        ("signaling_candidate_tps", "20", TypeError),
    ],
)
def test_bad_values_are_refused(field: str, value: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=field):
        kvsim.Limits(**{field: value})  # type: ignore[arg-type]


def test_they_survive_snapshots_and_traces() -> None:
    limits = kvsim.Limits(max_viewers_per_channel=1, signaling_sdp_tps=0.5)
    sim = kvsim.Simulator(limits=limits)
    restored = kvsim.Simulator.restore(json.dumps(sim.snapshot()))
    assert restored.limits == limits
    assert kvsim.Limits.from_json(json.loads(json.dumps(limits.to_json()))) == limits
    # Limits saved before these fields existed take AWS's figures.
    old = {k: v for k, v in limits.to_json().items() if "viewers" not in k and "signaling" not in k}
    assert kvsim.Limits.from_json(old).max_viewers_per_channel == 10
