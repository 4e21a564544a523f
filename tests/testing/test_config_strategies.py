"""kvsim.strategies for a stream's configurations: every value passes botocore's
validation and the simulator; bad options raise InvalidArgument at once."""

from __future__ import annotations

from typing import Any

import pytest
from _botocore_model import botocore_report, input_shape
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import kvsim
from kvsim import strategies as kvs

BOUNDED = settings(max_examples=30, database=None, deadline=None)


def _world(region: str = "us-east-1") -> tuple[kvsim.Simulator, Any]:
    sim = kvsim.Simulator(
        timings=kvsim.Timings(call_latency=0), limits=kvsim.Limits(throttling=False)
    )
    kv = sim.client(region_name=region)
    kv.create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.run_until_idle()
    return sim, kv


@BOUNDED
@given(
    kwargs=kvs.update_image_generation_configuration_kwargs(
        names=st.just("cam"), region_name="eu-west-1", with_configuration=None
    )
)
def test_image_kwargs_are_valid_for_botocore_and_the_simulator(kwargs: dict[str, Any]) -> None:
    assert botocore_report(kwargs, input_shape("UpdateImageGenerationConfiguration")) == ""
    _sim, kv = _world("eu-west-1")
    kv.update_image_generation_configuration(**kwargs)
    answer = kv.describe_image_generation_configuration(StreamName="cam")
    assert answer.get("ImageGenerationConfiguration") == kwargs.get("ImageGenerationConfiguration")


@BOUNDED
@given(kwargs=kvs.update_notification_configuration_kwargs(names=st.just("cam"), enabled=True))
def test_notification_kwargs_are_valid_and_enabled(kwargs: dict[str, Any]) -> None:
    assert kwargs["NotificationConfiguration"]["Status"] == "ENABLED"
    assert botocore_report(kwargs, input_shape("UpdateNotificationConfiguration")) == ""
    _sim, kv = _world()
    kv.update_notification_configuration(**kwargs)


@BOUNDED
@given(
    kwargs=kvs.start_edge_configuration_update_kwargs(
        names=st.just("cam"), hub_device_arns=kvs.hub_device_arns(max_name_size=4)
    )
)
def test_edge_kwargs_are_valid_and_sync(kwargs: dict[str, Any]) -> None:
    assert botocore_report(kwargs, input_shape("StartEdgeConfigurationUpdate")) == ""
    sim, kv = _world()
    assert kv.start_edge_configuration_update(**kwargs)["EdgeConfig"] == kwargs["EdgeConfig"]
    sim.run_until_idle()
    assert kv.describe_edge_configuration(StreamName="cam")["SyncStatus"] == "IN_SYNC"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: kvs.hub_device_arns(max_name_size=0), "max_name_size must be between 1 and 128"),
        (lambda: kvs.hub_device_arns(account_id="1"), "account_id must be 12 digits"),
        (lambda: kvs.image_generation_configurations(region_name="nowhere"), "region_name"),
        (lambda: kvs.notification_configurations(enabled="yes"), "enabled must be True, False"),
        (lambda: kvs.edge_configs(hub_device_arns="hub"), "must be a hypothesis strategy"),
        (
            lambda: kvs.update_image_generation_configuration_kwargs(with_configuration=1),
            "with_configuration must be True, False or None",
        ),
    ],
)
def test_bad_options_raise_at_once(make: Any, message: str) -> None:
    with pytest.raises(InvalidArgument, match=message):
        make()
