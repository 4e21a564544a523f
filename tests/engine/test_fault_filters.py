"""Fault filters by resource: ``stream_name`` and ``channel_name``, by name or by ARN."""

from __future__ import annotations

import pytest
from helpers import raises

import kvsim


def world() -> tuple[kvsim.Simulator, kvsim.engine.client.KinesisVideoClient]:
    sim = kvsim.Simulator(seed=0, timings=kvsim.Timings(call_latency=0))
    kv = sim.client()
    kv.create_signaling_channel(ChannelName="door")
    kv.create_signaling_channel(ChannelName="gate")
    kv.create_stream(StreamName="door")  # a stream with a channel's name
    sim.advance(3)
    return sim, kv


def test_channel_name_matches_by_name_and_by_arn() -> None:
    sim, kv = world()
    door = kv.describe_signaling_channel(ChannelName="door")["ChannelInfo"]["ChannelARN"]
    sim.faults.add("describe_signaling_channel", "ResourceInUseException", channel_name="door")
    raises(kv.describe_signaling_channel, "ResourceInUseException", ChannelName="door")
    raises(kv.describe_signaling_channel, "ResourceInUseException", ChannelARN=door)
    kv.describe_signaling_channel(ChannelName="gate")  # another channel: no fault


def test_channel_name_matches_tagging_by_channel_arn_only() -> None:
    sim, kv = world()
    door_channel = kv.describe_signaling_channel(ChannelName="door")["ChannelInfo"]["ChannelARN"]
    door_stream = kv.describe_stream(StreamName="door")["StreamInfo"]["StreamARN"]
    sim.faults.add("list_tags_for_resource", "ResourceNotFoundException", channel_name="door")
    raises(kv.list_tags_for_resource, "ResourceNotFoundException", ResourceARN=door_channel)
    # The stream called "door" is not the channel called "door".
    assert kv.list_tags_for_resource(ResourceARN=door_stream)["Tags"] == {}
    sim.faults.clear()
    sim.faults.add("list_tags_for_resource", "ResourceNotFoundException", stream_name="door")
    assert kv.list_tags_for_resource(ResourceARN=door_channel)["Tags"] == {}
    raises(kv.list_tags_for_resource, "ResourceNotFoundException", ResourceARN=door_stream)


def test_channel_name_latency_and_checks() -> None:
    sim, kv = world()
    sim.faults.add_latency("describe_signaling_channel", 2.0, channel_name="gate")
    before = sim.now
    kv.describe_signaling_channel(ChannelName="door")
    assert sim.now == before
    kv.describe_signaling_channel(ChannelName="gate")
    assert (sim.now - before).total_seconds() == 2.0
    with pytest.raises(TypeError, match="channel_name must be a str or None, not int"):
        sim.faults.add("describe_signaling_channel", "ResourceInUseException", channel_name=3)  # type: ignore[arg-type]


def test_a_channel_name_rule_survives_a_snapshot_and_old_rules_load() -> None:
    sim, _ = world()
    sim.faults.add("describe_signaling_channel", "ResourceInUseException", channel_name="door")
    sim.faults.add("describe_stream", "ResourceInUseException", stream_name="door")
    data = sim.snapshot()
    rules = data["faults"]
    assert rules[0]["channel_name"] == "door"
    assert "channel_name" not in rules[1]  # written only when set
    restored = kvsim.Simulator.restore(data)
    again = restored.client()
    raises(again.describe_signaling_channel, "ResourceInUseException", ChannelName="door")
    raises(again.describe_stream, "ResourceInUseException", StreamName="door")
    data["faults"][0]["channel_name"] = 7
    with pytest.raises(ValueError, match="channel_name"):
        kvsim.Simulator.restore(data)
