"""Real boto3 clients served by kvsim (kvsim.boto): every operation, success and errors.

The requests go through botocore's own validation, serialization, signing,
parsing, error factory and retry handler; kvsim answers at ``before-send``.
The same scenario through the facade (``sim.client``) and through boto3 must
give the same responses, request ids included.
"""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import botocore.exceptions
import pytest
from _botocore_model import answered_errors, modeled_errors, requests
from botocore import xform_name
from botocore.awsrequest import AWSResponse
from botocore.client import BaseClient
from hypothesis import given
from hypothesis import strategies as st

import kvsim
import kvsim.boto

ACCOUNT = "123456789012"
START_MS = 1767225600000
ARN_1 = f"arn:aws:kinesisvideo:us-east-1:{ACCOUNT}:stream/cam-1/{START_MS}"
NOT_FOUND = "The requested stream is not found or not active."


@pytest.fixture
def kv(sim: kvsim.Simulator) -> Any:
    """A real boto3 client served by ``sim`` (us-east-1, default account)."""
    return kvsim.boto.client(sim, region_name="us-east-1")


@pytest.fixture(scope="module")
def plain() -> Any:
    """An ordinary boto3 client with dummy credentials: served only under kvsim.boto.mock."""
    return boto3.session.Session(
        aws_access_key_id="AKIDPLAIN", aws_secret_access_key="x", region_name="us-east-1"
    ).client("kinesisvideo")


def boto_error(method: Callable[..., Any], code: str, status: int = 400, /, **kwargs: Any) -> Any:
    """Call a boto3 method and check it raises botocore's modeled ``code`` error."""
    client = method.__self__
    with pytest.raises(botocore.exceptions.ClientError) as info:
        method(**kwargs)
    err = info.value
    op = client.meta.method_to_api_mapping[method.__name__]
    assert type(err) is getattr(client.exceptions, code)
    assert err.response["Error"]["Code"] == code
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert err.response["ResponseMetadata"]["HTTPHeaders"]["x-amzn-errortype"] == code
    assert err.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert err.operation_name == op
    assert answered_errors(op)[code] == status
    message = err.response["Error"]["Message"]
    assert err.response["Message"] == message
    assert str(err) == f"An error occurred ({code}) when calling the {op} operation: {message}"
    return err


def test_import_kvsim_does_not_import_boto() -> None:
    # Only botocore's exceptions (kvsim's error bases), never boto3 or botocore's client.
    code = (
        "import sys, kvsim; print(sorted(m for m in sys.modules if m.split('.')[0] == 'boto3'"
        " or m in ('botocore.client', 'botocore.session', 'botocore.endpoint')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_client_is_a_genuine_boto3_client(kv: Any) -> None:
    assert isinstance(kv, BaseClient)
    assert kv.meta.service_model.service_name == "kinesisvideo"
    assert kv.meta.region_name == "us-east-1"
    assert issubclass(kv.exceptions.ResourceInUseException, botocore.exceptions.ClientError)


# -- each operation: the parsed response ---------------------------------------------------


def test_create_and_describe_stream(sim: kvsim.Simulator, kv: Any) -> None:
    created = kv.create_stream(
        StreamName="cam-1", DeviceName="dev-1", MediaType="video/h264", DataRetentionInHours=24
    )
    assert created["StreamARN"] == ARN_1
    meta = created["ResponseMetadata"]
    assert meta["RequestId"] == "00000000-0000-0000-0000-000000000001"
    assert meta["HTTPStatusCode"] == 200
    assert meta["HTTPHeaders"]["content-type"] == "application/json"
    assert meta["HTTPHeaders"]["x-amzn-requestid"] == meta["RequestId"]
    assert meta["RetryAttempts"] == 0
    info = kv.describe_stream(StreamName="cam-1")["StreamInfo"]
    assert info == {
        "DeviceName": "dev-1",
        "StreamName": "cam-1",
        "StreamARN": ARN_1,
        "MediaType": "video/h264",
        "KmsKeyId": f"arn:aws:kms:us-east-1:{ACCOUNT}:alias/aws/kinesisvideo",
        "Version": info["Version"],
        "Status": "CREATING",
        "CreationTime": kvsim.DEFAULT_START,
        "DataRetentionInHours": 24,
    }
    assert len(info["Version"]) == 20
    sim.advance(2)
    assert kv.describe_stream(StreamARN=ARN_1)["StreamInfo"]["Status"] == "ACTIVE"


def test_create_stream_errors(kv: Any) -> None:
    kv.create_stream(StreamName="cam-1")
    err = boto_error(kv.create_stream, "ResourceInUseException", StreamName="cam-1")
    assert err.response["Error"]["Message"] == "The stream cam-1 already exists."
    err = boto_error(kv.create_stream, "InvalidArgumentException", StreamName="bad name!")
    assert "Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+" in str(err)
    boto_error(
        kv.create_stream, "InvalidArgumentException", StreamName="b", DataRetentionInHours=87_601
    )


@pytest.mark.parametrize(
    ("limits", "kwargs", "code"),
    [
        (
            {"max_streams_per_account": 1},
            {"StreamName": "two"},
            "AccountStreamLimitExceededException",
        ),
        (
            {"max_tags_per_resource": 1},
            {"StreamName": "two", "Tags": {"a": "1", "b": "2"}},
            "TagsPerResourceExceededLimitException",
        ),
        (
            {"max_streams_per_device": 1},
            {"StreamName": "two", "DeviceName": "dev"},
            "DeviceStreamLimitExceededException",
        ),
        (
            {"rates": {"CreateStream": (1, None)}},
            {"StreamName": "two"},
            "ClientLimitExceededException",
        ),
    ],
)
def test_create_stream_limits(limits: dict[str, Any], kwargs: dict[str, Any], code: str) -> None:
    sim = kvsim.Simulator(limits=kvsim.Limits(**limits))
    kv = kvsim.boto.client(sim)
    kv.create_stream(StreamName="one", DeviceName="dev")
    boto_error(kv.create_stream, code, **kwargs)


def test_describe_stream_errors(kv: Any) -> None:
    assert kv.create_stream(StreamName="cam-1")["StreamARN"] == ARN_1
    err = boto_error(kv.describe_stream, "ResourceNotFoundException", 404, StreamName="nope")
    assert err.response["Error"]["Message"] == NOT_FOUND
    boto_error(kv.describe_stream, "InvalidArgumentException")
    boto_error(kv.describe_stream, "InvalidArgumentException", StreamName="cam-2", StreamARN=ARN_1)


def test_list_streams(sim: kvsim.Simulator, kv: Any) -> None:
    for name in ("b", "a", "c-1", "c-2"):
        kv.create_stream(StreamName=name)
    page = kv.list_streams(MaxResults=2)
    assert [s["StreamName"] for s in page["StreamInfoList"]] == ["a", "b"]
    rest = kv.list_streams(NextToken=page["NextToken"])
    assert [s["StreamName"] for s in rest["StreamInfoList"]] == ["c-1", "c-2"]
    assert "NextToken" not in rest
    assert rest["StreamInfoList"][0]["CreationTime"] == kvsim.DEFAULT_START + timedelta(seconds=0.1)
    prefixed = kv.list_streams(
        StreamNameCondition={"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "c-"}
    )
    assert [s["StreamName"] for s in prefixed["StreamInfoList"]] == ["c-1", "c-2"]
    boto_error(kv.list_streams, "InvalidArgumentException", NextToken="bm9wZQ==")
    boto_error(kv.list_streams, "InvalidArgumentException", MaxResults=10_001)


def test_paginator(kv: Any) -> None:
    for i in range(5):
        kv.create_stream(StreamName=f"cam-{i}")
    paginator = kv.get_paginator("list_streams")
    pages = list(paginator.paginate(PaginationConfig={"PageSize": 2}))
    assert [len(p["StreamInfoList"]) for p in pages] == [2, 2, 1]
    names = [s["StreamName"] for p in pages for s in p["StreamInfoList"]]
    assert names == [f"cam-{i}" for i in range(5)]
    first = paginator.paginate(PaginationConfig={"MaxItems": 3, "PageSize": 2}).build_full_result()
    assert [s["StreamName"] for s in first["StreamInfoList"]] == ["cam-0", "cam-1", "cam-2"]
    resumed = paginator.paginate(
        PaginationConfig={"StartingToken": first["NextToken"], "PageSize": 2}
    ).build_full_result()
    assert [s["StreamName"] for s in resumed["StreamInfoList"]] == ["cam-3", "cam-4"]


def _active_stream(sim: kvsim.Simulator, kv: Any, name: str = "cam-1") -> str:
    kv.create_stream(StreamName=name, DataRetentionInHours=24)
    sim.run_until_idle()
    return str(kv.describe_stream(StreamName=name)["StreamInfo"]["Version"])


def test_update_stream(sim: kvsim.Simulator, kv: Any) -> None:
    version = _active_stream(sim, kv)
    boto_error(
        kv.update_stream, "VersionMismatchException", StreamName="cam-1", CurrentVersion="0" * 10
    )
    kv.update_stream(StreamName="cam-1", CurrentVersion=version, MediaType="video/h265")
    info = kv.describe_stream(StreamName="cam-1")["StreamInfo"]
    assert (info["Status"], info["MediaType"]) == ("UPDATING", "video/h265")
    assert info["Version"] != version
    boto_error(
        kv.update_stream,
        "ResourceInUseException",
        StreamName="cam-1",
        CurrentVersion=info["Version"],
    )
    boto_error(
        kv.update_stream, "ResourceNotFoundException", 404, StreamName="x", CurrentVersion="v1"
    )
    boto_error(kv.update_stream, "InvalidArgumentException", CurrentVersion="v1")


def test_update_data_retention(sim: kvsim.Simulator, kv: Any) -> None:
    version = _active_stream(sim, kv)
    boto_error(
        kv.update_data_retention,
        "InvalidArgumentException",
        StreamName="cam-1",
        CurrentVersion=version,
        Operation="DECREASE_DATA_RETENTION",
        DataRetentionChangeInHours=25,
    )
    boto_error(
        kv.update_data_retention,
        "InvalidArgumentException",
        StreamName="cam-1",
        CurrentVersion=version,
        Operation="DOUBLE",
        DataRetentionChangeInHours=1,
    )
    kv.update_data_retention(
        StreamName="cam-1",
        CurrentVersion=version,
        Operation="INCREASE_DATA_RETENTION",
        DataRetentionChangeInHours=24,
    )
    info = kv.describe_stream(StreamName="cam-1")["StreamInfo"]
    assert (info["Status"], info["DataRetentionInHours"]) == ("UPDATING", 48)
    boto_error(
        kv.update_data_retention,
        "ResourceInUseException",
        StreamName="cam-1",
        CurrentVersion=info["Version"],
        Operation="INCREASE_DATA_RETENTION",
        DataRetentionChangeInHours=1,
    )


def test_delete_stream(sim: kvsim.Simulator, kv: Any) -> None:
    version = _active_stream(sim, kv)
    boto_error(kv.delete_stream, "VersionMismatchException", StreamARN=ARN_1, CurrentVersion="x1")
    assert (
        kv.delete_stream(StreamARN=ARN_1, CurrentVersion=version)["ResponseMetadata"][
            "HTTPStatusCode"
        ]
        == 200
    )
    assert kv.describe_stream(StreamARN=ARN_1)["StreamInfo"]["Status"] == "DELETING"
    boto_error(kv.delete_stream, "ResourceInUseException", StreamARN=ARN_1)
    boto_error(kv.create_stream, "ResourceInUseException", StreamName="cam-1")
    sim.advance(1)
    boto_error(kv.describe_stream, "ResourceNotFoundException", 404, StreamARN=ARN_1)
    boto_error(kv.delete_stream, "ResourceNotFoundException", 404, StreamARN=ARN_1)


def test_get_data_endpoint(sim: kvsim.Simulator, kv: Any) -> None:
    kv.create_stream(StreamName="cam-1")
    boto_error(
        kv.get_data_endpoint,
        "ResourceNotFoundException",
        404,
        StreamName="cam-1",
        APIName="GET_MEDIA",
    )
    sim.run_until_idle()
    media = kv.get_data_endpoint(StreamName="cam-1", APIName="PUT_MEDIA")["DataEndpoint"]
    other = kv.get_data_endpoint(StreamARN=ARN_1, APIName="GET_CLIP")["DataEndpoint"]
    assert media.startswith("https://s-") and media.endswith(
        ".kinesisvideo.us-east-1.amazonaws.com"
    )
    assert other.startswith("https://b-")
    assert kv.get_data_endpoint(StreamName="cam-1", APIName="GET_MEDIA")["DataEndpoint"] == media
    boto_error(kv.get_data_endpoint, "InvalidArgumentException", StreamName="cam-1", APIName="NOPE")


def test_stream_tags(kv: Any) -> None:
    kv.create_stream(StreamName="cam-1", Tags={"a": "1"})
    assert (
        kv.tag_stream(StreamARN=ARN_1, Tags={"b": "2"})["ResponseMetadata"]["HTTPStatusCode"] == 200
    )
    assert kv.list_tags_for_stream(StreamName="cam-1")["Tags"] == {"a": "1", "b": "2"}
    kv.untag_stream(StreamARN=ARN_1, TagKeyList=["a", "zz"])
    assert kv.list_tags_for_stream(StreamARN=ARN_1)["Tags"] == {"b": "2"}
    many = {f"k{i}": "v" for i in range(50)}
    boto_error(kv.tag_stream, "TagsPerResourceExceededLimitException", StreamARN=ARN_1, Tags=many)
    for method, kwargs in (
        (kv.tag_stream, {"Tags": {"a": "1"}}),
        (kv.untag_stream, {"TagKeyList": ["a"]}),
        (kv.list_tags_for_stream, {}),
    ):
        boto_error(method, "InvalidResourceFormatException", StreamARN="arn:nope", **kwargs)
        boto_error(method, "ResourceNotFoundException", 404, StreamName="nope", **kwargs)
    boto_error(
        kv.list_tags_for_stream, "InvalidArgumentException", StreamARN=ARN_1, NextToken="abc"
    )


def test_resource_tags(kv: Any) -> None:
    kv.create_stream(StreamName="cam-1")
    kv.tag_resource(ResourceARN=ARN_1, Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": ""}])
    assert kv.list_tags_for_resource(ResourceARN=ARN_1)["Tags"] == {"a": "1", "b": ""}
    kv.untag_resource(ResourceARN=ARN_1, TagKeyList=["b"])
    assert kv.list_tags_for_resource(ResourceARN=ARN_1)["Tags"] == {"a": "1"}
    gone = ARN_1[:-1] + "1"
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(50)]
    boto_error(
        kv.tag_resource, "TagsPerResourceExceededLimitException", ResourceARN=ARN_1, Tags=many
    )
    boto_error(kv.tag_resource, "ResourceNotFoundException", 404, ResourceARN=gone, Tags=many[:1])
    boto_error(kv.tag_resource, "InvalidArgumentException", ResourceARN="arn:nope", Tags=many[:1])
    boto_error(
        kv.untag_resource, "ResourceNotFoundException", 404, ResourceARN=gone, TagKeyList=["a"]
    )
    boto_error(kv.list_tags_for_resource, "ResourceNotFoundException", 404, ResourceARN=gone)


def test_storage_configuration(sim: kvsim.Simulator, kv: Any) -> None:
    version = _active_stream(sim, kv)
    described = kv.describe_stream_storage_configuration(StreamName="cam-1")
    assert described["StreamName"] == "cam-1"
    assert described["StreamARN"] == ARN_1
    assert described["StreamStorageConfiguration"] == {"DefaultStorageTier": "HOT"}
    boto_error(
        kv.update_stream_storage_configuration,
        "InvalidArgumentException",
        StreamName="cam-1",
        CurrentVersion=version,
        StreamStorageConfiguration={"DefaultStorageTier": "COLD"},
    )
    kv.update_stream_storage_configuration(
        StreamARN=ARN_1,
        CurrentVersion=version,
        StreamStorageConfiguration={"DefaultStorageTier": "WARM"},
    )
    tier = kv.describe_stream_storage_configuration(StreamARN=ARN_1)["StreamStorageConfiguration"]
    assert tier == {"DefaultStorageTier": "WARM"}
    boto_error(
        kv.update_stream_storage_configuration,
        "ResourceInUseException",
        StreamName="cam-1",
        CurrentVersion=version,
        StreamStorageConfiguration={"DefaultStorageTier": "HOT"},
    )
    sim.run_until_idle()
    boto_error(
        kv.update_stream_storage_configuration,
        "VersionMismatchException",
        StreamName="cam-1",
        CurrentVersion=version,
        StreamStorageConfiguration={"DefaultStorageTier": "HOT"},
    )
    boto_error(
        kv.describe_stream_storage_configuration, "ResourceNotFoundException", 404, StreamName="x"
    )


# -- every modeled error of every operation reaches user code as botocore's class ----------

#: Minimal valid requests (botocore sends them; injected faults fire before lookups).
PARAMS: dict[str, dict[str, Any]] = {
    "CreateStream": {"StreamName": "cam-1"},
    "DescribeStream": {"StreamName": "cam-1"},
    "ListStreams": {},
    "UpdateStream": {"StreamName": "cam-1", "CurrentVersion": "v1"},
    "UpdateDataRetention": {
        "StreamName": "cam-1",
        "CurrentVersion": "v1",
        "Operation": "INCREASE_DATA_RETENTION",
        "DataRetentionChangeInHours": 1,
    },
    "DeleteStream": {"StreamARN": ARN_1},
    "GetDataEndpoint": {"StreamName": "cam-1", "APIName": "GET_MEDIA"},
    "TagStream": {"StreamName": "cam-1", "Tags": {"a": "b"}},
    "UntagStream": {"StreamName": "cam-1", "TagKeyList": ["a"]},
    "ListTagsForStream": {"StreamName": "cam-1"},
    "TagResource": {"ResourceARN": ARN_1, "Tags": [{"Key": "a", "Value": "b"}]},
    "UntagResource": {"ResourceARN": ARN_1, "TagKeyList": ["a"]},
    "ListTagsForResource": {"ResourceARN": ARN_1},
    "DescribeStreamStorageConfiguration": {"StreamName": "cam-1"},
    "UpdateStreamStorageConfiguration": {
        "StreamName": "cam-1",
        "CurrentVersion": "v1",
        "StreamStorageConfiguration": {"DefaultStorageTier": "WARM"},
    },
    "CreateSignalingChannel": {"ChannelName": "door"},
    "DescribeSignalingChannel": {"ChannelName": "door"},
    "ListSignalingChannels": {},
    "UpdateSignalingChannel": {
        "ChannelARN": "arn:aws:kinesisvideo:us-east-1:123456789012:channel/door/1",
        "CurrentVersion": "v1",
    },
    "DeleteSignalingChannel": {
        "ChannelARN": "arn:aws:kinesisvideo:us-east-1:123456789012:channel/door/1"
    },
    "GetSignalingChannelEndpoint": {
        "ChannelARN": "arn:aws:kinesisvideo:us-east-1:123456789012:channel/door/1"
    },
    "UpdateMediaStorageConfiguration": {
        "ChannelARN": "arn:aws:kinesisvideo:us-east-1:123456789012:channel/door/1",
        "MediaStorageConfiguration": {"Status": "DISABLED"},
    },
    "DescribeMediaStorageConfiguration": {"ChannelName": "door"},
    "DescribeMappedResourceConfiguration": {"StreamName": "cam-1"},
    "UpdateImageGenerationConfiguration": {"StreamName": "cam-1"},
    "DescribeImageGenerationConfiguration": {"StreamName": "cam-1"},
    "UpdateNotificationConfiguration": {"StreamName": "cam-1"},
    "DescribeNotificationConfiguration": {"StreamName": "cam-1"},
    "StartEdgeConfigurationUpdate": {
        "StreamName": "cam-1",
        "EdgeConfig": {
            "HubDeviceArn": "arn:aws:iot:us-east-1:123456789012:thing/hub",
            "RecorderConfig": {
                "MediaSourceConfig": {
                    "MediaUriSecretArn": "arn:aws:secretsmanager:us-east-1:123456789012:secret:s",
                    "MediaUriType": "RTSP_URI",
                }
            },
        },
    },
    "DescribeEdgeConfiguration": {"StreamName": "cam-1"},
    "DeleteEdgeConfiguration": {"StreamName": "cam-1"},
    "ListEdgeAgentConfigurations": {"HubDeviceArn": "arn:aws:iot:us-east-1:123456789012:thing/hub"},
}

MODELED = [(op, code) for op in kvsim.OPERATIONS for code in sorted(modeled_errors(op))]


@pytest.mark.parametrize(("op", "code"), MODELED, ids=[f"{op}-{code}" for op, code in MODELED])
def test_every_modeled_error_reaches_user_code(
    sim: kvsim.Simulator, plain: Any, op: str, code: str
) -> None:
    sim.faults.add(op, code, times=1, message="injected")
    method = getattr(plain, xform_name(op))
    with kvsim.boto.mock(sim):
        err = boto_error(method, code, answered_errors(op)[code], **PARAMS[op])
    assert err.response["Error"]["Message"] == "injected"


def test_client_side_validation_never_reaches_the_simulator(sim: kvsim.Simulator, kv: Any) -> None:
    with pytest.raises(botocore.exceptions.ParamValidationError) as info:
        kv.create_stream(DataRetentionInHours=-1)
    assert 'Missing required parameter in input: "StreamName"' in str(info.value)
    assert "valid min value: 0" in str(info.value)
    assert sim.now == kvsim.DEFAULT_START
    assert sim.trace == []


def test_throttling_is_not_retried_by_botocore() -> None:
    sim = kvsim.Simulator(limits=kvsim.Limits(rates={"ListStreams": (2, None)}))
    kv = kvsim.boto.client(sim)
    kv.list_streams()
    kv.list_streams()
    err = boto_error(kv.list_streams, "ClientLimitExceededException")
    assert err.response["ResponseMetadata"]["RetryAttempts"] == 0
    # Exactly three requests reached the simulator: 3 x call_latency.
    assert sim.now == kvsim.DEFAULT_START + timedelta(seconds=0.15)
    assert [c["outcome"].get("error") for c in sim.last_calls(10)] == [
        None,
        None,
        "ClientLimitExceededException",
    ]


def test_unsimulated_operation_is_a_clear_error(
    sim: kvsim.Simulator, kv: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every operation of the five models is simulated: take one handler away to
    # see what an operation without one answers (a newer model's, say).
    from kvsim.services.registry import SERVICES

    service_name, operation = "kinesis-video-archived-media", "GetImages"
    monkeypatch.delitem(SERVICES[service_name].simulated, operation)
    import botocore.config

    media = kvsim.boto.client(
        sim,
        service_name=service_name,
        config=botocore.config.Config(parameter_validation=False),
    )
    with pytest.raises(botocore.exceptions.ClientError) as info:
        getattr(media, xform_name(operation))(StreamName="chan")
    err = info.value
    assert err.response["Error"]["Code"] == "UnsupportedOperationException"
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert err.response["ResponseMetadata"]["RetryAttempts"] == 0
    assert f"kvsim does not simulate {operation}" in err.response["Error"]["Message"]
    assert sim.now == kvsim.DEFAULT_START


# -- kvsim.boto.mock: which clients, which account and region ------------------------------


def _fallback(client: Any) -> list[str]:
    """Answer requests with a 418 where no earlier handler did (so never the network);
    record every URL this handler sees."""
    seen: list[str] = []

    def teapot(request: Any, **kwargs: Any) -> AWSResponse:
        seen.append(request.url)
        return AWSResponse(
            request.url, 418, {"x-amzn-ErrorType": "Teapot"}, _Raw(b'{"__type": "Teapot"}')
        )

    client.meta.events.register_last("before-send", teapot)
    return seen


class _Raw:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.data


def _new_client(
    region: str = "us-east-1", key: str = "AKIDNEW", service: str = "kinesisvideo"
) -> Any:
    session = boto3.session.Session(
        aws_access_key_id=key, aws_secret_access_key="x", region_name=region
    )
    return session.client(service)


def test_mock_serves_clients_made_before_and_during(sim: kvsim.Simulator) -> None:
    before = _new_client()
    seen = _fallback(before)
    with kvsim.boto.mock(sim) as served:
        assert served is sim
        during = _new_client(region="eu-west-1")
        assert before.create_stream(StreamName="a")["StreamARN"].startswith(
            f"arn:aws:kinesisvideo:us-east-1:{ACCOUNT}:stream/a/"
        )
        assert during.create_stream(StreamName="a")["StreamARN"].startswith(
            f"arn:aws:kinesisvideo:eu-west-1:{ACCOUNT}:stream/a/"
        )
    # (The fallback saw them too, as botocore calls every before-send handler, but
    # kvsim's answer came first.) After the mock, kvsim answers nothing:
    seen.clear()
    with pytest.raises(botocore.exceptions.ClientError) as info:
        before.list_streams()
    assert info.value.response["Error"]["Code"] == "Teapot"
    assert seen == ["https://kinesisvideo.us-east-1.amazonaws.com/listStreams"]


@pytest.mark.parametrize(
    ("service", "method", "kwargs"),
    # The five Kinesis Video services are kvsim's (see tests/http); Kinesis Data Streams is not.
    [("kinesis", "list_streams", {})],
)
def test_mock_leaves_other_services_alone(
    sim: kvsim.Simulator, service: str, method: str, kwargs: dict[str, Any]
) -> None:
    other = _new_client(service=service)
    seen = _fallback(other)
    with kvsim.boto.mock(sim), pytest.raises(botocore.exceptions.ClientError) as info:
        getattr(other, method)(**kwargs)
    assert info.value.response["Error"]["Code"] == "Teapot"
    assert len(seen) == 1
    assert sim.trace == []


def test_mock_accounts(sim: kvsim.Simulator) -> None:
    sim.register_credentials("AKIDOTHER", "111122223333")
    other, unknown = _new_client(key="AKIDOTHER"), _new_client(key="AKIDUNKNOWN")
    with kvsim.boto.mock(sim):
        assert ":111122223333:stream/a/" in other.create_stream(StreamName="a")["StreamARN"]
        assert f":{ACCOUNT}:stream/a/" in unknown.create_stream(StreamName="a")["StreamARN"]
    with kvsim.boto.mock(sim, account_id="444455556666"):
        assert ":444455556666:stream/a/" in other.create_stream(StreamName="a")["StreamARN"]


def test_mock_nests_and_decorates(plain: Any) -> None:
    outer, inner = kvsim.Simulator(seed=1), kvsim.Simulator(seed=2)
    with kvsim.boto.mock(outer):
        plain.create_stream(StreamName="outer")
        with kvsim.boto.mock(inner):
            plain.create_stream(StreamName="inner")
        plain.create_stream(StreamName="outer-2")

    @kvsim.boto.mock(inner, account_id="999988887777")
    def decorated() -> str:
        return str(plain.create_stream(StreamName="decorated")["StreamARN"])

    assert ":999988887777:" in decorated()
    assert [s["StreamName"] for s in outer.client().list_streams()["StreamInfoList"]] == [
        "outer",
        "outer-2",
    ]
    assert [s["StreamName"] for s in inner.client().list_streams()["StreamInfoList"]] == ["inner"]


def test_bound_client_keeps_its_simulator_under_a_mock(sim: kvsim.Simulator, kv: Any) -> None:
    other = kvsim.Simulator(seed=5)
    with kvsim.boto.mock(other):
        kv.create_stream(StreamName="mine")
    assert [s["StreamName"] for s in sim.client().list_streams()["StreamInfoList"]] == ["mine"]
    assert other.trace == []


def test_client_account_and_region(sim: kvsim.Simulator) -> None:
    kv = kvsim.boto.client(sim, region_name="us-gov-west-1", account_id="210987654321")
    arn = kv.create_stream(StreamName="a")["StreamARN"]
    assert arn == f"arn:aws-us-gov:kinesisvideo:us-gov-west-1:210987654321:stream/a/{START_MS}"


def test_arguments_are_checked(sim: kvsim.Simulator) -> None:
    with pytest.raises(TypeError, match=r"sim must be a kvsim\.Simulator, not str"):
        kvsim.boto.mock("sim")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="account_id must be 12 digits, got '12'"):
        kvsim.boto.mock(sim, account_id="12")
    with pytest.raises(ValueError, match=r"kvsim does not simulate service 's3'"):
        kvsim.boto.client(sim, "s3")


def test_client_needs_no_environment() -> None:
    script = (
        "import kvsim, kvsim.boto; "
        "print(kvsim.boto.client(kvsim.Simulator()).create_stream(StreamName='a')['StreamARN'])"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_PROFILE": "no-such-profile",
        "HOME": "/nonexistent",
    }
    out = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, env=env
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == f"arn:aws:kinesisvideo:us-east-1:{ACCOUNT}:stream/a/{START_MS}"


def test_clients_made_before_kvsim_boto_was_imported() -> None:
    # A fresh interpreter: a session and a client exist before kvsim.boto is imported.
    script = textwrap.dedent(
        """
        import boto3
        session = boto3.session.Session(aws_access_key_id="AKID", aws_secret_access_key="x",
                                        region_name="ap-south-1")
        early = session.client("kinesisvideo")
        import kvsim, kvsim.boto
        sim = kvsim.Simulator()
        with kvsim.boto.mock(sim):
            print(early.create_stream(StreamName="early")["StreamARN"])
            print(session.client("kinesisvideo").create_stream(StreamName="late")["StreamARN"])
            print(boto3.client("kinesisvideo", region_name="ap-south-1", aws_access_key_id="A",
                               aws_secret_access_key="x").list_streams()["StreamInfoList"][0]["StreamName"])
        """
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == [
        f"arn:aws:kinesisvideo:ap-south-1:{ACCOUNT}:stream/early/{START_MS}",
        f"arn:aws:kinesisvideo:ap-south-1:{ACCOUNT}:stream/late/{START_MS + 50}",
        "early",
    ]


# -- the facade and boto3 answer the same ---------------------------------------------------

Ctx = dict[str, Any]
Step = tuple[str, Callable[[Ctx], dict[str, Any]] | dict[str, Any] | float, str | None]

SCENARIO: list[Step] = [
    (
        "create_stream",
        {
            "StreamName": "cam-1",
            "DeviceName": "dev-1",
            "DataRetentionInHours": 24,
            "Tags": {"a": "1"},
        },
        None,
    ),
    ("create_stream", {"StreamName": "cam-1"}, "ResourceInUseException"),
    (
        "create_stream",
        {"StreamName": "cam-2", "DeviceName": "dev-1"},
        "DeviceStreamLimitExceededException",
    ),
    (
        "create_stream",
        {"StreamName": "cam-2", "Tags": {k: "v" for k in "abcd"}},
        "TagsPerResourceExceededLimitException",
    ),
    ("create_stream", {"StreamName": "bad name!"}, "InvalidArgumentException"),
    (
        "create_stream",
        {"StreamName": "cam-2", "DataRetentionInHours": 87_601},
        "InvalidArgumentException",
    ),
    ("create_stream", {"StreamName": ""}, "ParamValidationError"),
    ("create_stream", {}, "ParamValidationError"),
    ("create_stream", {"StreamName": "cam-2", "KmsKeyId": "k", "MediaType": "video/h264"}, None),
    (
        "create_stream",
        {"StreamName": "cam-3", "StreamStorageConfiguration": {"DefaultStorageTier": "WARM"}},
        None,
    ),
    ("create_stream", {"StreamName": "cam-4"}, "AccountStreamLimitExceededException"),
    ("describe_stream", {"StreamName": "cam-1"}, None),
    ("describe_stream", {"StreamName": "nope"}, "ResourceNotFoundException"),
    ("describe_stream", {}, "InvalidArgumentException"),
    ("describe_stream", {"Stream": "cam-1"}, "ParamValidationError"),
    (
        "get_data_endpoint",
        {"StreamName": "cam-1", "APIName": "PUT_MEDIA"},
        "ResourceNotFoundException",
    ),
    (
        "update_stream",
        lambda c: {"StreamARN": c["arn"], "CurrentVersion": c["version"]},
        "ResourceInUseException",
    ),
    ("advance", 2.5, None),
    ("describe_stream", lambda c: {"StreamARN": c["arn"]}, None),
    ("get_data_endpoint", {"StreamName": "cam-1", "APIName": "PUT_MEDIA"}, None),
    (
        "get_data_endpoint",
        {"StreamName": "cam-1", "APIName": "GET_HLS_STREAMING_SESSION_URL"},
        None,
    ),
    ("get_data_endpoint", {"StreamName": "cam-1", "APIName": "NOPE"}, "InvalidArgumentException"),
    (
        "update_stream",
        {"StreamName": "cam-1", "CurrentVersion": "0000000000"},
        "VersionMismatchException",
    ),
    (
        "update_stream",
        lambda c: {
            "StreamName": "cam-1",
            "CurrentVersion": c["version"],
            "MediaType": "video/h265",
        },
        None,
    ),
    ("describe_stream", {"StreamName": "cam-1"}, None),
    (
        "update_data_retention",
        lambda c: {
            "StreamName": "cam-1",
            "CurrentVersion": c["version"],
            "Operation": "INCREASE_DATA_RETENTION",
            "DataRetentionChangeInHours": 1,
        },
        "ResourceInUseException",
    ),
    ("advance", 1.5, None),
    (
        "update_data_retention",
        lambda c: {
            "StreamName": "cam-1",
            "CurrentVersion": c["version"],
            "Operation": "DECREASE_DATA_RETENTION",
            "DataRetentionChangeInHours": 100,
        },
        "InvalidArgumentException",
    ),
    (
        "update_data_retention",
        lambda c: {
            "StreamName": "cam-1",
            "CurrentVersion": c["version"],
            "Operation": "INCREASE_DATA_RETENTION",
            "DataRetentionChangeInHours": 0,
        },
        "ParamValidationError",
    ),
    (
        "update_data_retention",
        lambda c: {
            "StreamName": "cam-1",
            "CurrentVersion": c["version"],
            "Operation": "INCREASE_DATA_RETENTION",
            "DataRetentionChangeInHours": 24,
        },
        None,
    ),
    ("run_until_idle", 0, None),
    ("describe_stream", {"StreamName": "cam-1"}, None),
    ("describe_stream_storage_configuration", {"StreamName": "cam-1"}, None),
    ("describe_stream_storage_configuration", {"StreamName": "nope"}, "ResourceNotFoundException"),
    (
        "update_stream_storage_configuration",
        lambda c: {
            "StreamName": "cam-1",
            "CurrentVersion": c["version"],
            "StreamStorageConfiguration": {"DefaultStorageTier": "COLD"},
        },
        "InvalidArgumentException",
    ),
    (
        "update_stream_storage_configuration",
        lambda c: {
            "StreamName": "cam-1",
            "CurrentVersion": c["version"],
            "StreamStorageConfiguration": {"DefaultStorageTier": "WARM"},
        },
        None,
    ),
    ("tag_stream", lambda c: {"StreamARN": c["arn"], "Tags": {"b": "2"}}, None),
    (
        "tag_stream",
        lambda c: {"StreamARN": c["arn"], "Tags": {"c": "3", "d": "4"}},
        "TagsPerResourceExceededLimitException",
    ),
    ("tag_stream", {"StreamARN": "arn:bad", "Tags": {"c": "3"}}, "InvalidResourceFormatException"),
    ("tag_stream", {"StreamName": "nope", "Tags": {"c": "3"}}, "ResourceNotFoundException"),
    (
        "tag_stream",
        {"StreamName": "cam-1", "Tags": {"bad\u0000key": "3"}},
        "InvalidArgumentException",
    ),
    ("list_tags_for_stream", lambda c: {"StreamARN": c["arn"]}, None),
    (
        "list_tags_for_stream",
        {"StreamName": "cam-1", "NextToken": "abc"},
        "InvalidArgumentException",
    ),
    ("list_tags_for_stream", {"StreamName": "nope"}, "ResourceNotFoundException"),
    ("untag_stream", lambda c: {"StreamARN": c["arn"], "TagKeyList": ["b", "zz"]}, None),
    (
        "untag_stream",
        {"StreamARN": "arn:bad", "TagKeyList": ["a"]},
        "InvalidResourceFormatException",
    ),
    ("untag_stream", {"StreamName": "cam-1", "TagKeyList": []}, "ParamValidationError"),
    (
        "tag_resource",
        lambda c: {"ResourceARN": c["arn"], "Tags": [{"Key": "c", "Value": "3"}]},
        None,
    ),
    (
        "tag_resource",
        lambda c: {"ResourceARN": c["arn"], "Tags": [{"Key": k, "Value": ""} for k in "xyz"]},
        "TagsPerResourceExceededLimitException",
    ),
    (
        "tag_resource",
        lambda c: {"ResourceARN": c["arn"][:-1] + "9", "Tags": [{"Key": "c", "Value": "3"}]},
        "ResourceNotFoundException",
    ),
    (
        "tag_resource",
        {"ResourceARN": "bad", "Tags": [{"Key": "c", "Value": "3"}]},
        "InvalidArgumentException",
    ),
    (
        "tag_resource",
        lambda c: {"ResourceARN": c["arn"], "Tags": [{"Key": "c"}]},
        "ParamValidationError",
    ),
    ("list_tags_for_resource", lambda c: {"ResourceARN": c["arn"]}, None),
    (
        "list_tags_for_resource",
        lambda c: {"ResourceARN": c["arn"][:-1] + "9"},
        "ResourceNotFoundException",
    ),
    ("untag_resource", lambda c: {"ResourceARN": c["arn"], "TagKeyList": ["c"]}, None),
    (
        "untag_resource",
        lambda c: {"ResourceARN": c["arn"][:-1] + "9", "TagKeyList": ["c"]},
        "ResourceNotFoundException",
    ),
    ("list_streams", {}, None),
    ("list_streams", {"MaxResults": 1}, None),
    ("list_streams", lambda c: {"NextToken": c["token"]}, None),
    ("list_streams", {"NextToken": "!!"}, "InvalidArgumentException"),
    ("list_streams", {"MaxResults": 0}, "ParamValidationError"),
    (
        "list_streams",
        {"StreamNameCondition": {"ComparisonOperator": "BEGINS_WITH", "ComparisonValue": "cam-2"}},
        None,
    ),
    (
        "list_streams",
        {"StreamNameCondition": {"ComparisonOperator": "ENDS_WITH", "ComparisonValue": "x"}},
        "InvalidArgumentException",
    ),
    *[("describe_stream", {"StreamName": "cam-2"}, None)] * 6,
    ("describe_stream", {"StreamName": "cam-2"}, "ClientLimitExceededException"),
    (
        "delete_stream",
        lambda c: {"StreamARN": c["arn"], "CurrentVersion": "0000000000"},
        "VersionMismatchException",
    ),
    ("delete_stream", lambda c: {"StreamARN": c["arn"]}, None),
    ("delete_stream", lambda c: {"StreamARN": c["arn"]}, "ResourceInUseException"),
    ("create_stream", {"StreamName": "cam-1"}, "ResourceInUseException"),
    ("advance", 1.0, None),
    ("describe_stream", lambda c: {"StreamARN": c["arn"]}, "ResourceNotFoundException"),
    ("delete_stream", lambda c: {"StreamARN": c["arn"]}, "ResourceNotFoundException"),
    ("create_stream", {"StreamName": "cam-1"}, None),
]


def _outcome(call: Callable[[], dict[str, Any]]) -> tuple[Any, ...]:
    """What a call gave, comparable across the facade and boto3."""
    try:
        result = call()
    except (kvsim.ParamValidationError, botocore.exceptions.ParamValidationError):
        return ("ParamValidationError",)
    except (kvsim.ClientError, botocore.exceptions.ClientError) as err:
        meta = err.response["ResponseMetadata"]
        error = err.response["Error"]
        return (error["Code"], error["Message"], meta["HTTPStatusCode"], meta["RequestId"])
    meta = result.pop("ResponseMetadata")
    return (None, result, meta["HTTPStatusCode"], meta["RequestId"])


def _run(sim: kvsim.Simulator, client: Any, steps: list[Step]) -> list[tuple[Any, ...]]:
    ctx: Ctx = {}
    transcript = []
    for method, arg, expected in steps:
        if method == "advance":
            assert isinstance(arg, float)
            sim.advance(arg)
            continue
        if method == "run_until_idle":
            sim.run_until_idle()
            continue
        kwargs = arg(ctx) if callable(arg) else dict(arg)  # type: ignore[arg-type]
        outcome = _outcome(lambda: getattr(client, method)(**kwargs))  # noqa: B023
        assert outcome[0] == expected, (method, kwargs, outcome)
        transcript.append(outcome)
        result = outcome[1] if outcome[0] is None else {}
        if "StreamARN" in result and method == "create_stream":
            ctx.setdefault("arn", result["StreamARN"])
        if "StreamInfo" in result:
            ctx["version"] = result["StreamInfo"]["Version"]
        if "NextToken" in result:
            ctx["token"] = result["NextToken"]
    return transcript


def _world() -> kvsim.Simulator:
    limits = kvsim.Limits(
        max_streams_per_account=3, max_tags_per_resource=3, max_streams_per_device=1
    )
    return kvsim.Simulator(seed=7, limits=limits)


def test_facade_and_boto3_give_the_same_responses() -> None:
    facade_sim, boto_sim = _world(), _world()
    facade = _run(facade_sim, facade_sim.client(), SCENARIO)
    boto = _run(boto_sim, kvsim.boto.client(boto_sim), SCENARIO)
    assert boto == facade
    assert boto_sim.now == facade_sim.now
    assert boto_sim._dump() == facade_sim._dump()
    boto_sim._check()


_METHODS = {op: xform_name(op) for op in kvsim.OPERATIONS}
_NAMES = ["cam-1", "cam-2", "a"]


@st.composite
def _calls(draw: st.DrawFn) -> tuple[str, dict[str, Any]]:
    op = draw(st.sampled_from(kvsim.OPERATIONS))
    params = draw(requests(op))
    if "StreamName" in params and draw(st.booleans()):
        params["StreamName"] = draw(st.sampled_from(_NAMES))
    return _METHODS[op], params


@given(calls=st.lists(_calls(), min_size=1, max_size=6))
def test_random_valid_requests_answer_the_same(
    plain: Any, calls: list[tuple[str, dict[str, Any]]]
) -> None:
    facade_sim, boto_sim = kvsim.Simulator(seed=3), kvsim.Simulator(seed=3)
    steps: list[Step] = [("create_stream", {"StreamName": name}, None) for name in _NAMES]
    facade_out: list[tuple[Any, ...]] = []
    boto_out: list[tuple[Any, ...]] = []
    for sim, client, out in (
        (facade_sim, facade_sim.client(), facade_out),
        (boto_sim, plain, boto_out),
    ):
        with kvsim.boto.mock(boto_sim):
            _run(sim, client, steps)
            sim.advance(2)
            for method, params in calls:
                out.append(_outcome(lambda: getattr(client, method)(**params)))  # noqa: B023
    assert boto_out == facade_out
    assert boto_sim._dump() == facade_sim._dump()
