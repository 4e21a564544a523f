"""The rest-json wire layer (kvsim.http.rest): routes, response format, errors, front-door rules.

Requests here are raw (method, path, headers, body), as any HTTP client could
send them; tests/http/test_boto.py drives the same layer through real botocore.
"""

from __future__ import annotations

import json
import re
from datetime import timedelta
from typing import Any

import pytest
from _botocore_model import REAL_STATUS, error_shapes, modeled_errors, service_model
from botocore.awsrequest import HeadersDict
from botocore.parsers import RestJSONParser
from hypothesis import given
from hypothesis import strategies as st

import kvsim
from kvsim.errors import ERROR_CLASSES
from kvsim.http import rest
from kvsim.services.registry import INPUTS, SERVICES, SIMULATED

ACCOUNT = "123456789012"
START_MS = 1767225600000
REQUEST_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def auth(
    region: str = "us-east-1", access_key: str = "AKIDEXAMPLE", service: str = "kinesisvideo"
) -> dict[str, str]:
    """A SigV4 Authorization header as botocore writes it (kvsim does not check signatures)."""
    return {
        "Authorization": f"AWS4-HMAC-SHA256 Credential={access_key}/20260101/{region}/{service}/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=0123abcd"
    }


def post(sim: kvsim.Simulator, path: str, body: Any = None, **kwargs: Any) -> rest.HttpResponse:
    """POST ``body`` (a dict is sent as JSON, bytes/str as they are) with a valid Authorization."""
    raw = json.dumps(body).encode() if isinstance(body, dict) else body
    headers = kwargs.pop("headers", auth())
    return rest.handle(sim, kwargs.pop("method", "POST"), path, headers, raw, **kwargs)


def error_of(response: rest.HttpResponse) -> tuple[int, str, str]:
    """(status, x-amzn-ErrorType, Message) of an error response, checking its format."""
    assert response.headers["Content-Type"] == "application/json"
    assert REQUEST_ID.fullmatch(response.headers["x-amzn-RequestId"])
    assert response.headers["Content-Length"] == str(len(response.body))
    body = json.loads(response.body)
    assert list(body) == ["Message"]
    return response.status, response.headers["x-amzn-ErrorType"], body["Message"]


# -- routes --------------------------------------------------------------------------------

#: The operations kvsim simulates, of every service.
SIMULATED_HERE = frozenset(SIMULATED)


def test_route_table_is_the_models_request_uris() -> None:
    model = service_model()
    routes = {}
    for name in model.operation_names:
        http = model.operation_model(name).http
        assert http["method"] == "POST"
        routes[http["requestUri"]] = name
    ours = {
        path: spec.name
        for path, (service, spec) in rest.ROUTES.items()
        if service.name == "kinesisvideo"
    }
    assert ours == routes
    assert len(ours) == 32
    assert len(rest.ROUTES) == 32 + 6 + 1 + 2 + 2  # all five services on one port
    control_plane = frozenset(SERVICES["kinesisvideo"].simulated)
    assert frozenset(kvsim.OPERATIONS) == control_plane
    assert set(routes.values()) >= control_plane
    media = {"GetMedia", "ListFragments", "GetMediaForFragmentList"}
    assert media <= SIMULATED_HERE - control_plane
    assert {"/TagResource", "/UntagResource", "/ListTagsForResource"} <= set(rest.ROUTES)


def test_unknown_path_is_404_naming_it(sim: kvsim.Simulator) -> None:
    status, code, message = error_of(post(sim, "/createstream", {"StreamName": "a"}))
    assert (status, code) == (404, "UnknownOperationException")
    assert message == "No kinesisvideo operation at POST /createstream."


def test_wrong_method_is_405(sim: kvsim.Simulator) -> None:
    status, code, message = error_of(post(sim, "/describeStream", method="GET"))
    assert (status, code) == (405, "UnknownOperationException")
    assert message == "DescribeStream is POST /describeStream, not GET."


def test_unsimulated_operation_answers_unsupported(
    sim: kvsim.Simulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every operation of the five models is simulated: take one handler away to
    # see what an operation without one answers over HTTP.
    from kvsim.services.registry import SERVICES

    monkeypatch.delitem(SERVICES["kinesis-video-archived-media"].simulated, "GetClip")
    path = "/getClip"
    before = sim.now
    status, code, message = error_of(post(sim, path, {"ChannelName": "c"}))
    op = rest.ROUTES[path][1].name
    assert (status, code) == (400, "UnsupportedOperationException")
    assert message.startswith(f"kvsim does not simulate {op} (POST {path}) yet;")
    assert sim.now == before  # never reached the service
    assert sim._dump() == kvsim.Simulator(seed=0)._dump()


def test_query_string_is_ignored(sim: kvsim.Simulator) -> None:
    assert post(sim, "/listStreams?x=1", {}).status == 200


# -- success responses ---------------------------------------------------------------------


def test_success_response_format(sim: kvsim.Simulator) -> None:
    response = post(sim, "/createStream", {"StreamName": "cam-1", "DataRetentionInHours": 24})
    assert response.status == 200
    assert list(response.headers) == ["Content-Type", "x-amzn-RequestId", "Content-Length"]
    assert response.headers["Content-Type"] == "application/json"
    assert response.headers["x-amzn-RequestId"] == "00000000-0000-0000-0000-000000000001"
    assert response.body == (
        b'{"StreamARN":"arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/1767225600000"}'
    )


def test_timestamps_are_epoch_seconds_with_milliseconds(sim: kvsim.Simulator) -> None:
    sim.advance(1.234)
    post(sim, "/createStream", {"StreamName": "cam-1"})
    body = post(sim, "/describeStream", {"StreamName": "cam-1"}).body
    assert b'"CreationTime":1767225601.234,' in body
    assert json.loads(body)["StreamInfo"]["CreationTime"] == 1767225601.234
    listed = json.loads(post(sim, "/listStreams", {}).body)
    assert listed["StreamInfoList"][0]["CreationTime"] == 1767225601.234


def test_body_is_what_botocore_parses_to_the_facade_response(sim: kvsim.Simulator) -> None:
    twin = kvsim.Simulator(seed=0)
    kv = twin.client()
    post(
        sim, "/createStream", {"StreamName": "cam-1", "Tags": {"a": "b"}, "MediaType": "video/h264"}
    )
    kv.create_stream(StreamName="cam-1", Tags={"a": "b"}, MediaType="video/h264")
    response = post(sim, "/describeStream", {"StreamName": "cam-1"})
    parsed = RestJSONParser().parse(
        {
            "status_code": response.status,
            "headers": HeadersDict(response.headers),
            "body": response.body,
        },
        service_model().operation_model("DescribeStream").output_shape,
    )
    expected = kv.describe_stream(StreamName="cam-1")
    assert parsed["StreamInfo"] == expected["StreamInfo"]
    assert parsed["ResponseMetadata"]["RequestId"] == expected["ResponseMetadata"]["RequestId"]


def test_operations_without_output_answer_an_empty_object(sim: kvsim.Simulator) -> None:
    arn = json.loads(post(sim, "/createStream", {"StreamName": "cam"}).body)["StreamARN"]
    response = post(sim, "/tagStream", {"StreamARN": arn, "Tags": {"k": "v"}})
    assert (response.status, response.body) == (200, b"{}")


def test_empty_body_is_an_empty_request(sim: kvsim.Simulator) -> None:
    response = post(sim, "/listStreams", b"")
    assert (response.status, json.loads(response.body)) == (200, {"StreamInfoList": []})


# -- service errors ------------------------------------------------------------------------


@pytest.mark.parametrize("code", sorted(ERROR_CLASSES))
def test_every_modeled_error_has_the_models_status(sim: kvsim.Simulator, code: str) -> None:
    """The model's status, except where the real service is seen to answer another."""
    sim.faults.add("list_streams", code, message="injected")
    status, error_type, message = error_of(post(sim, "/listStreams", {}))
    expected = REAL_STATUS.get(code, error_shapes()[code])
    assert (status, error_type, message) == (expected, code, "injected")


def test_resource_not_found_is_404(sim: kvsim.Simulator) -> None:
    response = post(sim, "/describeStream", {"StreamName": "nope"})
    assert error_of(response) == (
        404,
        "ResourceNotFoundException",
        "The requested stream is not found or not active.",
    )
    assert modeled_errors("DescribeStream")["ResourceNotFoundException"] == 404


def test_service_side_validation_message(sim: kvsim.Simulator) -> None:
    response = post(sim, "/createStream", {"StreamName": "bad name!"})
    assert error_of(response) == (
        400,
        "InvalidArgumentException",
        "1 validation error detected: Value 'bad name!' at 'streamName' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [a-zA-Z0-9_.-]+",
    )


# -- input botocore would have refused: a service error over the wire ----------------------


@pytest.mark.parametrize(
    ("path", "body", "message"),
    [
        (
            "/createStream",
            {},
            '1 validation error detected: Missing required parameter in input: "StreamName"',
        ),
        (
            "/createStream",
            {"StreamName": "a", "DataRetentionInHours": "24"},
            "1 validation error detected: Invalid type for parameter DataRetentionInHours, "
            "value: 24, type: <class 'str'>, valid types: <class 'int'>",
        ),
        (
            "/createStream",
            {"StreamName": "a", "DataRetentionInHours": 2.5},
            "1 validation error detected: Invalid type for parameter DataRetentionInHours, "
            "value: 2.5, type: <class 'float'>, valid types: <class 'int'>",
        ),
        (
            "/describeStream",
            {"StreamName": None},
            "1 validation error detected: Invalid type for parameter StreamName, "
            "value: None, type: <class 'NoneType'>, valid types: <class 'str'>",
        ),
        (
            "/listStreams",
            {"Limit": 3},
            '1 validation error detected: Unknown parameter in input: "Limit", must be one of: '
            "MaxResults, NextToken, StreamNameCondition",
        ),
        (
            "/tagResource".replace("/t", "/T"),
            {"ResourceARN": "", "Tags": []},
            "2 validation errors detected: Invalid length for parameter ResourceARN, value: 0, "
            "valid min length: 1; Invalid length for parameter Tags, value: 0, valid min length: 1",
        ),
    ],
)
def test_client_side_problems_answer_invalid_argument(
    sim: kvsim.Simulator, path: str, body: dict[str, Any], message: str
) -> None:
    before = sim.now
    response = post(sim, path, body)
    assert error_of(response) == (400, "InvalidArgumentException", message)
    assert response.headers["x-amzn-RequestId"] == "00000000-0000-0000-0000-000000000001"
    # As a facade ParamValidationError: no time passes, nothing changes.
    assert sim.now == before
    assert sim._dump() == kvsim.Simulator(seed=0)._dump()
    assert sim.last_calls(1)[0]["outcome"]["error"] == "ParamValidationError"
    assert post(sim, "/listStreams", {}).headers["x-amzn-RequestId"].endswith("0002")


# -- the front door: credentials and bodies ------------------------------------------------


@pytest.mark.parametrize(
    ("headers", "status", "code", "message"),
    [
        ({}, 403, "MissingAuthenticationTokenException", "Missing Authentication Token"),
        (
            {"Authorization": ""},
            403,
            "MissingAuthenticationTokenException",
            "Missing Authentication Token",
        ),
        (
            {"Authorization": "Basic dXNlcjpwYXNz"},
            403,
            "IncompleteSignatureException",
            "Unsupported Authorization scheme 'Basic': kvsim reads AWS4-HMAC-SHA256 (SigV4) "
            "headers only.",
        ),
        (
            {"Authorization": "AWS4-HMAC-SHA256 SignedHeaders=host, Signature=00"},
            403,
            "IncompleteSignatureException",
            "Authorization header requires a 'Credential' parameter of the form "
            "<access key id>/<date>/<region>/kinesisvideo/aws4_request.",
        ),
        (
            {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/us-east-1/kinesisvideo"},
            403,
            "IncompleteSignatureException",
            "Authorization header requires a 'Credential' parameter of the form "
            "<access key id>/<date>/<region>/kinesisvideo/aws4_request.",
        ),
        (
            auth(service="s3"),
            403,
            "InvalidSignatureException",
            "Credential should be scoped to correct service: 'kinesisvideo', not 's3'.",
        ),
        (
            auth(region="local"),
            403,
            "InvalidSignatureException",
            "Credential should be scoped to a valid region, not 'local'.",
        ),
    ],
)
def test_credentials_are_required(
    sim: kvsim.Simulator, headers: dict[str, str], status: int, code: str, message: str
) -> None:
    before = sim.now
    response = post(sim, "/createStream", {"StreamName": "a"}, headers=headers)
    assert error_of(response) == (status, code, message)
    assert sim.now == before
    assert sim._dump() == kvsim.Simulator(seed=0)._dump()


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            b"{",
            "The request body is not valid JSON: Expecting property name enclosed in double quotes: line 1 column 2 (char 1)",
        ),
        (b"\xff\xfe\xfd", None),
        (b"[1, 2]", "The request body must be a JSON object, not an array."),
        (b'"StreamName"', "The request body must be a JSON object, not a string."),
        (b"null", "The request body must be a JSON object, not null."),
        (b"[" * 100_000 + b"]" * 100_000, None),
    ],
)
def test_unreadable_bodies_are_serialization_errors(
    sim: kvsim.Simulator, body: bytes, message: str | None
) -> None:
    status, code, text = error_of(post(sim, "/createStream", body))
    assert (status, code) == (400, "SerializationException")
    if message is not None:
        assert text == message
    else:
        assert text.startswith("The request body is not valid JSON: ")
    assert sim._dump() == kvsim.Simulator(seed=0)._dump()


def test_oversized_body_is_413(sim: kvsim.Simulator) -> None:
    body = b'{"StreamName": "' + b"a" * rest.MAX_BODY_BYTES + b'"}'
    status, code, message = error_of(post(sim, "/createStream", body))
    assert (status, code) == (413, "RequestEntityTooLargeException")
    assert message == f"The request body has {len(body)} bytes; kvsim reads at most 1048576."


def test_front_door_rejections_take_request_ids_but_no_time(sim: kvsim.Simulator) -> None:
    first = post(sim, "/nope", {})
    second = post(sim, "/listStreams", {})
    assert first.headers["x-amzn-RequestId"] == "00000000-0000-0000-0000-000000000001"
    assert second.headers["x-amzn-RequestId"] == "00000000-0000-0000-0000-000000000002"
    assert sim.now == kvsim.DEFAULT_START + timedelta(seconds=0.05)


# -- who is calling ------------------------------------------------------------------------


def _arn(response: rest.HttpResponse) -> str:
    assert response.status == 200, response.body
    return str(json.loads(response.body)["StreamARN"])


def test_region_comes_from_the_credential_scope(sim: kvsim.Simulator) -> None:
    arn = _arn(post(sim, "/createStream", {"StreamName": "a"}, headers=auth(region="cn-north-1")))
    assert arn == f"arn:aws-cn:kinesisvideo:cn-north-1:{ACCOUNT}:stream/a/{START_MS}"


def test_account_comes_from_registered_credentials(sim: kvsim.Simulator) -> None:
    sim.register_credentials("AKIDOTHER", "111122223333")
    other = _arn(
        post(sim, "/createStream", {"StreamName": "a"}, headers=auth(access_key="AKIDOTHER"))
    )
    default = _arn(
        post(sim, "/createStream", {"StreamName": "a"}, headers=auth(access_key="AKIDNEW"))
    )
    assert ":111122223333:stream/a/" in other
    assert f":{ACCOUNT}:stream/a/" in default


def test_account_override_wins(sim: kvsim.Simulator) -> None:
    sim.register_credentials("AKIDOTHER", "111122223333")
    arn = _arn(
        post(
            sim,
            "/createStream",
            {"StreamName": "a"},
            headers=auth(access_key="AKIDOTHER"),
            account_id="444455556666",
        )
    )
    assert ":444455556666:stream/a/" in arn


def test_header_lookup_any_case_and_bytes(sim: kvsim.Simulator) -> None:
    value = auth(region="eu-west-1")["Authorization"].encode()
    arn = _arn(post(sim, "/createStream", {"StreamName": "a"}, headers={"authorization": value}))
    assert ":eu-west-1:" in arn


# -- robustness ----------------------------------------------------------------------------

#: Any JSON value, nested a little.
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=6),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner, max_size=3)
    ),
    max_leaves=8,
)
#: Every member name of every simulated input, and one that is none.
_MEMBERS = sorted({m for shape in INPUTS.values() for m in shape.members} | {"Nope"})


@given(
    method=st.sampled_from(["POST", "GET", "PUT", "DELETE", "BREW"]),
    path=st.one_of(st.sampled_from(sorted(rest.ROUTES)), st.text(max_size=30)),
    body=st.one_of(
        st.binary(max_size=64),
        st.dictionaries(st.sampled_from(_MEMBERS), _JSON, max_size=4).map(
            lambda d: json.dumps(d).encode()
        ),
    ),
)
def test_any_request_gets_a_well_formed_answer(method: str, path: str, body: bytes) -> None:
    sim = kvsim.Simulator(seed=0)
    sim.client().create_stream(StreamName="a")
    response = rest.handle(sim, method, path, auth(), body)
    assert response.headers["Content-Type"] == "application/json"
    assert REQUEST_ID.fullmatch(response.headers["x-amzn-RequestId"])
    parsed = json.loads(response.body)
    if response.status == 200:
        assert "x-amzn-ErrorType" not in response.headers
    else:
        assert 400 <= response.status < 500
        assert isinstance(parsed["Message"], str) and parsed["Message"]
    sim._check()
