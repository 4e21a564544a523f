"""What code written for boto3 also calls on a client: waiters and close()."""

from __future__ import annotations

import pytest

import kvsim
import kvsim.boto


def test_waiters_and_close_answer_as_a_real_boto3_client() -> None:
    sim = kvsim.Simulator()
    facade = sim.client("kinesisvideo")
    real = kvsim.boto.client(sim)
    assert facade.waiter_names == real.waiter_names == []
    for client in (facade, real):
        with pytest.raises(ValueError, match=r"^Waiter does not exist: stream_exists$"):
            client.get_waiter("stream_exists")
    facade.close()
    real.close()
    # Both stay usable, as botocore's does after close().
    assert facade.create_stream(StreamName="a")["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert real.describe_stream(StreamName="a")["StreamInfo"]["StreamName"] == "a"
