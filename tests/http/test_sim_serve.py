"""`sim.serve()` and the `kvsim_server` fixture: one world, in process and over a URL."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

import boto3
import botocore.config
import pytest

import kvsim

pytest_plugins = ["pytester"]


def _client(url: str, service: str = "kinesisvideo") -> object:
    return boto3.session.Session().client(
        service,
        region_name="us-east-1",
        endpoint_url=url,
        aws_access_key_id="AKIDTEST",
        aws_secret_access_key="x",
        config=botocore.config.Config(retries={"max_attempts": 0}),
    )


def test_a_served_world_is_the_same_world_in_process_and_over_http() -> None:
    sim = kvsim.Simulator(seed=3)
    with sim.serve() as url:
        assert url.startswith("http://127.0.0.1:")
        remote = _client(url)
        arn = remote.create_stream(StreamName="cam")["StreamARN"]  # type: ignore[attr-defined]
        kv = sim.client("kinesisvideo")
        assert kv.describe_stream(StreamARN=arn)["StreamInfo"]["Status"] == "CREATING"
        sim.advance(5)  # stepped in process ...
        info = remote.describe_stream(StreamARN=arn)["StreamInfo"]  # type: ignore[attr-defined]
        assert info["Status"] == "ACTIVE"  # ... seen over HTTP
    with pytest.raises(urllib.error.URLError):  # the server stopped with the block
        urllib.request.urlopen(url + "/_kvsim/time", timeout=2)


def test_a_served_world_cannot_be_reset_over_http() -> None:
    sim = kvsim.Simulator()
    sim.client().create_stream(StreamName="keep")
    with sim.serve() as url:
        request = urllib.request.Request(url + "/_kvsim/reset", method="POST")
        with pytest.raises(urllib.error.HTTPError) as info:
            urllib.request.urlopen(request, timeout=5)
        assert info.value.code == 400
        assert "sim.serve()" in json.load(info.value)["Message"]
    assert [s["StreamName"] for s in sim.client().list_streams()["StreamInfoList"]] == ["keep"]


def test_the_kvsim_server_fixture_serves_the_tests_world(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import boto3

        def test_served(kvsim, kvsim_server):
            remote = boto3.client(
                "kinesisvideo", region_name="us-east-1", endpoint_url=kvsim_server,
                aws_access_key_id="A", aws_secret_access_key="B",
            )
            remote.create_stream(StreamName="cam")
            names = [s["StreamName"] for s in kvsim.client().list_streams()["StreamInfoList"]]
            assert names == ["cam"]
        """
    )
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
