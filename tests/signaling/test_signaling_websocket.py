"""kvsim serve answers the signaling WebSocket and the signaling HTTPS endpoint."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.error
import urllib.request

import boto3
import pytest
from signaling_helpers import REGION, presign, served_channel

import kvsim
from kvsim.engine.signaling import decode, encode
from kvsim.http.endpoints import PREFIX

websockets = pytest.importorskip("websockets", reason="the signaling extra is not installed")
from websockets.asyncio.client import connect  # noqa: E402


def _sim() -> kvsim.Simulator:
    return kvsim.Simulator(timings=kvsim.Timings(call_latency=0))


def test_served_endpoints_point_back_at_the_server() -> None:
    sim = _sim()
    with served_channel(sim) as (url, arn, endpoints):
        master = endpoints["MASTER"]
        assert master["WSS"].startswith(url.replace("http://", "ws://") + PREFIX + "m-")
        assert master["WSS"].endswith(".amazonaws.com/MASTER")
        assert endpoints["VIEWER"]["WSS"].endswith("/VIEWER")
        assert master["HTTPS"].startswith(url + PREFIX + "r-")
        # In process, the same call answers AWS's endpoints.
        inside = sim.client().get_signaling_channel_endpoint(ChannelARN=arn)["ResourceEndpointList"]
        assert inside[0]["ResourceEndpoint"].startswith("wss://m-")
        signaling = boto3.client(
            "kinesis-video-signaling",
            endpoint_url=master["HTTPS"],
            region_name=REGION,
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
        )
        servers = signaling.get_ice_server_config(ChannelARN=arn)["IceServerList"]
        assert len(servers) == 2 and servers[0]["Ttl"] == 300


def test_master_and_viewer_over_websocket() -> None:
    sim = _sim()
    with served_channel(sim) as (_url, arn, endpoints):

        async def talk() -> list[dict[str, object]]:
            master_url = presign(endpoints["MASTER"]["WSS"], {"X-Amz-ChannelARN": arn})
            viewer_url = presign(
                endpoints["VIEWER"]["WSS"], {"X-Amz-ChannelARN": arn, "X-Amz-ClientId": "phone"}
            )
            got = []
            async with connect(master_url) as master, connect(viewer_url) as viewer:
                offer = encode({"type": "offer", "sdp": "v=0"})
                await viewer.send(json.dumps({"action": "SDP_OFFER", "messagePayload": offer}))
                got.append(json.loads(await master.recv()))
                answer = {
                    "action": "SDP_ANSWER",
                    "messagePayload": offer,
                    "recipientClientId": "phone",
                }
                await master.send(json.dumps(answer))
                got.append(json.loads(await viewer.recv()))
                await master.send("not json")  # ignored
                await master.send(
                    json.dumps(
                        {"action": "SDP_ANSWER", "messagePayload": offer, "correlationId": "c1"}
                    )
                )
                got.append(json.loads(await master.recv()))
                assert sim.signaling.connections(arn) == {"master": "", "viewers": ["phone"]}
                # A master connecting in process takes over: the WebSocket one gets GO_AWAY, then a close.
                sim.signaling.connect(arn, role="MASTER")
                got.append(json.loads(await master.recv()))
                with pytest.raises(websockets.exceptions.ConnectionClosedOK) as closed:
                    await master.recv()
                assert (
                    closed.value.rcvd is not None
                    and closed.value.rcvd.reason == "replaced by a newer connection"
                )
            return got

        offer, answer, status, go_away = asyncio.run(talk())
        assert offer["senderClientId"] == "phone" and decode(offer) == {
            "type": "offer",
            "sdp": "v=0",
        }
        assert answer["messageType"] == "SDP_ANSWER" and "senderClientId" not in answer
        assert status["statusResponse"]["correlationId"] == "c1"
        assert go_away == {"messageType": "GO_AWAY"}
        for _ in range(100):  # the server sees the viewer's close on its own thread
            if not sim.signaling.connections(arn)["viewers"]:
                break
            time.sleep(0.02)
        assert sim.signaling.connections(arn)["viewers"] == []


def _refusal(url: str) -> tuple[int, dict[str, object], str]:
    request = urllib.request.Request(
        url.replace("ws://", "http://"),
        headers={
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
            "Sec-WebSocket-Version": "13",
        },
    )
    with pytest.raises(urllib.error.HTTPError) as caught:
        urllib.request.urlopen(request, timeout=10)
    error = caught.value
    return error.code, json.loads(error.read()), error.headers["x-amzn-ErrorType"]


def test_presigned_url_checks() -> None:
    sim = _sim()
    sim.register_credentials("AKIDOTHER", "111122223333")
    sim.register_credentials(
        "AKIDVIEWONLY", "123456789012", allowed_actions=["kinesisvideo:ConnectAsViewer"]
    )
    with served_channel(sim) as (_url, arn, endpoints):
        wss = endpoints["MASTER"]["WSS"]
        assert _refusal(wss)[::2] == (403, "MissingAuthenticationTokenException")
        good = presign(wss, {"X-Amz-ChannelARN": arn})
        assert _refusal(good.replace("X-Amz-Signature=", "X-Amz-Signature=zz"))[::2] == (
            403,
            "IncompleteSignatureException",
        )
        assert _refusal(good.replace("kinesisvideo%2Faws4", "s3%2Faws4"))[::2] == (
            403,
            "InvalidSignatureException",
        )
        assert _refusal(presign(wss, {}))[::2] == (400, "InvalidArgumentException")
        status, body, code = _refusal(presign(wss, {"X-Amz-ChannelARN": arn}, "AKIDOTHER"))
        assert (status, code) == (403, "AccessDeniedException")
        assert "kinesisvideo:ConnectAsMaster on resource: " + arn in str(body["Message"])
        assert _refusal(presign(wss, {"X-Amz-ChannelARN": arn}, "AKIDVIEWONLY"))[::2] == (
            403,
            "AccessDeniedException",
        )
        gone = presign(wss, {"X-Amz-ChannelARN": arn.replace("door", "nope")})
        assert _refusal(gone)[::2] == (404, "ResourceNotFoundException")
        bad_viewer = presign(
            endpoints["VIEWER"]["WSS"], {"X-Amz-ChannelARN": arn, "X-Amz-ClientId": "AWS_me"}
        )
        assert _refusal(bad_viewer)[::2] == (400, "InvalidArgumentException")
        viewer = presign(
            endpoints["VIEWER"]["WSS"],
            {"X-Amz-ChannelARN": arn, "X-Amz-ClientId": "v"},
            "AKIDVIEWONLY",
        )

        async def viewer_connects() -> None:
            async with connect(viewer):
                assert sim.signaling.connections(arn)["viewers"] == ["v"]

        asyncio.run(viewer_connects())
