"""kvsim serve: the wire layer over real HTTP on loopback, control endpoints, bad requests.

Every bad request must get a 4xx answer with a JSON ``Message`` and leave the
server serving. Only loopback addresses are used.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import boto3
import botocore.exceptions
import pytest
from helpers import serving

import kvsim
from kvsim.http.server import KvsimServer

ACCOUNT = "123456789012"
START_MS = 1767225600000
AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/kinesisvideo/aws4_request, "
    "SignedHeaders=host, Signature=00"
)


@pytest.fixture
def server() -> Iterator[KvsimServer]:
    """A kvsim server on a free loopback port, serving from a thread."""
    with serving(
        KvsimServer(("127.0.0.1", 0), seed=0, accounts={"AKIDOTHER": "111122223333"})
    ) as srv:
        yield srv


def connect(srv: KvsimServer) -> http.client.HTTPConnection:
    host, port = srv.server_address[:2]
    return http.client.HTTPConnection(str(host), int(port), timeout=10)


def send(
    conn: http.client.HTTPConnection,
    method: str,
    path: str,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
) -> tuple[int, http.client.HTTPMessage, Any]:
    """One request; returns (status, headers, parsed JSON body)."""
    all_headers = {"Authorization": AUTH} if headers is None else headers
    conn.request(method, path, body=body, headers=all_headers)
    response = conn.getresponse()
    data = response.read()
    assert response.getheader("Content-Type") == "application/json"
    assert response.getheader("Content-Length") == str(len(data))
    return response.status, response.headers, json.loads(data) if data else None


def still_serving(srv: KvsimServer) -> None:
    """A fresh connection gets a normal answer."""
    conn = connect(srv)
    status, _, body = send(conn, "POST", "/listStreams", b"{}")
    assert status == 200 and "StreamInfoList" in body
    conn.close()


def boto_client(srv: KvsimServer, key: str = "AKIDTEST", region: str = "us-east-1") -> Any:
    session = boto3.session.Session(aws_access_key_id=key, aws_secret_access_key="x")
    return session.client("kinesisvideo", region_name=region, endpoint_url=srv.base_url)


# -- a real client over HTTP ---------------------------------------------------------------


def test_boto3_over_http(server: KvsimServer) -> None:
    kv = boto_client(server, key="AKIDOTHER", region="eu-west-1")
    arn = kv.create_stream(StreamName="cam-1")["StreamARN"]
    assert arn == f"arn:aws:kinesisvideo:eu-west-1:111122223333:stream/cam-1/{START_MS}"
    info = kv.describe_stream(StreamARN=arn)["StreamInfo"]
    assert (info["Status"], info["CreationTime"]) == ("CREATING", kvsim.DEFAULT_START)
    with pytest.raises(botocore.exceptions.ClientError) as err:
        kv.create_stream(StreamName="cam-1")
    assert type(err.value) is kv.exceptions.ResourceInUseException
    assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    with pytest.raises(kv.exceptions.ResourceNotFoundException) as missing:
        kv.describe_stream(StreamName="nope")
    assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    # Unmapped keys act in the default account.
    other = boto_client(server, key="AKIDNEW", region="eu-west-1")
    assert f":{ACCOUNT}:stream/cam-1/" in other.create_stream(StreamName="cam-1")["StreamARN"]


def test_success_headers_and_keep_alive(server: KvsimServer) -> None:
    conn = connect(server)
    for i in range(3):
        status, headers, body = send(conn, "POST", "/createStream", b'{"StreamName": "c%d"}' % i)
        assert status == 200
        assert headers["x-amzn-RequestId"] == f"00000000-0000-0000-0000-00000000000{i + 1}"
        assert body["StreamARN"].endswith(f"/c{i}/{START_MS + 50 * i}")
    status, _, body = send(conn, "POST", "/listStreams", b"")
    assert [s["StreamName"] for s in body["StreamInfoList"]] == ["c0", "c1", "c2"]
    assert body["StreamInfoList"][1]["CreationTime"] == 1767225600.05
    conn.close()


# -- control endpoints ---------------------------------------------------------------------


def test_control_endpoints(server: KvsimServer) -> None:
    conn = connect(server)
    assert send(conn, "GET", "/_kvsim/time", headers={})[::2] == (
        200,
        {"now": "2026-01-01T00:00:00+00:00"},
    )
    send(conn, "POST", "/createStream", b'{"StreamName": "cam"}')
    assert send(conn, "POST", "/_kvsim/advance?seconds=2.5", headers={})[::2] == (
        200,
        {"ran": 1, "now": "2026-01-01T00:00:02.550000+00:00"},
    )
    _, _, info = send(conn, "POST", "/describeStream", b'{"StreamName": "cam"}')
    assert info["StreamInfo"]["Status"] == "ACTIVE"
    send(
        conn,
        "POST",
        "/deleteStream",
        json.dumps({"StreamARN": info["StreamInfo"]["StreamARN"]}).encode(),
    )
    assert send(conn, "POST", "/_kvsim/run-until-idle", headers={})[::2] == (
        200,
        {"ran": 1, "now": "2026-01-01T00:00:03.600000+00:00"},
    )
    send(conn, "POST", "/createStream", b'{"StreamName": "again"}')
    assert send(conn, "POST", "/_kvsim/reset", headers={})[::2] == (
        200,
        {"now": "2026-01-01T00:00:00+00:00"},
    )
    # A fresh world with the same seed: request ids start again.
    _, headers, body = send(conn, "POST", "/listStreams", b"{}")
    assert body == {"StreamInfoList": []}
    assert headers["x-amzn-RequestId"] == "00000000-0000-0000-0000-000000000001"
    # Accounts survive the reset.
    other = boto_client(server, key="AKIDOTHER")
    assert ":111122223333:" in other.create_stream(StreamName="x")["StreamARN"]
    conn.close()


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        (
            "POST",
            "/_kvsim/advance",
            400,
            "advance needs exactly one query parameter seconds=N, e.g. ?seconds=2.5",
        ),
        ("POST", "/_kvsim/advance?seconds=abc", 400, "seconds must be a number, got 'abc'"),
        (
            "POST",
            "/_kvsim/advance?seconds=-1",
            400,
            "time can't go backwards: seconds must be >= 0, got -1.0",
        ),
        ("POST", "/_kvsim/advance?seconds=nan", 400, "seconds must be finite, got nan"),
        (
            "POST",
            "/_kvsim/advance?seconds=1&seconds=2",
            400,
            "advance needs exactly one query parameter seconds=N, e.g. ?seconds=2.5",
        ),
        ("GET", "/_kvsim/advance?seconds=1", 405, "/_kvsim/advance is POST, not GET."),
        (
            "POST",
            "/_kvsim/time",
            405,
            "/_kvsim/time is POST, not GET.".replace("POST, not GET", "GET, not POST"),
        ),
        (
            "GET",
            "/_kvsim/nope",
            404,
            "No control endpoint /_kvsim/nope; try POST /_kvsim/advance, POST /_kvsim/run-until-idle, "
            "GET /_kvsim/time, POST /_kvsim/reset.",
        ),
    ],
)
def test_control_errors(
    server: KvsimServer, method: str, path: str, status: int, message: str
) -> None:
    conn = connect(server)
    assert send(conn, method, path, headers={})[::2] == (status, {"Message": message})
    conn.close()
    assert server.sim.now == kvsim.DEFAULT_START
    still_serving(server)


# -- bad requests: a 4xx each, and the server keeps serving ---------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body", "headers", "status", "code"),
    [
        ("POST", "/createStream", b'{"StreamName": ', None, 400, "SerializationException"),
        ("POST", "/createStream", b"\x00\xff", None, 400, "SerializationException"),
        ("POST", "/createStream", b'["a"]', None, 400, "SerializationException"),
        ("POST", "/createStream", b'{"StreamName": 7}', None, 400, "InvalidArgumentException"),
        ("POST", "/createStream", b"{}", None, 400, "InvalidArgumentException"),
        ("POST", "/nope", b"{}", None, 404, "UnknownOperationException"),
        ("POST", "/", b"", None, 404, "UnknownOperationException"),
        ("GET", "/createStream", b"", None, 405, "UnknownOperationException"),
        ("DELETE", "/deleteStream", b"", None, 405, "UnknownOperationException"),
        ("BREW", "/coffee", b"", None, 404, "UnknownOperationException"),
        (
            "POST",
            "/createStream",
            b'{"StreamName": "a"}',
            {},
            403,
            "MissingAuthenticationTokenException",
        ),
        (
            "POST",
            "/createStream",
            b'{"StreamName": "a"}',
            {"Authorization": "AWS4-HMAC-SHA256 x"},
            403,
            "IncompleteSignatureException",
        ),
    ],
)
def test_bad_requests(
    server: KvsimServer,
    method: str,
    path: str,
    body: bytes,
    headers: dict[str, str] | None,
    status: int,
    code: str,
) -> None:
    conn = connect(server)
    got, answer_headers, answer = send(conn, method, path, body, headers)
    assert (got, answer_headers["x-amzn-ErrorType"]) == (status, code)
    assert isinstance(answer["Message"], str) and answer["Message"]
    # The same connection still works after an error.
    assert send(conn, "POST", "/listStreams", b"{}")[0] == 200
    conn.close()
    still_serving(server)


def test_head_gets_headers_only(server: KvsimServer) -> None:
    conn = connect(server)
    conn.request("HEAD", "/listStreams", headers={"Authorization": AUTH})
    response = conn.getresponse()
    assert response.status == 405
    assert response.getheader("x-amzn-ErrorType") == "UnknownOperationException"
    assert response.read() == b""
    conn.close()
    still_serving(server)


def test_huge_payload_is_413(server: KvsimServer) -> None:
    conn = connect(server)
    body = b'{"StreamName": "' + b"a" * (3 << 20) + b'"}'
    status, headers, answer = send(conn, "POST", "/createStream", body)
    assert (status, headers["x-amzn-ErrorType"]) == (413, "RequestEntityTooLargeException")
    assert (
        answer["Message"] == f"The request body has {len(body)} bytes; kvsim reads at most 1048576."
    )
    assert headers["Connection"] == "close"
    conn.close()
    still_serving(server)


def _raw(srv: KvsimServer, data: bytes) -> bytes:
    """Send raw bytes, half-close, and read everything the server answers."""
    host, port = srv.server_address[:2]
    with socket.create_connection((str(host), int(port)), timeout=10) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


@pytest.mark.parametrize(
    ("data", "status", "code"),
    [
        (b"GARBAGE\r\n\r\n", b"400", None),
        (
            b"POST /listStreams HTTP/1.1\r\nContent-Length: abc\r\n\r\n",
            b"400",
            b"BadRequestException",
        ),
        (
            b"POST /listStreams HTTP/1.1\r\nContent-Length: -5\r\n\r\n",
            b"400",
            b"BadRequestException",
        ),
        (
            b"POST /listStreams HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
            b"411",
            b"LengthRequiredException",
        ),
        (b"POST /listStreams HTTP/1.1\r\nX-Big: " + b"x" * 70_000 + b"\r\n\r\n", b"431", None),
        (b"POST /" + b"a" * 70_000 + b" HTTP/1.1\r\n\r\n", b"414", None),
        (b"POST /listStreams HTTP/9.9\r\n\r\n", b"400", None),
    ],
)
def test_malformed_http(
    server: KvsimServer, data: bytes, status: bytes, code: bytes | None
) -> None:
    answer = _raw(server, data)
    head, _, body = answer.partition(b"\r\n\r\n")
    assert head.split(b" ")[1] == status
    assert json.loads(body)["Message"]
    if code is not None:
        assert b"x-amzn-ErrorType: " + code in head
    still_serving(server)


def test_client_hanging_up_mid_body(server: KvsimServer) -> None:
    answer = _raw(
        server,
        b"POST /listStreams HTTP/1.1\r\nAuthorization: "
        + AUTH.encode()
        + b"\r\nContent-Length: 100\r\n\r\n{",
    )
    assert answer.startswith(b"HTTP/1.1 400 ")  # the short body is not JSON
    still_serving(server)


def test_concurrent_clients(server: KvsimServer) -> None:
    errors: list[BaseException] = []

    def work(worker: int) -> None:
        try:
            conn = connect(server)
            for i in range(20):
                body = json.dumps({"StreamName": f"w{worker}-{i:02d}"}).encode()
                assert send(conn, "POST", "/createStream", body)[0] == 200
            conn.close()
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    names = [
        s["StreamName"] for s in server.sim.client().list_streams(MaxResults=1000)["StreamInfoList"]
    ]
    assert names == sorted(f"w{w}-{i:02d}" for w in range(4) for i in range(20))
    server.sim._check()


def test_ipv6_loopback() -> None:
    try:
        srv = KvsimServer(("::1", 0))
    except OSError:
        pytest.skip("no IPv6 loopback here")
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        assert srv.base_url.startswith("http://[::1]:")
        kv = boto_client(srv)
        assert kv.create_stream(StreamName="v6")["StreamARN"].endswith(f"/v6/{START_MS}")
    finally:
        srv.shutdown()
        srv.server_close()
        thread.join()


# -- the command: kvsim serve ---------------------------------------------------------------


def _serve(*args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONUNBUFFERED": "0"}
    return subprocess.Popen(
        [sys.executable, "-m", "kvsim", "serve", "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_kvsim_serve_prints_its_url_and_stops_cleanly(signum: int) -> None:
    proc = _serve("--seed", "4", "--account", "AKIDOTHER=111122223333")
    try:
        assert proc.stdout is not None
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        session = boto3.session.Session(aws_access_key_id="AKIDOTHER", aws_secret_access_key="x")
        kv = session.client("kinesisvideo", region_name="us-west-2", endpoint_url=url)
        arn = kv.create_stream(StreamName="cam")["StreamARN"]
        assert arn == f"arn:aws:kinesisvideo:us-west-2:111122223333:stream/cam/{START_MS}"
        proc.send_signal(signum)
        _, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 0
    assert err.strip() == "kvsim serve: stopped"


def test_kvsim_serve_usage_errors() -> None:
    out = subprocess.run(
        [sys.executable, "-m", "kvsim", "serve", "--account", "AKID=12"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 2
    assert "expected ACCESS_KEY_ID=ACCOUNT_ID with a 12-digit account, got 'AKID=12'" in out.stderr


def test_kvsim_serve_port_in_use(server: KvsimServer) -> None:
    port = server.server_address[1]
    out = subprocess.run(
        [sys.executable, "-m", "kvsim", "serve", "--port", str(port)],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.returncode == 1
    assert out.stdout == ""
    assert out.stderr.startswith(f"kvsim serve: cannot listen on 127.0.0.1:{port}: ")
