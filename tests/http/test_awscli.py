"""The AWS CLI (v1, ``awscli``) driving kvsim: in process under kvsim.boto.mock, and as a
subprocess against ``kvsim serve``.

The CLI runs with an isolated environment: dummy credentials, no config or
credentials files, no profile, no endpoint overrides.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from helpers import kvsim_serve_process

import kvsim
import kvsim.boto

clidriver = pytest.importorskip(
    "awscli.clidriver", reason="awscli is not installed (pip install awscli)"
)

ACCOUNT = "123456789012"
CLI_ACCOUNT = "111122223333"
START_MS = 1767225600000
#: Environment variables that could point the CLI elsewhere; all removed.
_AWS_OVERRIDES = (
    "AWS_PROFILE",
    "AWS_DEFAULT_PROFILE",
    "AWS_SESSION_TOKEN",
    "AWS_SECURITY_TOKEN",
    "AWS_REGION",
    "AWS_ENDPOINT_URL",
    "AWS_ENDPOINT_URL_KINESIS_VIDEO",
    "AWS_CA_BUNDLE",
    "AWS_MAX_ATTEMPTS",
    "AWS_RETRY_MODE",
    "AWS_DEFAULT_OUTPUT",
    "AWS_PAGER",
)
_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "AKIDCLI",
    "AWS_SECRET_ACCESS_KEY": "not-checked",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_CONFIG_FILE": os.devnull,
    "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _arn(name: str, account: str = ACCOUNT, ms: int = START_MS, region: str = "eu-west-1") -> str:
    return f"arn:aws:kinesisvideo:{region}:{account}:stream/{name}/{ms}"


# -- in process: the CLI's own driver under kvsim.boto.mock --------------------------------


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in _AWS_OVERRIDES:
        monkeypatch.delenv(name, raising=False)
    for name, value in _AWS_ENV.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def aws(aws_env: None, sim: kvsim.Simulator, capsys: pytest.CaptureFixture[str]) -> Any:
    """``aws(*args)`` runs the CLI in process, served by ``sim``: (exit code, stdout, stderr)."""

    def run(*args: str) -> tuple[int, str, str]:
        capsys.readouterr()
        with kvsim.boto.mock(sim):
            try:
                rc = clidriver.create_clidriver().main(["kinesisvideo", *args])
            except SystemExit as exit:  # the CLI's argument parser
                rc = exit.code
        out, err = capsys.readouterr()
        return rc, out, err

    return run


def test_create_and_describe(aws: Any, sim: kvsim.Simulator) -> None:
    rc, out, _ = aws("create-stream", "--stream-name", "cam-1", "--data-retention-in-hours", "24")
    assert (rc, json.loads(out)) == (0, {"StreamARN": _arn("cam-1")})
    rc, out, _ = aws("describe-stream", "--stream-name", "cam-1")
    info = json.loads(out)["StreamInfo"]
    assert rc == 0
    assert (info["Status"], info["DataRetentionInHours"], info["CreationTime"]) == (
        "CREATING",
        24,
        1767225600.0,
    )
    sim.advance(2)
    rc, out, _ = aws("describe-stream", "--stream-arn", _arn("cam-1"), "--output", "text")
    assert rc == 0 and "\tACTIVE\t" in out


def test_account_from_the_access_key(aws: Any, sim: kvsim.Simulator) -> None:
    sim.register_credentials("AKIDCLI", CLI_ACCOUNT)
    rc, out, _ = aws("create-stream", "--stream-name", "cam-1")
    assert (rc, json.loads(out)["StreamARN"]) == (0, _arn("cam-1", CLI_ACCOUNT))
    rc, out, _ = aws("create-stream", "--stream-name", "cam-2", "--region", "ap-south-1")
    assert json.loads(out)["StreamARN"] == _arn("cam-2", CLI_ACCOUNT, START_MS + 50, "ap-south-1")


def test_list_streams_pagination(aws: Any, sim: kvsim.Simulator) -> None:
    kv = sim.client(region_name="eu-west-1")
    for i in range(5):
        kv.create_stream(StreamName=f"cam-{i}")
    rc, out, _ = aws("list-streams", "--page-size", "2")
    assert rc == 0
    assert [s["StreamName"] for s in json.loads(out)["StreamInfoList"]] == [
        f"cam-{i}" for i in range(5)
    ]
    # The CLI fetched three pages of two.
    pages = [c for c in sim.last_calls(3) if c["call"] == "list_streams"]
    assert [c["args"].get("MaxResults") for c in pages] == [2, 2, 2]
    rc, out, _ = aws("list-streams", "--max-items", "2")
    first = json.loads(out)
    assert [s["StreamName"] for s in first["StreamInfoList"]] == ["cam-0", "cam-1"]
    rc, out, _ = aws("list-streams", "--starting-token", first["NextToken"], "--page-size", "2")
    rest = json.loads(out)
    assert [s["StreamName"] for s in rest["StreamInfoList"]] == ["cam-2", "cam-3", "cam-4"]
    assert "NextToken" not in rest


def test_errors_exit_255_with_the_message(aws: Any) -> None:
    aws("create-stream", "--stream-name", "cam-1")
    rc, out, err = aws("create-stream", "--stream-name", "cam-1")
    assert (rc, out) == (255, "")
    assert err.strip() == (
        "An error occurred (ResourceInUseException) when calling the CreateStream operation: "
        "The stream cam-1 already exists."
    )
    rc, _, err = aws("describe-stream", "--stream-name", "nope")
    assert rc == 255
    assert err.strip() == (
        "An error occurred (ResourceNotFoundException) when calling the DescribeStream "
        "operation: The requested stream is not found or not active."
    )
    rc, out, _ = aws("create-signaling-channel", "--channel-name", "chan")
    assert rc == 0
    assert json.loads(out)["ChannelARN"].startswith(
        "arn:aws:kinesisvideo:eu-west-1:123456789012:channel/chan/"
    )
    rc, _, err = aws("create-signaling-channel", "--channel-name", "chan")
    assert rc == 255
    assert err.strip() == (
        "An error occurred (ResourceInUseException) when calling the CreateSignalingChannel "
        "operation: The signaling channel chan already exists."
    )


def test_cli_side_errors_never_reach_the_simulator(aws: Any, sim: kvsim.Simulator) -> None:
    rc, _, err = aws("create-stream")
    assert rc == 2  # awscli v1's argument parser (v2 uses 252)
    assert "the following arguments are required: --stream-name" in err
    rc, _, err = aws("create-stream", "--stream-name", "a", "--data-retention-in-hours", "-1")
    assert rc == 255
    assert "Invalid value for parameter DataRetentionInHours, value: -1, valid min value: 0" in err
    assert sim.trace == []


# -- a subprocess against kvsim serve --------------------------------------------------------


@pytest.fixture(scope="module")
def served() -> Iterator[str]:
    """``kvsim serve --port 0`` in a subprocess; yields its base URL."""
    with kvsim_serve_process("--account", f"AKIDCLI={CLI_ACCOUNT}") as url:
        yield url


def aws_cli(url: str, *args: str) -> tuple[int, str, str]:
    """Run ``python -m awscli --endpoint-url URL kinesisvideo ARGS`` isolated; (rc, out, err)."""
    env = {k: v for k, v in os.environ.items() if k not in _AWS_OVERRIDES}
    env.update(_AWS_ENV)
    out = subprocess.run(
        [sys.executable, "-m", "awscli", "--endpoint-url", url, "kinesisvideo", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    return out.returncode, out.stdout, out.stderr


def control(url: str, path: str) -> Any:
    request = urllib.request.Request(url + path, method="POST")
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def test_cli_against_kvsim_serve(served: str) -> None:
    control(served, "/_kvsim/reset")
    rc, out, err = aws_cli(served, "create-stream", "--stream-name", "cam-1")
    assert (rc, json.loads(out)) == (0, {"StreamARN": _arn("cam-1", CLI_ACCOUNT)}), err
    rc, out, err = aws_cli(served, "create-stream", "--stream-name", "cam-1")
    assert (rc, out) == (255, "")
    assert err.strip() == (
        "An error occurred (ResourceInUseException) when calling the CreateStream operation: "
        "The stream cam-1 already exists."
    )
    assert control(served, "/_kvsim/advance?seconds=2") == {
        "ran": 1,
        "now": "2026-01-01T00:00:02.100000+00:00",
    }
    rc, out, _ = aws_cli(served, "describe-stream", "--stream-name", "cam-1")
    assert (rc, json.loads(out)["StreamInfo"]["Status"]) == (0, "ACTIVE")
    rc, _, err = aws_cli(served, "describe-stream", "--stream-name", "nope")
    assert rc == 255 and "(ResourceNotFoundException)" in err


def test_cli_pagination_against_kvsim_serve(served: str) -> None:
    control(served, "/_kvsim/reset")
    for i in range(3):
        assert aws_cli(served, "create-stream", "--stream-name", f"cam-{i}")[0] == 0
    rc, out, _ = aws_cli(served, "list-streams", "--max-items", "2", "--page-size", "1")
    first = json.loads(out)
    assert rc == 0
    assert [s["StreamName"] for s in first["StreamInfoList"]] == ["cam-0", "cam-1"]
    rc, out, _ = aws_cli(served, "list-streams", "--starting-token", first["NextToken"])
    assert [s["StreamName"] for s in json.loads(out)["StreamInfoList"]] == ["cam-2"]
