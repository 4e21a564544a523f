"""The configuration operations on the wire: a real boto3 client (kvsim.boto), the AWS
CLI in process, and a scenario run by ``kvsim run``'s runner."""

from __future__ import annotations

import json
import os
from datetime import timedelta
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest
from awscli import clidriver

import kvsim
from kvsim.scenario import load_scenario, run_scenario

HUB = "arn:aws:iot:us-east-1:123456789012:thing/hub-1"
EDGE = {
    "HubDeviceArn": HUB,
    "RecorderConfig": {
        "MediaSourceConfig": {
            "MediaUriSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:cam",
            "MediaUriType": "RTSP_URI",
        },
        "ScheduleConfig": {"ScheduleExpression": "0 0/5 * * * ?", "DurationInSeconds": 300},
    },
    "DeletionConfig": {"EdgeRetentionInHours": 24, "DeleteAfterUpload": True},
}
IMAGE = {
    "Status": "ENABLED",
    "ImageSelectorType": "PRODUCER_TIMESTAMP",
    "DestinationConfig": {"Uri": "s3://bucket", "DestinationRegion": "us-east-1"},
    "SamplingInterval": 1000,
    "Format": "PNG",
    "HeightPixels": 480,
}


def test_boto3_sends_parses_and_pages_the_configuration_operations() -> None:
    sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
    kv = kvsim.boto.client(sim, region_name="us-east-1")
    for name in ("cam-1", "cam-2", "cam-3"):
        kv.create_stream(StreamName=name, DataRetentionInHours=24)
    sim.run_until_idle()
    kv.update_image_generation_configuration(StreamName="cam-1", ImageGenerationConfiguration=IMAGE)
    got = kv.describe_image_generation_configuration(StreamName="cam-1")
    assert got["ImageGenerationConfiguration"] == IMAGE
    assert "NotificationConfiguration" not in kv.describe_notification_configuration(
        StreamName="cam-1"
    )
    started = kv.start_edge_configuration_update(StreamName="cam-1", EdgeConfig=EDGE)
    assert started["SyncStatus"] == "SYNCING"
    assert started["CreationTime"] == kvsim.DEFAULT_START + timedelta(seconds=2)  # once ACTIVE
    assert started["EdgeConfig"] == EDGE
    for name in ("cam-2", "cam-3"):
        kv.start_edge_configuration_update(StreamName=name, EdgeConfig=EDGE)
    sim.advance(5)
    described = kv.describe_edge_configuration(StreamName="cam-1")
    assert described["SyncStatus"] == "IN_SYNC"
    assert described["EdgeAgentStatus"]["LastRecorderStatus"]["LastUpdatedTime"] == (
        kvsim.DEFAULT_START + timedelta(seconds=7)
    )
    pages = kv.get_paginator("list_edge_agent_configurations").paginate(
        HubDeviceArn=HUB, PaginationConfig={"PageSize": 2}
    )
    assert [[c["StreamName"] for c in p["EdgeConfigs"]] for p in pages] == [
        ["cam-1", "cam-2"],
        ["cam-3"],
    ]
    kv.delete_edge_configuration(StreamName="cam-1")
    sim.run_until_idle()
    with pytest.raises(kv.exceptions.StreamEdgeConfigurationNotFoundException) as raised:
        kv.describe_edge_configuration(StreamName="cam-1")
    assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(botocore.exceptions.ClientError) as refused:
        kv.update_image_generation_configuration(
            StreamName="cam-1", ImageGenerationConfiguration={**IMAGE, "SamplingInterval": 5}
        )
    assert refused.value.response["Error"]["Code"] == "InvalidArgumentException"


_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDCLI",
    "AWS_SECRET_ACCESS_KEY": "not-checked",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def test_the_aws_cli_drives_the_edge_operations(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in ("AWS_PROFILE", "AWS_REGION", "AWS_ENDPOINT_URL", "AWS_DEFAULT_OUTPUT"):
        monkeypatch.delenv(name, raising=False)
    for name, value in _AWS_ENV.items():
        monkeypatch.setenv(name, value)
    sim = kvsim.Simulator()

    def aws(*args: str) -> tuple[int, Any]:
        capsys.readouterr()
        with kvsim.boto.mock(sim):
            rc = clidriver.create_clidriver().main(["kinesisvideo", *args])
        out = capsys.readouterr().out
        return rc, json.loads(out) if out.strip() else None

    assert aws("create-stream", "--stream-name", "cam", "--data-retention-in-hours", "1")[0] == 0
    sim.run_until_idle()
    rc, started = aws(
        "start-edge-configuration-update", "--stream-name", "cam", "--edge-config", json.dumps(EDGE)
    )
    assert (rc, started["SyncStatus"]) == (0, "SYNCING")
    sim.run_until_idle()
    rc, listed = aws("list-edge-agent-configurations", "--hub-device-arn", HUB)
    assert (rc, [c["SyncStatus"] for c in listed["EdgeConfigs"]]) == (0, ["IN_SYNC"])
    assert aws("delete-edge-configuration", "--stream-name", "cam")[0] == 0
    sim.run_until_idle()
    assert aws("describe-edge-configuration", "--stream-name", "cam")[0] == 255  # an error


def test_a_scenario_calls_the_configuration_operations_by_their_boto3_names() -> None:
    steps = load_scenario(
        [
            {"call": "create_stream", "args": {"StreamName": "cam", "DataRetentionInHours": 1}},
            {"run_until_idle": True},
            {
                "call": "update_notification_configuration",
                "args": {
                    "StreamName": "cam",
                    "NotificationConfiguration": {
                        "Status": "ENABLED",
                        "DestinationConfig": {"Uri": "arn:aws:sns:us-east-1:123456789012:t"},
                    },
                },
            },
            {
                "call": "start_edge_configuration_update",
                "args": {"StreamName": "cam", "EdgeConfig": EDGE},
            },
            {"run_until_idle": True},
            {"call": "describe_edge_configuration", "args": {"StreamName": "cam"}},
        ]
    )
    events = run_scenario(steps, kvsim.Simulator())
    changes = [e.transition for e in events if e.kind == "change"]
    assert changes == ["CREATING -> ACTIVE", "SYNCING -> IN_SYNC"]
    last = [e for e in events if e.kind == "call"][-1]
    assert last.response is not None and last.response["SyncStatus"] == "IN_SYNC"


def test_a_served_world_answers_the_edge_operations_over_http() -> None:
    sim = kvsim.Simulator(seed=4)
    with sim.serve() as url:
        remote = boto3.session.Session().client(
            "kinesisvideo",
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="AKIDTEST",
            aws_secret_access_key="x",
            config=botocore.config.Config(retries={"max_attempts": 0}),
        )
        remote.create_stream(StreamName="cam", DataRetentionInHours=1)
        sim.run_until_idle()
        sim.set_hub_device_online(HUB, False)  # stepped in process...
        remote.start_edge_configuration_update(StreamName="cam", EdgeConfig=EDGE)
        sim.advance(900)
        described = remote.describe_edge_configuration(StreamName="cam")
        assert described["SyncStatus"] == "SYNC_FAILED"  # ...seen over HTTP
        assert HUB in described["FailedStatusDetails"]
        with pytest.raises(remote.exceptions.InvalidArgumentException):
            remote.list_edge_agent_configurations(HubDeviceArn=HUB, MaxResults=11)
