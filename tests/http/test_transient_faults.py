"""Transient server faults that botocore retries: a real boto3 client retries them on the
virtual clock and succeeds when the fault clears."""

from __future__ import annotations

import botocore.config
import botocore.exceptions
import pytest

import kvsim
import kvsim.boto

STATUS = {"InternalFailure": 500, "ServiceUnavailable": 503, "ThrottlingException": 400}


def _client(sim: kvsim.Simulator, mode: str) -> object:
    config = botocore.config.Config(retries={"mode": mode, "max_attempts": 4})
    return kvsim.boto.client(sim, config=config)


@pytest.mark.parametrize("mode", ["standard", "legacy"])
@pytest.mark.parametrize("code", sorted(STATUS))
def test_boto3_retries_a_transient_fault_and_succeeds_when_it_clears(mode: str, code: str) -> None:
    sim = kvsim.Simulator(seed=1)
    kv = _client(sim, mode)
    kv.create_stream(StreamName="cam")  # type: ignore[attr-defined]
    sim.faults.add("describe_stream", code, times=2)
    before = sim.now
    with sim.patch_time():  # botocore's back-off sleeps pass on the virtual clock
        response = kv.describe_stream(StreamName="cam")  # type: ignore[attr-defined]
    assert response["StreamInfo"]["StreamName"] == "cam"
    assert response["ResponseMetadata"]["RetryAttempts"] == 2
    assert sim.now > before
    calls = [entry["outcome"] for entry in sim.last_calls(3)]
    assert [c.get("error") for c in calls] == [code, code, None]


@pytest.mark.parametrize("code", sorted(STATUS))
def test_a_fault_that_does_not_clear_fails_with_its_code_and_status(code: str) -> None:
    sim = kvsim.Simulator()
    kv = _client(sim, "standard")
    sim.faults.add("list_streams", code)
    with sim.patch_time(), pytest.raises(botocore.exceptions.ClientError) as info:
        kv.list_streams()  # type: ignore[attr-defined]
    error = info.value.response
    assert error["Error"]["Code"] == code
    assert error["ResponseMetadata"]["HTTPStatusCode"] == STATUS[code]
    # botocore's retries={"max_attempts": 4} means four retries after the first attempt.
    assert error["ResponseMetadata"]["RetryAttempts"] == 4
    assert [entry["outcome"]["error"] for entry in sim.last_calls(10)] == [code] * 5


def test_the_models_throttle_is_not_retried_but_the_transient_one_is() -> None:
    sim = kvsim.Simulator()
    kv = _client(sim, "standard")
    sim.faults.add("list_streams", "ClientLimitExceededException", times=1)
    with pytest.raises(botocore.exceptions.ClientError) as info:
        kv.list_streams()  # type: ignore[attr-defined]
    assert info.value.response["ResponseMetadata"]["RetryAttempts"] == 0


def test_the_facade_raises_transient_faults_with_their_status() -> None:
    sim = kvsim.Simulator()
    kv = sim.client("kinesisvideo")
    sim.faults.add("list_streams", kvsim.errors.InternalFailure, times=1)
    with pytest.raises(kvsim.errors.InternalFailure) as info:
        kv.list_streams()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert kv.list_streams()["StreamInfoList"] == []
