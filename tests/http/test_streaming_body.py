"""Streamed binary bodies (GetMedia, GetClip, GetMediaForFragmentList) on the wire.

The wire layer answers an operation whose model output has a streaming blob
payload with the payload as the HTTP body (bytes, or an iterator of chunks that
``kvsim serve`` sends with chunked transfer encoding) and the output's header
members as headers. Each test here declares a temporary ``GetMedia`` of
``kinesis-video-media`` with a fixed payload (:func:`_declare`) in place of the
real one and undoes it afterwards.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import boto3
import botocore.config
import pytest
from botocore.response import StreamingBody
from helpers import serving

import kvsim
import kvsim.boto
from kvsim.http import rest
from kvsim.http.server import KvsimServer
from kvsim.model.catalog import service_spec
from kvsim.model.shapes import input_shape
from kvsim.services import registry
from kvsim.services.declarations import Operation

SERVICE = "kinesis-video-media"
AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDSTREAM/20260101/us-east-1/kinesisvideo/aws4_request, "
    "SignedHeaders=host, Signature=00"
)
REQUEST = {"StreamName": "cam-1", "StartSelector": {"StartSelectorType": "NOW"}}
NO_RETRIES = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
#: A GetMedia host (data-plane calls must use one; "cam-1" does not exist, so any will do).
DATA_HOST = "s-00000000.kinesisvideo.us-east-1.amazonaws.com"
DATA_URL = f"https://{DATA_HOST}"
#: The same host under a server (kvsim.http.endpoints).
SERVED_PATH = f"/_endpoint/{DATA_HOST}/getMedia"

#: What the temporary handler answers, by test: a payload factory (each call
#: gets a fresh iterator).
Payload = Callable[[], Any]


def _declare(monkeypatch: pytest.MonkeyPatch, payload: Payload) -> list[Mapping[str, Any]]:
    """Simulate GetMedia for this test; returns the list of params its handler saw."""
    seen: list[Mapping[str, Any]] = []

    def handler(world: Any, region: Any, params: Mapping[str, Any]) -> dict[str, Any]:
        seen.append(params)
        return {"ContentType": "video/webm", "Payload": payload()}

    operation = Operation(
        service_spec(SERVICE).operations["GetMedia"],
        handler,
        (None, None),
        None,
        "NotAuthorizedException",
        input_shape(SERVICE, "GetMedia"),
        None,
    )
    monkeypatch.setitem(registry.SERVICES[SERVICE].simulated, "GetMedia", operation)
    return seen


def chunks() -> Iterator[bytes]:
    return iter([b"abc", b"def"])


@pytest.fixture
def streamed(monkeypatch: pytest.MonkeyPatch) -> list[Mapping[str, Any]]:
    """GetMedia answers ``video/webm`` in two chunks, ``abc`` and ``def``."""
    return _declare(monkeypatch, chunks)


@pytest.fixture
def server() -> Iterator[KvsimServer]:
    with serving(KvsimServer(("127.0.0.1", 0), seed=0)) as srv:
        yield srv


def test_the_model_streams_get_media() -> None:
    spec = service_spec(SERVICE).operations["GetMedia"]
    assert spec.streaming_output
    assert registry.SERVICES[SERVICE].simulated["GetMedia"].payload == "Payload"


def test_the_temporary_declaration_is_undone(monkeypatch: pytest.MonkeyPatch) -> None:
    real = registry.SERVICES[SERVICE].simulated["GetMedia"]
    with monkeypatch.context() as patch:
        _declare(patch, chunks)
        assert registry.SERVICES[SERVICE].simulated["GetMedia"] is not real
    assert registry.SERVICES[SERVICE].simulated["GetMedia"] is real
    with pytest.raises(kvsim.errors.ResourceNotFoundException):
        kvsim.Simulator().client(SERVICE).get_media(**REQUEST)


# -- the wire layer ------------------------------------------------------------------------------


def test_rest_answers_the_payload_as_an_iterator_body(streamed: list[Any]) -> None:
    sim = kvsim.Simulator(seed=0)
    answer = rest.handle(
        sim, "POST", "/getMedia", {"Authorization": AUTH}, json.dumps(REQUEST).encode()
    )
    assert answer.status == 200
    assert answer.headers["Content-Type"] == "video/webm"
    assert answer.headers["x-amzn-RequestId"]
    assert "Content-Length" not in answer.headers
    assert answer.streamed
    assert not isinstance(answer.body, bytes)
    assert b"".join(answer.body) == b"abcdef"
    assert streamed == [REQUEST]


def test_rest_answers_a_bytes_payload_with_its_length(monkeypatch: pytest.MonkeyPatch) -> None:
    _declare(monkeypatch, lambda: b"abcdef")
    answer = rest.handle(
        kvsim.Simulator(), "POST", "/getMedia", {"Authorization": AUTH}, json.dumps(REQUEST)
    )
    assert (answer.status, answer.body, answer.streamed) == (200, b"abcdef", False)
    assert answer.headers["Content-Type"] == "video/webm"
    assert answer.headers["Content-Length"] == "6"


def test_rest_errors_of_a_streamed_operation_are_json(streamed: list[Any]) -> None:
    # Invalid input never reaches the handler: a JSON error, as for any operation.
    answer = rest.handle(
        kvsim.Simulator(), "POST", "/getMedia", {"Authorization": AUTH}, b'{"StreamName": "c"}'
    )
    assert answer.status == 400
    assert answer.headers["x-amzn-ErrorType"] == "InvalidArgumentException"
    assert answer.headers["Content-Type"] == "application/json"
    assert isinstance(answer.body, bytes) and json.loads(answer.body)["Message"]
    assert streamed == []


# -- boto3 in process -------------------------------------------------------------------------------


def test_boto3_in_process_gets_a_streaming_body(streamed: list[Any]) -> None:
    sim = kvsim.Simulator(seed=0)
    client = kvsim.boto.client(
        sim, SERVICE, region_name="us-east-1", config=NO_RETRIES, endpoint_url=DATA_URL
    )
    response = client.get_media(**REQUEST)
    assert isinstance(response["Payload"], StreamingBody)
    assert response["ContentType"] == "video/webm"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    assert response["Payload"].read() == b"abcdef"
    assert streamed == [REQUEST]


def test_boto3_in_process_reads_the_stream_in_pieces(streamed: list[Any]) -> None:
    client = kvsim.boto.client(kvsim.Simulator(), SERVICE, config=NO_RETRIES, endpoint_url=DATA_URL)
    body = client.get_media(**REQUEST)["Payload"]
    assert body.read(2) == b"ab"
    assert body.read(3) == b"cde"
    assert body.read() == b"f"
    assert body.read() == b""


def test_boto3_in_process_iterates_chunks(streamed: list[Any]) -> None:
    client = kvsim.boto.client(kvsim.Simulator(), SERVICE, config=NO_RETRIES, endpoint_url=DATA_URL)
    body = client.get_media(**REQUEST)["Payload"]
    assert b"".join(body.iter_chunks(chunk_size=4)) == b"abcdef"


# -- kvsim serve ----------------------------------------------------------------------------------


def _raw_request(srv: KvsimServer, body: bytes) -> bytes:
    """One request on a bare socket; everything the server sends until it closes."""
    host, port = srv.server_address[:2]
    head = (
        f"POST {SERVED_PATH} HTTP/1.1\r\nHost: {host}:{port}\r\nAuthorization: {AUTH}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection((str(host), int(port)), timeout=10) as conn:
        conn.sendall(head + body)
        received = b""
        while data := conn.recv(65536):
            received += data
    return received


def test_server_sends_the_payload_chunked(streamed: list[Any], server: KvsimServer) -> None:
    host, port = server.server_address[:2]
    conn = http.client.HTTPConnection(str(host), int(port), timeout=10)
    conn.request(
        "POST",
        SERVED_PATH,
        body=json.dumps(REQUEST).encode(),
        headers={"Authorization": AUTH, "Content-Type": "application/json"},
    )
    response = conn.getresponse()
    assert response.status == 200
    assert response.getheader("Transfer-Encoding") == "chunked"
    assert response.getheader("Content-Length") is None
    assert response.getheader("Content-Type") == "video/webm"
    assert response.getheader("x-amzn-RequestId")
    assert response.read() == b"abcdef"
    # The connection stays usable after a chunked answer.
    conn.request("POST", "/listStreams", body=b"{}", headers={"Authorization": AUTH})
    follow = conn.getresponse()
    assert follow.status == 200 and "StreamInfoList" in json.loads(follow.read())
    conn.close()


def test_server_frames_each_chunk(streamed: list[Any], server: KvsimServer) -> None:
    raw = _raw_request(server, json.dumps(REQUEST).encode())
    head, _, body = raw.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    assert b"\r\ntransfer-encoding: chunked" in head.lower()
    assert body == b"3\r\nabc\r\n3\r\ndef\r\n0\r\n\r\n"


def test_server_sends_a_bytes_payload_with_its_length(
    monkeypatch: pytest.MonkeyPatch, server: KvsimServer
) -> None:
    _declare(monkeypatch, lambda: b"abcdef")
    raw = _raw_request(server, json.dumps(REQUEST).encode())
    head, _, body = raw.partition(b"\r\n\r\n")
    assert b"\r\ncontent-length: 6" in head.lower()
    assert b"transfer-encoding" not in head.lower()
    assert body == b"abcdef"


def test_boto3_over_http_gets_a_streaming_body(streamed: list[Any], server: KvsimServer) -> None:
    session = boto3.session.Session(
        aws_access_key_id="AKIDSTREAM", aws_secret_access_key="x", region_name="us-east-1"
    )
    client = session.client(
        SERVICE, endpoint_url=server.base_url + SERVED_PATH[: -len("/getMedia")], config=NO_RETRIES
    )
    response = client.get_media(**REQUEST)
    assert isinstance(response["Payload"], StreamingBody)
    assert response["ContentType"] == "video/webm"
    assert response["Payload"].read() == b"abcdef"
    assert streamed == [REQUEST]


# -- the facade ------------------------------------------------------------------------------------


def test_facade_returns_the_handlers_members(streamed: list[Any]) -> None:
    # What the facade does with a payload: the handler's members, with the
    # payload wrapped in a body that reads as botocore's StreamingBody does.
    sim = kvsim.Simulator(seed=0)
    response = sim.client(SERVICE).get_media(**REQUEST)
    assert set(response) == {"ContentType", "Payload", "ResponseMetadata"}
    assert response["ContentType"] == "video/webm"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200
    body = response["Payload"]
    assert body.read(4) == b"abcd"
    assert b"".join(body.iter_chunks(chunk_size=1)) == b"ef"
    assert body.read() == b""
    body.close()
    assert streamed == [REQUEST]


def _facade_get_media(sim: kvsim.Simulator) -> Any:
    return sim.client(SERVICE).get_media(**REQUEST)["Payload"]


def _boto_get_media(sim: kvsim.Simulator) -> Any:
    return kvsim.boto.client(sim, SERVICE, config=NO_RETRIES, endpoint_url=DATA_URL).get_media(
        **REQUEST
    )["Payload"]


@pytest.mark.parametrize("get_media", [_facade_get_media, _boto_get_media], ids=["facade", "boto3"])
def test_a_streamed_calls_trace_is_deterministic(
    streamed: list[Any], get_media: Callable[[kvsim.Simulator], Any]
) -> None:
    # Same seed, same calls => the same trace (kvsim's determinism promise),
    # whatever the caller then does with the body: the trace must hold neither
    # something that differs from run to run (such as the repr of an iterator
    # object, with its address) nor something that changes as the body is read.
    traces = []
    for read in (False, True):
        sim = kvsim.Simulator(seed=0)
        body = get_media(sim)
        if read:
            assert body.read() == b"abcdef"
            body.close()
        traces.append(sim.trace)
    unread, read_and_closed = (trace[0]["outcome"]["response"] for trace in traces)
    assert unread == read_and_closed
    assert traces[0] == traces[1]
