"""kvsim serve under a hostile review: latency, bursts, vanishing clients, lengths, the clock.

Each test pins down one finding: keep-alive answers must not wait for delayed
ACKs, a burst of connections must not overflow the listen backlog, a client
that hangs up is not a kvsim failure (no traceback, no request id), a
Content-Length is ASCII digits and only one, ``/_kvsim/advance`` refuses every
unusable ``seconds`` with 400, and a non-loopback address is announced as
open to anyone. Only loopback addresses are used; every loop is bounded in
count and time.
"""

from __future__ import annotations

import http.client
import json
import select
import socket
import statistics
import struct
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
import pytest
from helpers import serving

import kvsim
from kvsim.cli.serve import exposure_warning
from kvsim.http.server import KvsimServer

AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/us-east-1/kinesisvideo/aws4_request, "
    "SignedHeaders=host, Signature=00"
)
FIRST_ID = "00000000-0000-0000-0000-000000000001"
SECOND_ID = "00000000-0000-0000-0000-000000000002"
#: How long any single wait of these tests may take before it counts as a hang.
DEADLINE = 10.0


@pytest.fixture
def server() -> Iterator[KvsimServer]:
    """A kvsim server on a free loopback port with throttling off, serving from a thread."""
    with serving(
        KvsimServer(("127.0.0.1", 0), seed=0, limits=kvsim.Limits(throttling=False))
    ) as srv:
        yield srv


def address(srv: KvsimServer) -> tuple[str, int]:
    host, port = srv.server_address[:2]
    return str(host), int(port)


def request(srv: KvsimServer, method: str, path: str, body: bytes = b"") -> tuple[int, Any, str]:
    """One request on a fresh connection: (status, parsed JSON body, x-amzn-RequestId)."""
    conn = http.client.HTTPConnection(*address(srv), timeout=DEADLINE)
    try:
        conn.request(method, path, body=body, headers={"Authorization": AUTH})
        response = conn.getresponse()
        data = response.read()
        return response.status, json.loads(data), response.getheader("x-amzn-RequestId", "")
    finally:
        conn.close()


def raw(srv: KvsimServer, data: bytes) -> bytes:
    """Send raw bytes, half-close, and read everything the server answers until it closes."""
    with socket.create_connection(address(srv), timeout=DEADLINE) as sock:
        sock.sendall(data)
        sock.shutdown(socket.SHUT_WR)
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    return b"".join(chunks)


def reset(sock: socket.socket) -> None:
    """Close ``sock`` with a TCP reset (SO_LINGER on, timeout 0) instead of a FIN."""
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    sock.close()


def settle(threads_before: int) -> None:
    """Wait (bounded) until the server's connection threads have ended."""
    deadline = time.monotonic() + DEADLINE
    while threading.active_count() > threads_before and time.monotonic() < deadline:
        time.sleep(0.01)
    assert threading.active_count() <= threads_before, "a connection thread is still running"


def boto_client(srv: KvsimServer) -> Any:
    session = boto3.session.Session(aws_access_key_id="AKIDTEST", aws_secret_access_key="x")
    return session.client("kinesisvideo", region_name="us-east-1", endpoint_url=srv.base_url)


# -- 1. latency of keep-alive answers, and bursts of connections --------------------------


def test_keep_alive_boto3_calls_do_not_wait_for_delayed_acks(server: KvsimServer) -> None:
    # Headers and body in two small writes met Nagle's algorithm and the
    # client's delayed ACK: every answer on a reused connection came ~40 ms late.
    kv = boto_client(server)
    kv.create_stream(StreamName="cam")
    kv.list_streams()  # warm-up: botocore's first call loads its models
    times = []
    for i in range(20):
        start = time.perf_counter()
        if i % 2:
            kv.list_streams()
        else:
            kv.describe_stream(StreamName="cam")
        times.append(time.perf_counter() - start)
    # The median, not the slowest: one scheduling hiccup must not fail the test.
    assert statistics.median(times) < 0.010, [f"{t * 1e3:.1f} ms" for t in times]


def test_a_burst_of_300_connections_is_answered(server: KvsimServer) -> None:
    # socketserver's listen backlog of 5 overflowed: most of a burst was reset
    # or waited for SYN retries.
    clients = 300
    start_together = threading.Barrier(clients, timeout=DEADLINE)

    def one(_: int) -> int:
        start_together.wait()
        conn = http.client.HTTPConnection(*address(server), timeout=DEADLINE)
        try:
            conn.request("POST", "/listStreams", body=b"{}", headers={"Authorization": AUTH})
            response = conn.getresponse()
            response.read()
            return response.status
        finally:
            conn.close()

    started = time.monotonic()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        statuses = list(pool.map(one, range(clients), timeout=3 * DEADLINE))
    elapsed = time.monotonic() - started
    assert statuses == [200] * clients
    assert elapsed < DEADLINE


def test_expect_100_continue_is_answered_before_the_body_is_sent(server: KvsimServer) -> None:
    # Answers are buffered until they are whole; the interim 100 must not be.
    with socket.create_connection(address(server), timeout=DEADLINE) as sock:
        sock.sendall(
            b"POST /listStreams HTTP/1.1\r\nAuthorization: "
            + AUTH.encode()
            + b"\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n"
        )
        assert sock.recv(65536) == b"HTTP/1.1 100 Continue\r\n\r\n"
        sock.sendall(b"{}")
        assert sock.recv(65536).startswith(b"HTTP/1.1 200 ")


# -- 2. clients that vanish ----------------------------------------------------------------


def _half_request_then_reset(srv: KvsimServer) -> None:
    sock = socket.create_connection(address(srv), timeout=DEADLINE)
    sock.sendall(
        b"POST /createStream HTTP/1.1\r\nAuthorization: "
        + AUTH.encode()
        + b'\r\nContent-Length: 100\r\n\r\n{"StreamName": '
    )
    # Let the server parse the headers and block reading the body, then reset.
    time.sleep(0.2)
    reset(sock)


def _request_then_close_before_reading(srv: KvsimServer) -> None:
    sock = socket.create_connection(address(srv), timeout=DEADLINE)
    body = b'{"StreamName": "gone"}'
    sock.sendall(
        b"POST /createStream HTTP/1.1\r\nAuthorization: "
        + AUTH.encode()
        + b"\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    # Wait (without reading) until the answer has arrived, then close: the
    # unread answer makes the kernel reset the connection, which the server
    # meets while waiting for the next request of this keep-alive connection.
    readable, _, _ = select.select([sock], [], [], DEADLINE)
    assert readable, "no answer arrived"
    sock.close()


def _stall_mid_body(srv: KvsimServer) -> None:
    # The server's read times out (its handler timeout is shortened by the test).
    with socket.create_connection(address(srv), timeout=DEADLINE) as sock:
        sock.sendall(
            b"POST /createStream HTTP/1.1\r\nAuthorization: "
            + AUTH.encode()
            + b"\r\nContent-Length: 100\r\n\r\n{"
        )
        # The server gives up without an answer: the connection just ends.
        assert sock.recv(65536) == b""


@pytest.mark.parametrize(
    ("client", "calls_it_made"),
    [
        (_half_request_then_reset, 0),
        (_request_then_close_before_reading, 1),
        (_stall_mid_body, 0),
    ],
    ids=["half-request-then-reset", "request-then-close-before-reading", "stall-mid-body"],
)
def test_a_vanished_client_is_no_failure_and_takes_no_request_id(
    server: KvsimServer,
    capfd: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    client: Any,
    calls_it_made: int,
) -> None:
    monkeypatch.setattr(server.RequestHandlerClass, "timeout", 0.3)
    threads_before = threading.active_count()
    client(server)
    settle(threads_before)
    # The next call's request id is the one it would have been: the vanished
    # client took one only for the complete call it made.
    status, answer, request_id = request(server, "POST", "/listStreams", b"{}")
    assert status == 200
    assert request_id == (SECOND_ID if calls_it_made else FIRST_ID)
    assert [s["StreamName"] for s in answer["StreamInfoList"]] == ["gone"] * calls_it_made
    _, err = capfd.readouterr()
    assert err == ""


def test_verbose_says_in_one_line_that_a_client_went_away(
    capfd: pytest.CaptureFixture[str],
) -> None:
    with serving(KvsimServer(("127.0.0.1", 0), verbose=True)) as srv:
        threads_before = threading.active_count()
        _half_request_then_reset(srv)
        settle(threads_before)
    _, err = capfd.readouterr()
    assert "Traceback" not in err
    [line] = err.splitlines()
    assert line.endswith("client went away: ConnectionResetError")


# -- 3. Content-Length ---------------------------------------------------------------------


def _post(length_headers: bytes, body: bytes) -> bytes:
    return (
        b"POST /listStreams HTTP/1.1\r\nAuthorization: "
        + AUTH.encode()
        + b"\r\n"
        + length_headers
        + b"\r\n"
        + body
    )


@pytest.mark.parametrize(
    ("length_headers", "body", "message"),
    [
        (
            b"Content-Length: 1_0\r\n",
            b"{        }",
            "Invalid Content-Length: '1_0'; it must be ASCII digits only.",
        ),
        (
            b"Content-Length: +2\r\n",
            b"{}",
            "Invalid Content-Length: '+2'; it must be ASCII digits only.",
        ),
        (
            b"Content-Length: 2, 2\r\n",
            b"{}",
            "Invalid Content-Length: '2, 2'; it must be ASCII digits only.",
        ),
        (
            b"Content-Length: 2\r\nContent-Length: 2\r\n",
            b"{}",
            "2 Content-Length headers; send exactly one.",
        ),
        (
            b"Content-Length: 2\r\nContent-Length: 10\r\n",
            b"{}",
            "2 Content-Length headers; send exactly one.",
        ),
        (
            # A body cut short by the client's end of the stream is incomplete,
            # even when what came is valid JSON.
            b"Content-Length: 100\r\n",
            b"{}",
            "The request body ended after 2 of its 100 bytes.",
        ),
    ],
    ids=["underscore", "plus-sign", "list", "duplicate-same", "duplicate-different", "short-body"],
)
def test_bad_content_length_is_400_and_closes(
    server: KvsimServer, length_headers: bytes, body: bytes, message: str
) -> None:
    answer = raw(server, _post(length_headers, body))
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 400 ")
    assert b"x-amzn-ErrorType: BadRequestException" in head
    assert b"Connection: close" in head
    assert json.loads(payload) == {"Message": message}
    assert server.sim.client().list_streams()["StreamInfoList"] == []
    assert request(server, "POST", "/listStreams", b"{}")[0] == 200


@pytest.mark.parametrize("length_headers", [b"Content-Length: 2\r\n", b"Content-Length:  002 \r\n"])
def test_plain_digits_with_optional_whitespace_and_zeros_are_a_length(
    server: KvsimServer, length_headers: bytes
) -> None:
    answer = raw(server, _post(length_headers, b"{}"))
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_content_length_of_thousands_of_digits_is_413(server: KvsimServer) -> None:
    answer = raw(server, _post(b"Content-Length: " + b"9" * 5000 + b"\r\n", b"{}"))
    head, _, payload = answer.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 413 ")
    assert json.loads(payload)["Message"].startswith("The request body has 99999999999999999999...")


# -- 4. the clock --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("seconds", "message"),
    [
        ("nan", "seconds must be finite, got nan"),
        ("inf", "seconds must be finite, got inf"),
        ("-inf", "seconds must be finite, got -inf"),
        ("-1", "time can't go backwards: seconds must be >= 0, got -1.0"),
        ("1e400", "seconds must be finite, got '1e400' (too large)"),
        ("1_0", "seconds must be a number, got '1_0'"),
        # The simulator's clock ends at 9999-12-31T23:59:59.999Z.
        ("3e11", "seconds must be at most 253402300799.999 seconds"),
        ("1e20", "seconds must be at most 253402300799.999 seconds"),
        ("2.534e11", "can't advance the clock 253400000000 seconds from 2026-01-01T00:00:00Z"),
    ],
)
def test_advance_refuses_unusable_seconds_with_400(
    server: KvsimServer, seconds: str, message: str
) -> None:
    status, answer, _ = request(server, "POST", f"/_kvsim/advance?seconds={seconds}")
    assert status == 400
    assert answer["Message"].startswith(message)
    # Refused before the clock moved: the world still answers.
    assert server.sim.now == kvsim.DEFAULT_START
    assert request(server, "GET", "/_kvsim/time") == (
        200,
        {"now": "2026-01-01T00:00:00+00:00"},
        "",
    )


def test_advance_goes_as_far_as_a_datetime_holds(server: KvsimServer) -> None:
    status, answer, _ = request(server, "POST", "/_kvsim/advance?seconds=2.5e11")
    assert status == 200
    assert answer["now"].startswith("9948-")


# -- 5. no authentication off loopback -----------------------------------------------------


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.10", "example.internal"])
def test_a_non_loopback_address_is_announced_as_open_to_anyone(host: str) -> None:
    warning = exposure_warning(host)
    assert warning is not None
    assert warning.startswith(f"kvsim serve: warning: listening on {host}, not a loopback address")
    assert "anyone who can reach it" in warning
    assert "/_kvsim/ (no authentication)" in warning


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "localhost"])
def test_loopback_addresses_get_no_warning(host: str) -> None:
    assert exposure_warning(host) is None
