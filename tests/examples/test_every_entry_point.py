"""One plain boto3-style application, run through every entry point kvsim offers:
the facade, the ``kvsim_boto3`` fixture, ``kvsim.boto.mock``, ``sim.serve()``
and ``kvsim serve``.

The application is written as for AWS: it catches
``botocore.exceptions.ClientError`` and reads the error code, retries
throttling with back-off, paginates ListStreams (pages of 10 streams, as the
real service answers) and sleeps with ``time.sleep`` while it polls.
"""

from __future__ import annotations

import subprocess
import sys
import time
from typing import Any

import boto3
import botocore.exceptions
import pytest

import kvsim
import kvsim.boto

CAMERAS = [f"cam-{i:02}" for i in range(25)]
READER = "AKIDREADER"


def provision(kv: Any, names: list[str]) -> None:
    """Create a stream per camera (already there is fine; throttled: back off)."""
    for name in names:
        delay = 0.1
        while True:
            try:
                kv.create_stream(StreamName=name, DataRetentionInHours=24)
                break
            except botocore.exceptions.ClientError as error:
                code = error.response["Error"]["Code"]
                if code == "ResourceInUseException":
                    break
                if code != "ClientLimitExceededException":
                    raise
                time.sleep(delay)
                delay *= 2


def active_streams(kv: Any) -> dict[str, str]:
    """Every stream's status, following every ListStreams page."""
    statuses: dict[str, str] = {}
    for page in kv.get_paginator("list_streams").paginate():
        for info in page["StreamInfoList"]:
            statuses[info["StreamName"]] = info["Status"]
    return statuses


def wait_until_active(kv: Any, names: list[str]) -> int:
    """Poll until every camera's stream is ACTIVE; how many polls it took."""
    polls = 0
    while True:
        polls += 1
        statuses = active_streams(kv)
        if all(statuses.get(name) == "ACTIVE" for name in names):
            return polls
        time.sleep(0.5)


def run_application(kv: Any, reader: Any, *, virtual: bool = True) -> None:
    provision(kv, CAMERAS)
    provision(kv, CAMERAS[:3])  # a second run finds them: ResourceInUseException is fine
    polls = wait_until_active(kv, CAMERAS)
    if virtual:  # 2 s of CREATING on the virtual clock: 0.5 s sleeps, the same every run
        assert polls == 4
    assert sorted(active_streams(kv)) == CAMERAS  # all 25, across 3 pages of 10
    # A least-privilege reader lists but cannot create.
    assert len(active_streams(reader)) == 25
    with pytest.raises(botocore.exceptions.ClientError) as info:
        reader.create_stream(StreamName="intruder")
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403


def world() -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=5)
    sim.register_credentials(READER, "123456789012", allowed_actions=["kinesisvideo:List*"])
    return sim


def boto3_client(key: str, **kwargs: Any) -> Any:
    return boto3.client(
        "kinesisvideo",
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="any",
        **kwargs,
    )


def test_through_the_facade() -> None:
    sim = world()
    with sim.patch_time():
        run_application(sim.client(), sim.client(allowed_actions=["kinesisvideo:List*"]))


def test_through_the_kvsim_boto3_fixture(kvsim_time: kvsim.Simulator, kvsim_boto3: Any) -> None:
    reader = kvsim.boto.client(kvsim_time, allowed_actions=["kinesisvideo:List*"])
    run_application(kvsim_boto3, reader)


def test_through_kvsim_boto_mock() -> None:
    sim = world()
    with kvsim.boto.mock(sim), sim.patch_time():
        run_application(boto3_client("AKIDADMIN"), boto3_client(READER))


def test_through_sim_serve() -> None:
    sim = world()
    with sim.serve() as url, sim.patch_time():
        run_application(
            boto3_client("AKIDADMIN", endpoint_url=url), boto3_client(READER, endpoint_url=url)
        )


def test_through_kvsim_serve() -> None:
    # Real sleeps against a real process: its clock follows wall time, 100 x.
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kvsim",
            "serve",
            "--port",
            "0",
            "--clock-rate",
            "100",
            "--allowed-actions",
            f"{READER}=kinesisvideo:List*",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        run_application(
            boto3_client("AKIDADMIN", endpoint_url=url),
            boto3_client(READER, endpoint_url=url),
            virtual=False,  # how many polls real time allows varies
        )
    finally:
        proc.terminate()
        proc.communicate(timeout=20)
