"""The real amazon-kinesis-video-streams-webrtc JavaScript SDK through kvsim serve.

``tests/js/signaling.js`` runs the SDK's ``SignalingClient`` as a master and as a
viewer (Node, with the ``ws`` package as its WebSocket) against the endpoints
GetSignalingChannelEndpoint answers under ``sim.serve()``: the viewer sends an
SDP offer and an ICE candidate, the master answers with an SDP answer and a
candidate. ``.ci/run`` installs the packages (``npm ci`` in ``tests/js``); here
they are installed if missing. Skipped only where Node or npm is missing.
"""

from __future__ import annotations

import json
import subprocess

import pytest
from helpers import JS, node_with
from signaling_helpers import REGION, served_channel

import kvsim

pytest.importorskip("websockets", reason="the signaling extra is not installed")


@pytest.fixture(scope="module")
def node() -> str:
    return node_with("amazon-kinesis-video-streams-webrtc")


def test_js_sdk_master_and_viewer_exchange_offer_answer_and_candidates(node: str) -> None:
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
    with served_channel(sim) as (_url, arn, endpoints):
        config = {
            "channelARN": arn,
            "region": REGION,
            "master": endpoints["MASTER"]["WSS"],
            "viewer": endpoints["VIEWER"]["WSS"],
        }
        run = subprocess.run(
            [node, str(JS / "signaling.js"), json.dumps(config)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert run.returncode == 0, run.stdout + run.stderr
    received = json.loads(run.stdout.strip().splitlines()[-1])["received"]
    assert [(m["type"], m["from"]) for m in received["master"]] == [
        ("sdpOffer", "js-viewer"),
        ("iceCandidate", "js-viewer"),
    ]
    assert received["master"][0]["sdp"]["type"] == "offer"
    assert [m["type"] for m in received["viewer"]] == ["sdpAnswer", "iceCandidate"]
    assert received["viewer"][0]["sdp"]["type"] == "answer"
    assert received["viewer"][1]["candidate"]["candidate"].startswith("candidate:2 ")
