"""GetIceServerConfig, SendAlexaOfferToMaster and the WebRTC storage sessions."""

from __future__ import annotations

import re

import pytest

import kvsim
from kvsim.engine.signaling import decode, encode
from kvsim.errors import (
    AccessDeniedException,
    ClientLimitExceededException,
    InvalidArgumentException,
    ParamValidationError,
    ResourceNotFoundException,
)
from kvsim.services.kinesis_video_signaling.ice import expiry_of
from kvsim.services.kinesis_video_webrtc_storage.sessions import STORAGE_CLIENT_ID
from kvsim.services.registry import DEFAULT_RATES, SERVICES

TURN = re.compile(
    r"turns?:\d{1,3}-\d{1,3}-\d{1,3}-\d{1,3}\.t-[0-9a-f]{8}\.kinesisvideo\.us-east-1\.amazonaws\.com:443\?transport=(udp|tcp)"
)


def _world() -> tuple[kvsim.Simulator, str]:
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
    arn = sim.client().create_signaling_channel(ChannelName="door")["ChannelARN"]
    sim.advance(2)
    return sim, arn


def test_declared_with_rates() -> None:
    assert list(SERVICES["kinesis-video-signaling"].simulated) == [
        "GetIceServerConfig",
        "SendAlexaOfferToMaster",
    ]
    assert list(SERVICES["kinesis-video-webrtc-storage"].simulated) == [
        "JoinStorageSession",
        "JoinStorageSessionAsViewer",
    ]
    assert DEFAULT_RATES["GetIceServerConfig"] == (100, 5)
    assert DEFAULT_RATES["JoinStorageSession"] == (50, 2)
    assert kvsim.Limits(rates={"GetIceServerConfig": (1, 1)}).rate("GetIceServerConfig") == (1, 1)


def test_ice_servers_in_aws_shapes_expiring_on_the_virtual_clock() -> None:
    sim, arn = _world()
    sig = sim.client("kinesis-video-signaling")
    servers = sig.get_ice_server_config(ChannelARN=arn, Service="TURN")["IceServerList"]
    assert len(servers) == 2
    for server in servers:
        assert len(server["Uris"]) == 3 and all(TURN.fullmatch(u) for u in server["Uris"])
        assert [u.split(":")[0] for u in server["Uris"]] == ["turn", "turns", "turns"]
        assert server["Uris"][2].endswith("transport=tcp")
        assert server["Ttl"] == 300
        assert re.fullmatch(r"[a-zA-Z0-9_.-]{1,256}", server["Password"])
        assert expiry_of(server["Username"]) == sim.now.timestamp() + 300
    again = sig.get_ice_server_config(ChannelARN=arn)["IceServerList"]
    assert again[0]["Password"] != servers[0]["Password"]  # fresh credentials per call
    assert again[0]["Uris"][0].split(".t-")[1] == servers[0]["Uris"][0].split(".t-")[1]


def test_ice_errors_and_sessions() -> None:
    sim, arn = _world()
    sig = sim.client("kinesis-video-signaling")
    with pytest.raises(sig.exceptions.InvalidClientException):
        sig.get_ice_server_config(ChannelARN=arn, ClientId="AWS_x")
    with pytest.raises(ResourceNotFoundException):
        sig.get_ice_server_config(ChannelARN=arn.replace("door", "nope"))
    with pytest.raises(ParamValidationError):
        sig.get_ice_server_config()
    for _ in range(5):  # 5 per second per channel; failed calls take no token
        sig.get_ice_server_config(ChannelARN=arn, ClientId="before-connecting")
    with pytest.raises(ClientLimitExceededException, match="GetIceServerConfig"):
        sig.get_ice_server_config(ChannelARN=arn)
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
    for _ in range(11):  # 44 minutes, never idle for 10
        sim.advance(240)
        viewer.send("ICE_CANDIDATE", {"candidate": "keep-alive"})
    sig.get_ice_server_config(ChannelARN=arn, ClientId="phone")
    sim.advance(60)
    with pytest.raises(sig.exceptions.SessionExpiredException) as caught:
        sig.get_ice_server_config(ChannelARN=arn, ClientId="phone")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    sig.get_ice_server_config(ChannelARN=arn, ClientId="other")
    denied = sim.client(
        "kinesis-video-signaling", allowed_actions=["kinesisvideo:SendAlexaOfferToMaster"]
    )
    with pytest.raises(AccessDeniedException):
        denied.get_ice_server_config(ChannelARN=arn)


def test_alexa_offer_answered_by_the_master() -> None:
    sim, arn = _world()
    sig = sim.client("kinesis-video-signaling")
    master = sim.signaling.connect(arn, role="MASTER")

    def answer(message: dict[str, object]) -> None:
        if message["messageType"] == "SDP_OFFER":
            master.send(
                "SDP_ANSWER",
                {"type": "answer", "sdp": "alexa"},
                recipient_client_id=str(message["senderClientId"]),
            )

    master.on_message = answer
    offer = encode({"type": "offer", "sdp": "from alexa"})
    result = sig.send_alexa_offer_to_master(
        ChannelARN=arn, SenderClientId="alexa-1", MessagePayload=offer
    )
    assert decode({"messagePayload": result["Answer"]}) == {"type": "answer", "sdp": "alexa"}
    (got,) = master.receive()
    assert got == {"senderClientId": "alexa-1", "messageType": "SDP_OFFER", "messagePayload": offer}
    master.on_message = None
    assert "Answer" not in sig.send_alexa_offer_to_master(
        ChannelARN=arn, SenderClientId="alexa-2", MessagePayload=offer
    )
    master.close()
    sig.send_alexa_offer_to_master(ChannelARN=arn, SenderClientId="alexa-3", MessagePayload=offer)
    later = sim.signaling.connect(arn, role="MASTER")
    assert [m["senderClientId"] for m in later.receive()] == ["alexa-3"]


def test_storage_sessions() -> None:
    sim, arn = _world()
    kv = sim.client()
    storage = sim.client("kinesis-video-webrtc-storage")
    with pytest.raises(InvalidArgumentException, match="media storage"):
        storage.join_storage_session(channelArn=arn)
    with pytest.raises(ResourceNotFoundException):
        storage.join_storage_session(channelArn=arn.replace("door", "nope"))
    stream = kv.create_stream(StreamName="door-media", DataRetentionInHours=24)["StreamARN"]
    sim.advance(3)
    kv.update_media_storage_configuration(
        ChannelARN=arn, MediaStorageConfiguration={"StreamARN": stream, "Status": "ENABLED"}
    )
    master = sim.signaling.connect(arn, role="MASTER")
    storage.join_storage_session(channelArn=arn)
    (offer,) = master.receive()
    assert offer["senderClientId"] == STORAGE_CLIENT_ID and offer["messageType"] == "SDP_OFFER"
    assert "H264" in decode(offer)["sdp"] and "opus" in decode(offer)["sdp"]
    sim.advance(1)
    storage.join_storage_session(channelArn=arn)  # the latest producer join wins
    session = sim.signaling.storage_session(arn)
    assert session is not None and session["StreamARN"] == stream
    assert session["ProducerJoins"] == 2 and session["LastProducerJoin"] == sim.now
    for n in range(3):
        storage.join_storage_session_as_viewer(channelArn=arn, clientId=f"v{n}")
        sim.advance(1)
    storage.join_storage_session_as_viewer(channelArn=arn, clientId="v0")  # replaces itself
    with pytest.raises(ClientLimitExceededException):
        storage.join_storage_session_as_viewer(channelArn=arn, clientId="v3")
    assert sim.signaling.storage_session(arn)["Viewers"] == ["v1", "v2", "v0"]
    viewer = sim.signaling.connect(arn, role="VIEWER", client_id="v0")
    # The second join's offer replaced the first while v0 was not connected.
    assert [m["senderClientId"] for m in viewer.receive()] == [STORAGE_CLIENT_ID]
    sim.advance(1)
    with pytest.raises(ClientLimitExceededException):
        for _ in range(3):
            storage.join_storage_session(channelArn=arn)
    master.close()
    viewer.close()
    sim.advance(180)
    assert sim.signaling.storage_session(arn) is None  # the producer's idle timeout
    kvsim.Simulator.restore(sim.snapshot())
