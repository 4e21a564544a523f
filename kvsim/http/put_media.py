"""PutMedia over HTTP in ``kvsim serve``: a chunked MKV body in, a stream of JSON acks out.

``POST /putMedia`` (on the stream's ``PUT_MEDIA`` endpoint, which GetDataEndpoint
returns under the server as ``http://host:port/_endpoint/s-…``) is what the
producer SDKs send: a long-running request whose body is one MKV stream
(chunked transfer encoding, or a ``Content-Length``), and the headers

=====================================  ===============================================
``x-amzn-stream-name`` / ``-arn``      exactly one of them
``x-amzn-fragment-timecode-type``      ``ABSOLUTE`` or ``RELATIVE`` (required)
``x-amzn-producer-start-timestamp``    epoch seconds (optional: the virtual now)
=====================================  ===============================================

The checks before the answer are the in-process ones
(:meth:`kvsim.Simulator.put_media_session`) and answer JSON errors as every
operation does: a wrong host (403 with AWS's XML body off a data host,
``InvalidEndpointException`` on a ``b-`` host or another stream's ``s-``
host), bad headers (``InvalidArgumentException``), a caller without
``kinesisvideo:PutMedia`` (403 ``AccessDeniedException``), no such stream
(``ResourceNotFoundException`` 404), 5 connections a second
(``ClientLimitExceededException``) and one open connection per stream
(``ConnectionLimitExceededException``). Then the answer is HTTP 200 with a
chunked body of newline-separated JSON acknowledgements, written as each
piece of the request body completes fragments (``BUFFERING``, ``RECEIVED``,
``PERSISTED``, ``ERROR``), and ended when the request body ends or the
session ends on an error. A request body that breaks off or whose chunked
framing is invalid ends the answer with an ``ERROR`` ack 4000
(``STREAM_READ_ERROR``). kvsim sends no ``IDLE`` acks.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from ..core.constants import DEFAULT_ACCOUNT_ID
from ..engine.permissions import IAM_PREFIX, default_identity
from ..model.errors import ClientError
from ..services import data_hosts
from . import rest

if TYPE_CHECKING:
    from http.server import BaseHTTPRequestHandler

    from ..engine.simulator import Simulator

__all__ = ["PATH", "serve_put_media"]

#: The path of PutMedia.
PATH = "/putMedia"
_PIECE = 1 << 16
_HEX = re.compile(r"[0-9a-fA-F]{1,16}")
# The longest chunk-size line (with extensions) and trailer kvsim reads.
_LINE_LIMIT = 4096
# The most of a refused request's body read before the connection is closed.
_DRAIN = 64 << 20


class _BadBody(Exception):
    """The request body's framing is broken, or it ended early."""


def _chunked(rfile: Any) -> Iterator[bytes]:
    # RFC 9112 §7.1: size [; extensions] CRLF data CRLF ... 0 CRLF trailers CRLF.
    while True:
        line = rfile.readline(_LINE_LIMIT)
        if not line.endswith(b"\n"):
            raise _BadBody("a chunk size line was cut off")
        size_text = line.split(b";", 1)[0].strip().decode("latin-1")
        if not _HEX.fullmatch(size_text):
            raise _BadBody(f"invalid chunk size {size_text[:20]!r}")
        size = int(size_text, 16)
        if size == 0:
            while True:  # trailers, up to the empty line
                trailer = rfile.readline(_LINE_LIMIT)
                if not trailer.endswith(b"\n"):
                    raise _BadBody("the trailers were cut off")
                if trailer in (b"\r\n", b"\n"):
                    return
        while size:
            data = rfile.read(min(size, _PIECE))
            if not data:
                raise _BadBody("a chunk was cut off")
            size -= len(data)
            yield data
        if rfile.readline(_LINE_LIMIT) not in (b"\r\n", b"\n"):
            raise _BadBody("a chunk does not end with CRLF")


def _sized(rfile: Any, length: int) -> Iterator[bytes]:
    while length > 0:
        data = rfile.read(min(length, _PIECE))
        if not data:
            raise _BadBody("the body ended before its Content-Length")
        length -= len(data)
        yield data


def _allows(patterns: tuple[str, ...] | None, action: str) -> bool:
    if patterns is None:
        return True
    return any(
        p == "*"
        or (
            p.lower().startswith(IAM_PREFIX)
            and fnmatch.fnmatchcase(action.lower(), p[len(IAM_PREFIX) :].lower())
        )
        for p in patterns
    )


def _answer(handler: BaseHTTPRequestHandler, response: rest.HttpResponse) -> None:
    body = response.body
    assert isinstance(body, bytes)
    handler.close_connection = True
    handler.send_response(response.status)
    for name, value in response.headers.items():
        if name.lower() != "content-length":
            handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(body)
    handler.wfile.flush()


def _error(sim: Simulator, status: int, code: str, message: str) -> rest.HttpResponse:
    return rest.error_response(status, code, message, sim.runtime.next_request_id())


def _open(sim: Simulator, handler: BaseHTTPRequestHandler, host: str) -> Any:
    """The producer session of the request, or the error answer to send."""
    headers = handler.headers
    signed = rest.caller(sim, headers)
    if isinstance(signed, rest.HttpResponse):
        return signed
    access_key, region_name = signed
    wrong = data_hosts.kind_problem("kinesis-video-media", "PutMedia", host)
    if isinstance(wrong, bytes):
        return rest.unauthorizable(sim.runtime.next_request_id())
    if wrong is not None:
        return _error(sim, wrong.http_status, wrong.code, wrong.message)
    name = headers.get("x-amzn-stream-name")
    arn = headers.get("x-amzn-stream-arn")
    kind = headers.get("x-amzn-fragment-timecode-type")
    start_text = headers.get("x-amzn-producer-start-timestamp")
    problem = None
    if (name is None) == (arn is None):
        problem = "Exactly one of x-amzn-stream-name and x-amzn-stream-arn must be given."
    elif kind not in ("ABSOLUTE", "RELATIVE"):
        problem = "x-amzn-fragment-timecode-type must be ABSOLUTE or RELATIVE."
    start: float | None = None
    if problem is None and start_text is not None:
        try:
            start = float(start_text)
            if not 0 <= start < 253402300800 or "_" in start_text:
                raise ValueError
        except ValueError:
            problem = (
                f"x-amzn-producer-start-timestamp must be epoch seconds, got {start_text[:40]!r}."
            )
    if problem is not None:
        return _error(sim, 400, "InvalidArgumentException", problem)
    principal = sim.runtime.principal_for(access_key)
    account = principal.account_id if principal is not None else DEFAULT_ACCOUNT_ID
    if principal is not None and not _allows(principal.allowed_actions, "PutMedia"):
        who = principal.identity or default_identity(region_name, account)
        return _error(
            sim,
            403,
            "AccessDeniedException",
            f"User: {who} is not authorized to perform: {IAM_PREFIX}PutMedia "
            f"on resource: {name or arn}",
        )
    try:
        return sim.put_media_session(
            str(arn if name is None else name),
            account_id=account,
            region_name=region_name,
            timecode_type=str(kind),
            producer_start=start,
            host=host,
        )
    except ClientError as error:
        rid = error.response["ResponseMetadata"]["RequestId"]
        return rest.error_response(error.http_status, error.code, error.message, rid)
    except ValueError as error:  # a malformed ARN, the end of the virtual clock
        return _error(sim, 400, "InvalidArgumentException", str(error))


def serve_put_media(handler: BaseHTTPRequestHandler, sim: Simulator, host: str) -> None:
    """Answer one ``POST /putMedia`` on ``handler``'s connection (see the module's text);
    ``host`` is the host it was sent to (the AWS host of a served endpoint)."""
    handler.close_connection = True  # the body is read to its end, or the connection dropped
    session = _open(sim, handler, host)
    pieces = _body(handler)
    if isinstance(session, rest.HttpResponse):
        _answer(handler, session)
        _drain(handler, pieces)
        return
    try:
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("x-amzn-RequestId", sim.runtime.next_request_id())
        handler.send_header("Transfer-Encoding", "chunked")
        handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.flush()
        try:
            for piece in pieces:
                _send_acks(handler, session.feed(piece))
                if not session.open:
                    break
            acks = session.close()
        except _BadBody:
            session.abort()
            acks = [{"EventType": "ERROR", "FragmentTimecode": 0, "ErrorId": 4000}]
            acks[0]["ErrorCode"] = "STREAM_READ_ERROR"
        _send_acks(handler, acks)
        handler.wfile.write(b"0\r\n\r\n")
        handler.wfile.flush()
    except BaseException:
        session.abort()  # the producer went away: the stream's connection is free again
        raise


def _body(handler: BaseHTTPRequestHandler) -> Iterator[bytes]:
    headers = handler.headers
    length = headers.get("Content-Length")
    if "chunked" in (headers.get("Transfer-Encoding") or "").lower():
        return _chunked(handler.rfile)
    if length is not None and length.strip().isdigit():
        return _sized(handler.rfile, int(length))
    return iter(())


def _drain(handler: BaseHTTPRequestHandler, pieces: Iterator[bytes]) -> None:
    # Read (and drop) what the producer still sends after an error answer, so
    # it can read the answer instead of a reset connection: at most _DRAIN bytes
    # and 2 s of silence.
    with contextlib.suppress(_BadBody, OSError):
        handler.connection.settimeout(2)
        left = _DRAIN
        for piece in pieces:
            left -= len(piece)
            if left <= 0:
                break


def _send_acks(handler: BaseHTTPRequestHandler, acks: list[dict[str, Any]]) -> None:
    if not acks:
        return
    data = b"".join(json.dumps(ack, separators=(",", ":")).encode() + b"\n" for ack in acks)
    handler.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
    handler.wfile.flush()
