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


def test_meta_has_what_code_reads_of_boto3s() -> None:
    import boto3

    sim = kvsim.Simulator()
    ours = sim.client("kinesisvideo", region_name="cn-north-1")
    real = boto3.client(
        "kinesisvideo", region_name="cn-north-1", aws_access_key_id="a", aws_secret_access_key="b"
    )
    assert ours.meta.region_name == real.meta.region_name == "cn-north-1"
    assert ours.meta.partition == real.meta.partition == "aws-cn"
    model, real_model = ours.meta.service_model, real.meta.service_model
    for name in ("service_name", "service_id", "api_version", "protocol", "signing_name"):
        assert getattr(model, name) == getattr(real_model, name), name
    assert model.endpoint_prefix == real_model.endpoint_prefix
    assert model.operation_names == real_model.operation_names
    media = sim.client("kinesis-video-media")
    assert media.meta.service_model.operation_names == ["GetMedia"]


def test_every_paginator_of_every_model_can_paginate() -> None:
    """can_paginate and get_paginator answer as boto3's for every service."""
    import boto3

    sim = kvsim.Simulator()
    for service_name in kvsim.SERVICE_NAMES:
        ours = sim.client(service_name)
        real = boto3.client(
            service_name, region_name="us-east-1", aws_access_key_id="a", aws_secret_access_key="b"
        )
        for method in sorted(real.meta.method_to_api_mapping):
            assert ours.can_paginate(method) == real.can_paginate(method), (service_name, method)
            if real.can_paginate(method):
                assert ours.get_paginator(method) is not None
