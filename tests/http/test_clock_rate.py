"""``kvsim serve --clock-rate`` and ``sim.serve(clock_rate=...)``: virtual time
following wall time, for application code that really sleeps while it polls.

Wall-clock tests here assert lower bounds only (time.sleep sleeps at least
that long), never upper bounds, so a slow machine cannot fail them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import urllib.request
from datetime import timedelta
from typing import Any

import boto3
import pytest

import kvsim
from kvsim.http.server import KvsimServer, check_clock_rate

START = kvsim.DEFAULT_START


def virtual_now(url: str) -> str:
    with urllib.request.urlopen(url + "/_kvsim/time") as answer:
        now: str = json.load(answer)["now"]
        return now


def boto3_client(url: str) -> Any:
    return boto3.client(
        "kinesisvideo",
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKID",
        aws_secret_access_key="x",
    )


def test_application_code_that_sleeps_sees_a_stream_turn_active() -> None:
    """The plain polling loop of an application: create, then sleep and describe."""
    sim = kvsim.Simulator(seed=1)
    with sim.serve(clock_rate=100) as url:  # the 2 s create delay passes in 20 ms
        kv = boto3_client(url)
        kv.create_stream(StreamName="cam-1")
        statuses = []
        for _ in range(200):
            status = kv.describe_stream(StreamName="cam-1")["StreamInfo"]["Status"]
            statuses.append(status)
            if status == "ACTIVE":
                break
            time.sleep(0.01)
    assert statuses[0] == "CREATING" and statuses[-1] == "ACTIVE"


def test_virtual_time_moves_at_least_as_the_rate_says() -> None:
    sim = kvsim.Simulator()
    with sim.serve(clock_rate=1000) as url:
        time.sleep(0.05)
        now = virtual_now(url)
    assert now >= (START + timedelta(seconds=50)).isoformat()


def test_in_process_observers_see_time_move_without_requests() -> None:
    sim = kvsim.Simulator()
    with sim.serve(clock_rate=1000):
        deadline = time.monotonic() + 10
        while sim.now == START and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sim.now > START


def test_without_a_rate_the_clock_moves_only_with_calls() -> None:
    sim = kvsim.Simulator()
    with sim.serve() as url:
        time.sleep(0.1)
        assert virtual_now(url) == START.isoformat()
    assert sim.now == START


@pytest.mark.parametrize(
    ("rate", "error", "text"),
    [
        (0, ValueError, "clock_rate must be a finite number > 0"),
        (-1, ValueError, "clock_rate must be a finite number > 0"),
        (float("nan"), ValueError, "clock_rate must be a finite number > 0"),
        (float("inf"), ValueError, "clock_rate must be a finite number > 0"),
        ("10", TypeError, "clock_rate must be a number or None, not str"),
        (True, TypeError, "clock_rate must be a number or None, not bool"),
    ],
)
def test_bad_rates_are_refused_before_anything_listens(
    rate: object, error: type[Exception], text: str
) -> None:
    with pytest.raises(error, match=text):
        check_clock_rate(rate)
    with pytest.raises(error, match=text):
        KvsimServer(("127.0.0.1", 0), clock_rate=rate)  # type: ignore[arg-type]
    sim = kvsim.Simulator()
    with pytest.raises(error, match=text), sim.serve(clock_rate=rate):  # type: ignore[arg-type]
        pass


def test_kvsim_serve_clock_rate_option() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "kvsim", "serve", "--port", "0", "--clock-rate", "3600"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        time.sleep(0.05)
        # At least 0.05 s x 3600 = 3 virtual minutes have passed.
        assert virtual_now(url) >= (START + timedelta(minutes=3)).isoformat()
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
    refused = subprocess.run(
        [sys.executable, "-m", "kvsim", "serve", "--clock-rate", "0"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert refused.returncode == 2
    assert "expected a finite number > 0 of virtual seconds per real second, got '0'" in (
        refused.stderr
    )
