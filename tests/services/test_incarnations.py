"""Incarnations of a stream never share an ARN, whatever the timings."""

from __future__ import annotations

from helpers import raises

import kvsim

ZERO = kvsim.Timings(create_delay=0, update_delay=0, delete_delay=0, call_latency=0)


def test_a_stream_deleted_and_recreated_at_zero_delays_gets_a_new_arn() -> None:
    sim = kvsim.Simulator(timings=ZERO)
    kv = sim.client("kinesisvideo")
    old = kv.create_stream(StreamName="cam")["StreamARN"]
    kv.delete_stream(StreamARN=old)
    # The name stays taken until the clock moves, even with delete_delay=0 ...
    raises(kv.create_stream, "ResourceInUseException", StreamName="cam")
    sim.advance(0.001)
    # ... so the next incarnation is created a millisecond later, with another ARN.
    new = kv.create_stream(StreamName="cam")["StreamARN"]
    assert new != old
    raises(kv.describe_stream, "ResourceNotFoundException", StreamARN=old)
    assert kv.describe_stream(StreamARN=new)["StreamInfo"]["StreamARN"] == new


def test_with_zero_delays_a_deleted_stream_is_gone_after_one_millisecond() -> None:
    sim = kvsim.Simulator(timings=ZERO)
    kv = sim.client("kinesisvideo")
    arn = kv.create_stream(StreamName="cam")["StreamARN"]
    kv.delete_stream(StreamARN=arn)
    [change] = sim.pending()
    assert change.transition == "DELETING -> DELETED"
    assert (change.due - sim.now).total_seconds() == 0.001
    assert sim.advance(0.001) == 1
    assert kv.list_streams()["StreamInfoList"] == []
