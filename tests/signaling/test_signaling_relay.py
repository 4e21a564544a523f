"""The in-process signaling relay: sim.signaling.connect, send, receive, close."""

from __future__ import annotations

import pytest

import kvsim
from kvsim.engine.signaling import SignalingClosedError, decode, encode
from kvsim.errors import (
    ClientLimitExceededException,
    InvalidArgumentException,
    ResourceNotFoundException,
)

OFFER = {"type": "offer", "sdp": "v=0"}
ANSWER = {"type": "answer", "sdp": "v=0"}


def _world(ttl: int = 60, **limits: object) -> tuple[kvsim.Simulator, str]:
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0), limits=kvsim.Limits(**limits))  # type: ignore[arg-type]
    arn = sim.client().create_signaling_channel(
        ChannelName="door", SingleMasterConfiguration={"MessageTtlSeconds": ttl}
    )["ChannelARN"]
    sim.advance(2)
    return sim, arn


def test_offer_answer_and_candidates_are_relayed() -> None:
    sim, arn = _world()
    master = sim.signaling.connect(arn, role="MASTER")
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    viewer.send("SDP_OFFER", OFFER)
    viewer.send("ICE_CANDIDATE", {"candidate": "c1"}, recipient_client_id="ignored")
    got = master.receive()
    assert [(m["senderClientId"], m["messageType"]) for m in got] == [
        ("phone", "SDP_OFFER"),
        ("phone", "ICE_CANDIDATE"),
    ]
    assert decode(got[0]) == OFFER and got[0]["messagePayload"] == encode(OFFER)
    assert master.receive() == []
    master.send("SDP_ANSWER", ANSWER, recipient_client_id="phone")
    (answer,) = viewer.receive()
    # A master without a client id sends no senderClientId.
    assert answer == {"messageType": "SDP_ANSWER", "messagePayload": encode(ANSWER)}
    assert sim.signaling.connections(arn) == {"master": "", "viewers": ["phone"]}


def test_a_new_master_takes_over_and_the_old_one_gets_go_away() -> None:
    sim, arn = _world()
    old = sim.signaling.connect(arn, role="MASTER")
    new = sim.signaling.connect(arn, role="MASTER", client_id="cam-2")
    assert [m["messageType"] for m in old.receive()] == ["GO_AWAY"]
    assert old.closed == "replaced by a newer connection"
    with pytest.raises(SignalingClosedError):
        old.send("SDP_ANSWER", ANSWER, recipient_client_id="x")
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    viewer.send("SDP_OFFER", OFFER)
    assert [m["messageType"] for m in new.receive()] == ["SDP_OFFER"]
    new.send("SDP_ANSWER", ANSWER, recipient_client_id="phone")
    assert viewer.receive()[0]["senderClientId"] == "cam-2"
    # A viewer reconnecting with its client id replaces itself.
    again = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    assert [m["messageType"] for m in viewer.receive()] == ["GO_AWAY"] and viewer.closed
    assert again.closed is None


def test_ten_viewers_at_most_the_newest_refused() -> None:
    sim, arn = _world()
    viewers = []
    for n in range(10):
        viewers.append(sim.signaling.connect(arn, role="VIEWER", client_id=f"v{n}"))
        sim.advance(1)  # 3 connections per second per channel
    with pytest.raises(ClientLimitExceededException):
        sim.signaling.connect(arn, role="VIEWER", client_id="v10")
    viewers[0].close()
    sim.signaling.connect(arn, role="VIEWER", client_id="v10")
    assert len(sim.signaling.connections(arn)["viewers"]) == 10


def test_connection_rate_and_refusals() -> None:
    sim, arn = _world()
    for n in range(3):
        sim.signaling.connect(arn, role="VIEWER", client_id=f"v{n}")
    with pytest.raises(ClientLimitExceededException, match="ConnectAsViewer"):
        sim.signaling.connect(arn, role="VIEWER", client_id="v3")
    sim.advance(1)
    sim.signaling.connect(arn, role="VIEWER", client_id="v3")
    with pytest.raises(InvalidArgumentException):
        sim.signaling.connect(arn, role="VIEWER")
    with pytest.raises(InvalidArgumentException, match="AWS_"):
        sim.signaling.connect(arn, role="VIEWER", client_id="aws_me")
    with pytest.raises(ResourceNotFoundException):
        sim.signaling.connect(arn.replace("door", "nope"), role="MASTER")
    with pytest.raises(ResourceNotFoundException):
        sim.signaling.connect(arn, role="MASTER", account_id="111122223333")


def test_undelivered_messages_wait_the_channels_ttl() -> None:
    sim, arn = _world(ttl=5)
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    viewer.send("SDP_OFFER", {"type": "offer", "sdp": "first"})
    viewer.send("SDP_OFFER", {"type": "offer", "sdp": "second"})  # replaces the first
    viewer.send("ICE_CANDIDATE", {"candidate": "c1"})
    sim.advance(4.999)
    master = sim.signaling.connect(arn, role="MASTER")
    got = master.receive()
    assert [(m["messageType"], decode(m)) for m in got] == [
        ("SDP_OFFER", {"type": "offer", "sdp": "second"}),
        ("ICE_CANDIDATE", {"candidate": "c1"}),
    ]
    master.close()
    viewer.send("ICE_CANDIDATE", {"candidate": "c2"})
    sim.advance(5)  # expired: dropped
    sim.advance(1)
    master = sim.signaling.connect(arn, role="MASTER")
    assert master.receive() == []
    # To a viewer not connected (yet): held too.
    master.send("SDP_ANSWER", ANSWER, recipient_client_id="later")
    late = sim.signaling.connect(arn, role="VIEWER", client_id="later")
    assert [m["messageType"] for m in late.receive()] == ["SDP_ANSWER"]


def test_status_response_only_with_a_correlation_id() -> None:
    sim, arn = _world()
    master = sim.signaling.connect(arn, role="MASTER")
    master.send("SDP_ANSWER", ANSWER)  # no recipient: fails silently
    assert master.receive() == []
    master.send("SDP_ANSWER", ANSWER, correlation_id="c-1")
    (status,) = master.receive()
    assert status["messageType"] == "STATUS_RESPONSE"
    assert status["statusResponse"] == {
        "correlationId": "c-1",
        "errorType": "InvalidArgumentException",
        "statusCode": "400",
        "description": "A master must name the recipientClientId of the viewer.",
    }
    assert not master.send_frame(
        {"action": "HELLO", "messagePayload": "eA==", "correlationId": "c2"}
    )
    assert master.receive()[0]["statusResponse"]["errorType"] == "InvalidArgumentException"
    assert not master.send_frame(
        {"action": "SDP_OFFER", "messagePayload": "not base64!", "recipientClientId": "v"}
    )
    assert master.receive() == []
    master.send("ICE_CANDIDATE", "eA==" * 2501, recipient_client_id="v", correlation_id="big")
    assert "10000" in master.receive()[0]["statusResponse"]["description"]


def test_send_rates_per_connection() -> None:
    sim, arn = _world()
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    results = [
        viewer.send_frame(
            {"action": "SDP_OFFER", "messagePayload": "eA==", "correlationId": f"o{n}"}
        )
        for n in range(6)
    ]
    assert results == [True] * 5 + [False]
    (status,) = viewer.receive()
    assert status["statusResponse"]["errorType"] == "ClientLimitExceededException"
    assert (
        sum(
            viewer.send_frame({"action": "ICE_CANDIDATE", "messagePayload": "eA=="})
            for _ in range(25)
        )
        == 20
    )
    sim.advance(1)
    assert viewer.send_frame({"action": "SDP_OFFER", "messagePayload": "eA=="})
    free, arn2 = _world(throttling=False)
    unlimited = free.signaling.connect(arn2, role="VIEWER", client_id="phone")
    assert all(
        unlimited.send_frame({"action": "SDP_OFFER", "messagePayload": "eA=="}) for _ in range(50)
    )


def test_idle_and_maximum_connection_times() -> None:
    sim, arn = _world()
    idle = sim.signaling.connect(arn, role="VIEWER", client_id="idle")
    busy = sim.signaling.connect(arn, role="MASTER")
    for _ in range(10):
        sim.advance(299)
        busy.send("ICE_CANDIDATE", {"candidate": "c"}, recipient_client_id="nobody")
    assert idle.closed == "the connection was idle for 10 minutes"
    sim.advance(3600 - 2990 - 61)
    assert busy.receive() == []
    sim.advance(2)
    assert [m["messageType"] for m in busy.receive()] == ["GO_AWAY"]
    busy.send("ICE_CANDIDATE", {"candidate": "c"}, recipient_client_id="nobody")
    sim.advance(60)
    assert busy.closed == "the connection reached its maximum duration (1 hour)"
    assert sim.signaling.connections(arn) == {"master": None, "viewers": []}


def test_announcements_and_a_deleted_channel() -> None:
    sim, arn = _world()
    kv = sim.client()
    master = sim.signaling.connect(arn, role="MASTER")
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    assert sim.signaling.reconnect_ice_server(arn) == 2
    assert sim.signaling.go_away(arn) == 2
    assert [m["messageType"] for m in viewer.receive()] == ["RECONNECT_ICE_SERVER", "GO_AWAY"]
    kv.delete_signaling_channel(ChannelARN=arn)
    assert master.closed == viewer.closed == "the channel was deleted"
    assert sim.signaling.go_away(arn) == 0


def test_snapshots_refuse_open_connections() -> None:
    sim, arn = _world(ttl=5)
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    with pytest.raises(ValueError, match="not part of snapshots; 1 channel"):
        sim.snapshot()
    viewer.send("SDP_OFFER", OFFER)
    viewer.close()
    with pytest.raises(ValueError, match="not part of snapshots"):
        sim.snapshot()  # the offer still waits for a master
    sim.advance(5)
    copy = kvsim.Simulator.restore(sim.snapshot())
    assert copy.signaling.connections(arn) == {"master": None, "viewers": []}


def test_same_calls_same_messages() -> None:
    def run() -> list[object]:
        sim, arn = _world()
        sig = sim.client("kinesis-video-signaling")
        master = sim.signaling.connect(arn, role="MASTER")
        viewer = sim.signaling.connect(arn, role="VIEWER", client_id="p")
        viewer.send("SDP_OFFER", OFFER)
        master.send("SDP_ANSWER", ANSWER, recipient_client_id="p")
        ice = sig.get_ice_server_config(ChannelARN=arn)["IceServerList"]
        return [master.receive(), viewer.receive(), ice]

    assert run() == run()
