"""A call after the virtual clock's last call instant is the client's problem over HTTP: 400."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import kvsim
from kvsim.http import rest

AUTH = {
    "Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisvideo/aws4_request"
}


def test_a_call_after_the_last_call_instant_answers_400_and_changes_nothing() -> None:
    sim = kvsim.Simulator(start=datetime(9996, 12, 31, tzinfo=UTC))
    sim.advance(366 * 86_400)  # past 9997-12-31T23:59:59.999Z, the last instant a call may start
    before = (sim.now, sim._dump())
    answer = rest.handle(sim, "POST", "/listStreams", AUTH, b"{}")
    assert answer.status == 400
    assert answer.headers["x-amzn-ErrorType"] == "BadRequestException"
    assert "9997-12-31" in json.loads(answer.body)["Message"]  # type: ignore[arg-type]
    assert (sim.now, sim._dump()) == before
