"""Principals: access keys mapped to an account, an identity and allowed actions,
through every entry point (facade, kvsim.boto.mock, kvsim.boto.client, sim.serve())."""

from __future__ import annotations

import json
from typing import Any

import boto3
import botocore.exceptions
import pytest

import kvsim
import kvsim.boto
from kvsim.engine.permissions import Principal

READER_ACTIONS = ["kinesisvideo:Describe*", "kinesisvideo:List*"]
ROLE = "arn:aws:sts::111122223333:assumed-role/camera-reader/session-1"


def denied_message(identity: str, action: str, resource: str) -> str:
    return (
        f"User: {identity} is not authorized to perform: kinesisvideo:{action} "
        f"on resource: {resource}"
    )


def world() -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=3)
    sim.client(account_id="111122223333").create_stream(StreamName="cam-1")
    sim.register_credentials(
        "AKIDREADER", "111122223333", allowed_actions=READER_ACTIONS, identity=ROLE
    )
    return sim


def boto3_client(key: str, **kwargs: Any) -> Any:
    return boto3.client(
        "kinesisvideo",
        region_name="us-east-1",
        aws_access_key_id=key,
        aws_secret_access_key="secret",
        **kwargs,
    )


def check_denied(error: botocore.exceptions.ClientError, action: str, resource: str) -> None:
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.response["Error"]["Message"] == denied_message(ROLE, action, resource)


# -- the principal itself ------------------------------------------------------------------


def test_register_credentials_returns_the_principal() -> None:
    sim = kvsim.Simulator()
    principal = sim.register_credentials(
        "AKIDREADER", "111122223333", allowed_actions=READER_ACTIONS, identity=ROLE
    )
    assert principal == Principal("AKIDREADER", "111122223333", tuple(READER_ACTIONS), ROLE)
    assert principal.may("DescribeStream") and principal.may("ListSignalingChannels")
    assert not principal.may("CreateStream")
    assert sim.principal_for("AKIDREADER") == principal
    assert sim.account_for("AKIDREADER") == "111122223333"
    assert sim.principal_for("AKIDOTHER") is None
    # Registering again replaces it.
    sim.register_credentials("AKIDREADER", "210987654321")
    assert sim.principal_for("AKIDREADER") == Principal("AKIDREADER", "210987654321")


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "text"),
    [
        (("", "111122223333"), {}, ValueError, "access_key_id must be 1-128"),
        (("AKID/1", "111122223333"), {}, ValueError, "access_key_id must be 1-128"),
        (("AKID", "1234"), {}, ValueError, "account_id must be 12 digits"),
        (("AKID", "111122223333"), {"allowed_actions": "kinesisvideo:*"}, TypeError, "not one str"),
        (("AKID", "111122223333"), {"allowed_actions": ["s3:GetObject"]}, ValueError, "look like"),
        (("AKID", "111122223333"), {"identity": "alice"}, ValueError, "IAM or STS ARN"),
        (
            ("AKID", "111122223333"),
            {"identity": "arn:aws:iam::444455556666:user/alice"},
            ValueError,
            "belongs to account 444455556666, not 111122223333",
        ),
    ],
)
def test_bad_principals_are_refused_and_nothing_is_registered(
    args: tuple[str, str], kwargs: dict[str, Any], error: type[Exception], text: str
) -> None:
    sim = kvsim.Simulator()
    sim.register_credentials("AKID", "210987654321")
    with pytest.raises(error, match=text):
        sim.register_credentials(*args, **kwargs)
    assert sim.principal_for("AKID") == Principal("AKID", "210987654321")


def test_principals_survive_a_snapshot() -> None:
    sim = world()
    sim.register_credentials("AKIDPLAIN", "123456789012")
    data = json.loads(json.dumps(sim.snapshot()))
    assert data["credentials"] == {
        "AKIDPLAIN": "123456789012",
        "AKIDREADER": {
            "account_id": "111122223333",
            "allowed_actions": READER_ACTIONS,
            "identity": ROLE,
        },
    }
    restored = kvsim.Simulator.restore(data)
    assert restored.principal_for("AKIDREADER") == sim.principal_for("AKIDREADER")
    assert restored.principal_for("AKIDPLAIN") == Principal("AKIDPLAIN", "123456789012")


@pytest.mark.parametrize(
    ("value", "text"),
    [
        ({"account_id": "111122223333", "shoe": 1}, "a principal has account_id"),
        ({"allowed_actions": []}, "a principal has account_id"),
        ({"account_id": "111122223333", "allowed_actions": "x"}, "expected a list"),
        ({"account_id": "111122223333", "allowed_actions": ["s3:*"]}, "look like"),
        ({"account_id": "111122223333", "identity": "bob"}, "IAM or STS ARN"),
    ],
)
def test_a_snapshot_with_a_bad_principal_is_refused(value: object, text: str) -> None:
    data = kvsim.Simulator().snapshot()
    data["credentials"] = {"AKID": value}
    with pytest.raises(ValueError, match=text):
        kvsim.Simulator.restore(data)


# -- the facade -----------------------------------------------------------------------------


def test_a_facade_client_with_an_identity_is_denied_by_name() -> None:
    sim = world()
    kv = sim.client(account_id="111122223333", allowed_actions=READER_ACTIONS, identity=ROLE)
    assert kv.describe_stream(StreamName="cam-1")["StreamInfo"]["Status"] == "CREATING"
    with pytest.raises(kv.exceptions.AccessDeniedException) as info:
        kv.update_stream(StreamName="cam-1", CurrentVersion="v1", MediaType="video/h264")
    check_denied(info.value, "UpdateStream", "cam-1")
    with pytest.raises(ValueError, match="belongs to account 111122223333, not 123456789012"):
        sim.client(identity=ROLE)


# -- boto3 through kvsim.boto ----------------------------------------------------------------


def test_mock_serves_a_registered_least_privilege_key() -> None:
    sim = world()
    reader = boto3_client("AKIDREADER")
    admin = boto3_client("AKIDADMIN")
    with kvsim.boto.mock(sim):
        assert [s["StreamName"] for s in reader.list_streams()["StreamInfoList"]] == ["cam-1"]
        before = sim._dump()
        with pytest.raises(reader.exceptions.AccessDeniedException) as info:
            reader.create_stream(StreamName="cam-2")
        check_denied(info.value, "CreateStream", "cam-2")
        assert sim._dump() == before
        # An unregistered key acts in 123456789012 with every action.
        admin.create_stream(StreamName="cam-2")
    assert sim.client().describe_stream(StreamName="cam-2")["StreamInfo"]["StreamName"] == "cam-2"


def test_boto_client_with_allowed_actions_and_identity() -> None:
    sim = world()
    reader = kvsim.boto.client(
        sim, account_id="111122223333", allowed_actions=READER_ACTIONS, identity=ROLE
    )
    assert reader.describe_stream(StreamName="cam-1")["StreamInfo"]["StreamName"] == "cam-1"
    with pytest.raises(botocore.exceptions.ClientError) as info:
        reader.update_data_retention(
            StreamName="cam-1",
            CurrentVersion="abc",
            Operation="INCREASE_DATA_RETENTION",
            DataRetentionChangeInHours=1,
        )
    assert type(info.value) is reader.exceptions.AccessDeniedException
    check_denied(info.value, "UpdateDataRetention", "cam-1")


def test_boto_client_signs_with_a_registered_key() -> None:
    sim = world()
    reader = kvsim.boto.client(sim, aws_access_key_id="AKIDREADER")
    assert reader.list_streams()["StreamInfoList"][0]["StreamName"] == "cam-1"  # its account
    with pytest.raises(botocore.exceptions.ClientError) as info:
        reader.tag_stream(StreamName="cam-1", Tags={"team": "a"})
    check_denied(info.value, "TagStream", "cam-1")


def test_boto_client_refuses_bad_principal_arguments() -> None:
    sim = kvsim.Simulator()
    with pytest.raises(TypeError, match="not one str"):
        kvsim.boto.client(sim, allowed_actions="kinesisvideo:*")
    with pytest.raises(ValueError, match="IAM or STS ARN"):
        kvsim.boto.client(sim, identity="nobody")


# -- over HTTP ------------------------------------------------------------------------------


def test_sim_serve_denies_a_registered_key() -> None:
    sim = world()
    with sim.serve() as url:
        reader = boto3_client("AKIDREADER", endpoint_url=url)
        assert reader.list_streams()["StreamInfoList"][0]["StreamName"] == "cam-1"
        with pytest.raises(botocore.exceptions.ClientError) as info:
            reader.create_stream(StreamName="cam-2")
    check_denied(info.value, "CreateStream", "cam-2")
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 0


def test_kvsim_server_takes_allowed_actions_and_identities() -> None:
    from kvsim.http.server import KvsimServer

    server = KvsimServer(
        ("127.0.0.1", 0),
        accounts={"AKIDREADER": "111122223333"},
        allowed_actions={"AKIDREADER": READER_ACTIONS, "AKIDLISTER": ["kinesisvideo:List*"]},
        identities={"AKIDREADER": ROLE},
    )
    try:
        assert server.sim.principal_for("AKIDREADER") == Principal(
            "AKIDREADER", "111122223333", tuple(READER_ACTIONS), ROLE
        )
        # A key with actions but no account acts in the default account.
        assert server.sim.principal_for("AKIDLISTER") == Principal(
            "AKIDLISTER", "123456789012", ("kinesisvideo:List*",)
        )
        # A reset keeps them.
        assert server.reset().principal_for("AKIDREADER") is not None
    finally:
        server.server_close()
    with pytest.raises(ValueError, match="belongs to account"):
        KvsimServer(("127.0.0.1", 0), identities={"AKID": ROLE})


def test_kvsim_serve_options_make_a_least_privilege_key() -> None:
    import subprocess
    import sys

    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "kvsim",
            "serve",
            "--port",
            "0",
            "--account",
            "AKIDREADER=111122223333",
            "--allowed-actions",
            "AKIDREADER=kinesisvideo:Describe*,kinesisvideo:List*",
            "--identity",
            f"AKIDREADER={ROLE}",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        reader = boto3_client("AKIDREADER", endpoint_url=url)
        assert reader.list_streams()["StreamInfoList"] == []
        with pytest.raises(botocore.exceptions.ClientError) as info:
            reader.create_stream(StreamName="cam-9")
        check_denied(info.value, "CreateStream", "cam-9")
    finally:
        proc.terminate()
        proc.communicate(timeout=20)


@pytest.mark.parametrize(
    ("option", "text"),
    [
        ("--allowed-actions=AKID=s3:GetObject", "allowed_actions entries look like"),
        ("--allowed-actions=kinesisvideo:List*", "expected ACCESS_KEY_ID=ACTION"),
        ("--identity=AKID=alice", "expected ACCESS_KEY_ID=IDENTITY_ARN"),
    ],
)
def test_kvsim_serve_refuses_bad_principal_options(option: str, text: str) -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "kvsim", "serve", option], capture_output=True, text=True, timeout=30
    )
    assert out.returncode == 2
    assert text in out.stderr


def test_kvsim_serve_refuses_an_identity_of_another_account() -> None:
    import subprocess
    import sys

    out = subprocess.run(
        [sys.executable, "-m", "kvsim", "serve", "--port", "0", f"--identity=AKID={ROLE}"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert "belongs to account 111122223333, not 123456789012" in out.stderr
