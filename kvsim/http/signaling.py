"""The signaling WebSocket of ``kvsim serve``: ConnectAsMaster / ConnectAsViewer over the network.

A ``GET`` with ``Upgrade: websocket`` (on the endpoint GetSignalingChannelEndpoint
returned under the server, ``ws://host:port/_endpoint/m-…/MASTER``, or any
path) is a signaling connection. The WebSocket protocol is the ``websockets``
package's (sans-I/O, on the server's own thread for the connection): install
it with ``pip install 'kvsim[signaling]'``; the core never imports it.

Before the upgrade, the SigV4 presigned query is checked, as AWS checks it,
except that the signature is not verified:

====================================================  ======  ====================================
request                                               status  error
====================================================  ======  ====================================
no ``X-Amz-Credential``                               403     ``MissingAuthenticationTokenException``
``X-Amz-Algorithm`` not ``AWS4-HMAC-SHA256``, or a    403     ``IncompleteSignatureException``
malformed ``X-Amz-Credential``/``Date``/``Expires``/
``SignedHeaders``/``Signature``
credential scoped to another service                  403     ``InvalidSignatureException``
no or malformed ``X-Amz-ChannelARN``, bad client id   400     ``InvalidArgumentException``
a principal not allowed ``kinesisvideo:ConnectAs*``,  403     ``AccessDeniedException``
or a channel of another account
no ACTIVE channel with that ARN in the credential's    404     ``ResourceNotFoundException``
region
connections per second, viewers (``Limits``)          400     ``ClientLimitExceededException``
====================================================  ======  ====================================

kvsim rules: the role is the last path segment of a served endpoint
(``/MASTER`` or ``/VIEWER``), else ``VIEWER`` when ``X-Amz-ClientId`` is given
and ``MASTER`` otherwise (AWS's ConnectAsViewer takes the client id,
ConnectAsMaster does not); ``X-Amz-Date`` and ``X-Amz-Expires`` are checked
for shape but not against the virtual clock (clients sign with the wall
clock). Frames are the relay's JSON messages, one per text frame; a frame
that is not JSON is ignored. When the service closes a connection (a newer
one replaced it, time limits, the channel deleted), its ``GO_AWAY`` (if any)
is sent, then a close frame with code 1000 and the reason.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import re
import select
import socket
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from ..core.ids import SERVED_REGIONS
from ..engine.permissions import IAM_PREFIX, default_identity
from ..engine.signaling import SignalingClosedError, SignalingConnection
from ..model.errors import ClientError
from . import endpoints, rest

if TYPE_CHECKING:
    from types import ModuleType

    from .server import _Handler

__all__ = ["EXTRA_MESSAGE", "serve_websocket", "websockets_module"]

#: What a server without the ``websockets`` package answers a WebSocket request.
EXTRA_MESSAGE = (
    "kvsim serve answers WebSocket signaling with the 'websockets' package, which is "
    "not installed: pip install 'kvsim[signaling]'"
)

_ARN = re.compile(
    r"arn:aws[a-z-]*:kinesisvideo:([a-z0-9-]+):([0-9]+):channel/[a-zA-Z0-9_.-]+/[0-9]+", re.ASCII
)
_DATE = re.compile(r"[0-9]{8}T[0-9]{6}Z", re.ASCII)
_SIGNATURE = re.compile(r"[0-9a-f]{64}", re.ASCII)
#: The largest frame a client may send (a message is at most ~10 KB of payload).
MAX_FRAME = 64 * 1024


def websockets_module() -> ModuleType:
    """The ``websockets`` package; ``ImportError`` naming the extra without it."""
    try:
        import websockets
        import websockets.server
    except ImportError as error:
        raise ImportError(EXTRA_MESSAGE) from error
    return websockets


class _Refused(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _one(query: dict[str, list[str]], name: str) -> str | None:
    values = query.get(name)
    return values[0] if values else None


def _check_query(query: dict[str, list[str]]) -> tuple[str, str, str, str | None]:
    """``(access key, region, channel ARN, client id)`` of a presigned URL, or :class:`_Refused`."""
    credential = _one(query, "X-Amz-Credential")
    if credential is None:
        raise _Refused(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    if _one(query, "X-Amz-Algorithm") != "AWS4-HMAC-SHA256":
        raise _Refused(
            403, "IncompleteSignatureException", "X-Amz-Algorithm must be AWS4-HMAC-SHA256."
        )
    parts = credential.split("/")
    if len(parts) != 5 or not parts[0] or parts[4] != "aws4_request":
        raise _Refused(
            403,
            "IncompleteSignatureException",
            "X-Amz-Credential must be <access key id>/<date>/<region>/kinesisvideo/aws4_request.",
        )
    access_key, _day, region, service, _ = parts
    if service != "kinesisvideo":
        raise _Refused(
            403,
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: 'kinesisvideo', not {service[:40]!r}.",
        )
    if region not in SERVED_REGIONS:
        raise _Refused(
            403,
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not {region[:40]!r}.",
        )
    date = _one(query, "X-Amz-Date")
    expires = _one(query, "X-Amz-Expires")
    signature = _one(query, "X-Amz-Signature")
    if date is None or not _DATE.fullmatch(date):
        raise _Refused(403, "IncompleteSignatureException", "X-Amz-Date must be YYYYMMDDTHHMMSSZ.")
    if expires is None or not expires.isdigit() or not 1 <= int(expires) <= 604_800:
        raise _Refused(
            403, "IncompleteSignatureException", "X-Amz-Expires must be 1 to 604800 seconds."
        )
    if not _one(query, "X-Amz-SignedHeaders"):
        raise _Refused(403, "IncompleteSignatureException", "X-Amz-SignedHeaders is missing.")
    if signature is None or not _SIGNATURE.fullmatch(signature):
        raise _Refused(
            403, "IncompleteSignatureException", "X-Amz-Signature must be 64 hex digits."
        )
    arn = _one(query, "X-Amz-ChannelARN")
    if arn is None or _ARN.fullmatch(arn) is None:
        raise _Refused(
            400,
            "InvalidArgumentException",
            f"X-Amz-ChannelARN must be a signaling channel ARN, got {str(arn)[:200]!r}.",
        )
    return access_key, region, arn, _one(query, "X-Amz-ClientId")


def _role(path: str, client_id: str | None) -> str:
    _host, rest = endpoints.split(path)
    last = rest.rstrip("/").rpartition("/")[2].upper()
    if last in ("MASTER", "VIEWER"):
        return last
    return "VIEWER" if client_id is not None else "MASTER"


def _allows(patterns: tuple[str, ...] | None, action: str) -> bool:
    if patterns is None:
        return True
    lowered = action.lower()
    return any(
        p == "*" or fnmatch.fnmatchcase(lowered, p[len(IAM_PREFIX) :].lower())
        for p in patterns
        if p == "*" or p.lower().startswith(IAM_PREFIX)
    )


def serve_websocket(handler: _Handler) -> None:
    """Answer one WebSocket upgrade request on ``handler``'s connection, then relay
    its frames until either side closes."""
    try:
        websockets_module()
    except ImportError:
        _refuse(handler, 501, "NotImplementedException", EXTRA_MESSAGE)
        return
    from websockets.frames import Frame, Opcode
    from websockets.http11 import Request
    from websockets.server import ServerProtocol

    server = handler.server
    sim = server.sim
    runtime = sim.runtime
    url = urlsplit(handler.path)
    query = parse_qs(url.query, keep_blank_values=True)
    handler.close_connection = True
    try:
        access_key, region, arn, client_id = _check_query(query)
        principal = runtime.principal_for(access_key)
        role = _role(url.path, client_id)
        action = "ConnectAsMaster" if role == "MASTER" else "ConnectAsViewer"
        found = _ARN.fullmatch(arn)
        assert found is not None
        account = principal.account_id if principal is not None else "123456789012"
        allowed = principal.allowed_actions if principal is not None else None
        if found.group(2) != account or not _allows(allowed, action):
            who = (
                principal.identity
                if principal is not None and principal.identity
                else default_identity(region, account)
            )
            raise _Refused(
                403,
                "AccessDeniedException",
                f"User: {who} is not authorized to perform: {IAM_PREFIX}{action} "
                f"on resource: {arn}",
            )
    except _Refused as refused:
        _refuse(handler, refused.status, refused.code, refused.message)
        return

    protocol = ServerProtocol(max_size=MAX_FRAME)
    lines = [handler.requestline, *(f"{k}: {v}" for k, v in handler.headers.items()), "", ""]
    protocol.receive_data("\r\n".join(lines).encode("latin-1"))
    events = protocol.events_received()
    request = events[0] if events else None
    if not isinstance(request, Request) or protocol.handshake_exc is not None:
        _refuse(
            handler,
            400,
            "BadRequestException",
            f"Not a WebSocket handshake: {protocol.handshake_exc}",
        )
        return
    wake_r, wake_w = socket.socketpair()
    wake_r.setblocking(False)
    wake_w.setblocking(False)

    def wake() -> None:
        with contextlib.suppress(OSError):
            wake_w.send(b"\0")

    try:
        connection = sim.signaling.open(arn, role, client_id, account, region, listener=wake)
    except ClientError as error:
        wake_r.close()
        wake_w.close()
        _refuse(handler, error.http_status, error.code, error.message)
        return
    sock: socket.socket = handler.connection
    response = protocol.accept(request)
    protocol.send_response(response)
    closing = False
    try:
        _flush(sock, protocol)
        while True:
            for message in connection.poll():
                protocol.send_text(json.dumps(message, separators=(",", ":")).encode())
            reason = connection.closed
            if reason is not None and not closing and reason != "closed by the client":
                protocol.send_close(1000, reason[:120])
                closing = True
            _flush(sock, protocol)
            if server.socket.fileno() < 0:  # the server was closed
                if not closing:
                    protocol.send_close(1001, "kvsim serve is stopping")
                    _flush(sock, protocol)
                break
            server.follow_wall_clock()
            ready, _, _ = select.select([sock, wake_r], [], [], 0.2)
            if wake_r in ready:
                with contextlib.suppress(OSError):
                    while wake_r.recv(4096):
                        pass
            if sock in ready:
                data = sock.recv(65536)
                if data:
                    protocol.receive_data(data)
                else:
                    protocol.receive_eof()
                for event in protocol.events_received():
                    if isinstance(event, Frame) and event.opcode is Opcode.TEXT:
                        _relay_text(connection, bytes(event.data))
                _flush(sock, protocol)
                # The client closed (and got its close frame back), or answered ours.
                if not data or protocol.state.name == "CLOSED" or protocol.close_expected():
                    break
    except (ConnectionError, TimeoutError, OSError):
        pass
    finally:
        connection.close()
        wake_r.close()
        wake_w.close()


def _relay_text(connection: SignalingConnection, data: bytes | str) -> None:
    try:
        frame = json.loads(data)
    except ValueError:
        return  # not JSON: ignored (there is no correlationId to answer)
    if isinstance(frame, dict):
        # A closed connection refuses it: the loop then closes the socket.
        with contextlib.suppress(SignalingClosedError):
            connection.send_frame(frame)


def _refuse(handler: _Handler, status: int, code: str, message: str) -> None:
    # An AWS error answer before (instead of) the upgrade; the connection then closes.
    answer = rest.error_response(
        status, code, message, handler.server.sim.runtime.next_request_id()
    )
    assert isinstance(answer.body, bytes)
    handler.send_response(answer.status)
    for name, value in answer.headers.items():
        handler.send_header(name, value)
    handler.send_header("Connection", "close")
    handler.end_headers()
    handler.wfile.write(answer.body)
    handler.wfile.flush()


def _flush(sock: socket.socket, protocol: Any) -> None:
    for chunk in protocol.data_to_send():
        if chunk:
            sock.sendall(chunk)
