"""A complete WebRTC session through kvsim's relay: two ``aiortc`` peers over loopback.

A master and a viewer connect to the signaling WebSocket of ``sim.serve()``
at the WSS endpoints GetSignalingChannelEndpoint answers, with SigV4-presigned
URLs (botocore's ``SigV4QueryAuth``), through the ``websockets`` asyncio
client. The viewer sends its SDP offer without candidates and trickles them
as ``ICE_CANDIDATE`` messages, as the KVS SDKs do; the master answers with an
``SDP_ANSWER`` (aiortc gathers its candidates into it). Then the two
``RTCPeerConnection``\\ s connect over 127.0.0.1 (no STUN or TURN server, host
candidates on loopback only) and the master sends video frames of a known
size and brightness, which the viewer decodes.

Every wait is bounded (the whole session within :data:`SESSION_TIMEOUT`
seconds); the assertions depend on nothing but what was sent. Skipped where
aiortc (the test extra) or websockets (the signaling extra) is missing.
"""

from __future__ import annotations

import asyncio
import fractions
import json
from typing import Any

import pytest
from signaling_helpers import presign, served_channel

import kvsim
from kvsim.engine.signaling import decode, encode

pytest.importorskip("websockets", reason="the signaling extra is not installed")
aiortc = pytest.importorskip("aiortc", reason="aiortc (the test extra) is not installed")
import aioice.ice  # noqa: E402
import av  # noqa: E402
from aiortc import (  # noqa: E402
    RTCConfiguration,
    RTCPeerConnection,
    RTCSessionDescription,
    VideoStreamTrack,
)
from aiortc.sdp import candidate_from_sdp, candidate_to_sdp  # noqa: E402
from websockets.asyncio.client import ClientConnection, connect  # noqa: E402

#: Seconds for the whole session (signaling, ICE, DTLS, frames); it takes about 0.3 s.
SESSION_TIMEOUT = 30
#: Seconds to wait for any one message or frame.
STEP_TIMEOUT = 10
WIDTH, HEIGHT, LUMA = 160, 120, 200
FRAMES = 5


class GreyFrames(VideoStreamTrack):
    """Video frames of WIDTH x HEIGHT, every pixel's luma LUMA (mid-grey chroma)."""

    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    async def recv(self) -> av.VideoFrame:
        pts, time_base = await self.next_timestamp()
        frame = av.VideoFrame(WIDTH, HEIGHT, "yuv420p")
        for plane, value in zip(frame.planes, (LUMA, 128, 128), strict=True):
            plane.update(bytes([value]) * plane.buffer_size)
        frame.pts = pts
        frame.time_base = fractions.Fraction(time_base)
        self.sent += 1
        return frame


def _mean_luma(frame: av.VideoFrame) -> float:
    plane = frame.planes[0]
    data = bytes(plane)
    rows = [
        data[y * plane.line_size : y * plane.line_size + frame.width] for y in range(frame.height)
    ]
    return sum(sum(row) for row in rows) / (frame.width * frame.height)


async def _recv(ws: ClientConnection) -> dict[str, Any]:
    message: dict[str, Any] = json.loads(await asyncio.wait_for(ws.recv(), STEP_TIMEOUT))
    return message


def _peer() -> RTCPeerConnection:
    # No STUN/TURN server: only host candidates, which the test pins to loopback.
    return RTCPeerConnection(RTCConfiguration(iceServers=[]))


async def _session(arn: str, endpoints: dict[str, dict[str, str]]) -> dict[str, Any]:
    master_url = presign(endpoints["MASTER"]["WSS"], {"X-Amz-ChannelARN": arn})
    viewer_url = presign(
        endpoints["VIEWER"]["WSS"], {"X-Amz-ChannelARN": arn, "X-Amz-ClientId": "aiortc-viewer"}
    )
    master_pc, viewer_pc = _peer(), _peer()
    camera = GreyFrames()
    master_pc.addTrack(camera)
    viewer_pc.addTransceiver("video", direction="recvonly")
    track: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
    viewer_pc.on("track", lambda t: track.done() or track.set_result(t))
    seen: dict[str, Any] = {}
    try:
        async with connect(master_url) as master_ws, connect(viewer_url) as viewer_ws:
            # The viewer: an offer without candidates, then each candidate on its own.
            await viewer_pc.setLocalDescription(await viewer_pc.createOffer())
            offer_lines = viewer_pc.localDescription.sdp.splitlines()
            candidates = [line[2:] for line in offer_lines if line.startswith("a=candidate:")]
            bare = "\r\n".join(
                line
                for line in offer_lines
                if not line.startswith(("a=candidate:", "a=end-of-candidates"))
            )
            await viewer_ws.send(
                json.dumps(
                    {
                        "action": "SDP_OFFER",
                        "messagePayload": encode({"type": "offer", "sdp": bare + "\r\n"}),
                    }
                )
            )
            mid = viewer_pc.getTransceivers()[0].mid
            for line in candidates:
                payload = {"candidate": line, "sdpMid": mid, "sdpMLineIndex": 0}
                await viewer_ws.send(
                    json.dumps({"action": "ICE_CANDIDATE", "messagePayload": encode(payload)})
                )

            # The master: the offer, the trickled candidates, an answer to the sender.
            offer = await _recv(master_ws)
            viewer_id = offer["senderClientId"]
            seen["offer"] = (offer["messageType"], viewer_id)
            await master_pc.setRemoteDescription(RTCSessionDescription(**decode(offer)))
            trickled = []
            for _ in candidates:
                message = await _recv(master_ws)
                trickled.append((message["messageType"], message["senderClientId"]))
                body = decode(message)
                candidate = candidate_from_sdp(body["candidate"].removeprefix("candidate:"))
                candidate.sdpMid, candidate.sdpMLineIndex = body["sdpMid"], body["sdpMLineIndex"]
                await master_pc.addIceCandidate(candidate)
            seen["trickled"] = trickled
            seen["candidates"] = [candidate_to_sdp(candidate_from_sdp(c[10:])) for c in candidates]
            await master_pc.setLocalDescription(await master_pc.createAnswer())
            answer = {"type": "answer", "sdp": master_pc.localDescription.sdp}
            await master_ws.send(
                json.dumps(
                    {
                        "action": "SDP_ANSWER",
                        "messagePayload": encode(answer),
                        "recipientClientId": viewer_id,
                    }
                )
            )
            reply = await _recv(viewer_ws)
            seen["answer"] = (reply["messageType"], "senderClientId" in reply)
            await viewer_pc.setRemoteDescription(RTCSessionDescription(**decode(reply)))

            # The media: frames from the master's track, decoded by the viewer.
            remote = await asyncio.wait_for(track, STEP_TIMEOUT)
            seen["kind"] = remote.kind
            frames = [await asyncio.wait_for(remote.recv(), STEP_TIMEOUT) for _ in range(FRAMES)]
            seen["sizes"] = {(f.width, f.height) for f in frames}
            seen["lumas"] = [_mean_luma(f) for f in frames]
            seen["states"] = (master_pc.connectionState, viewer_pc.connectionState)
            seen["sent"] = camera.sent
    finally:
        await viewer_pc.close()
        await master_pc.close()
    return seen


def test_two_aiortc_peers_negotiate_through_the_relay_and_send_video(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Host candidates on loopback only (aioice leaves 127.0.0.1 out by default).
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
    with served_channel(sim) as (_url, arn, endpoints):
        seen = asyncio.run(asyncio.wait_for(_session(arn, endpoints), SESSION_TIMEOUT))
    assert seen["offer"] == ("SDP_OFFER", "aiortc-viewer")
    assert seen["candidates"] and all(" 127.0.0.1 " in c for c in seen["candidates"])
    assert seen["trickled"] == [("ICE_CANDIDATE", "aiortc-viewer")] * len(seen["candidates"])
    assert seen["answer"] == ("SDP_ANSWER", False)  # the master connected without a client id
    assert seen["kind"] == "video"
    assert seen["states"] == ("connected", "connected")
    assert seen["sizes"] == {(WIDTH, HEIGHT)}
    assert all(abs(luma - LUMA) < 8 for luma in seen["lumas"]), seen["lumas"]
    assert seen["sent"] >= FRAMES
