"""``kvsim serve``: a simulator behind an HTTP endpoint, for the AWS CLI, other SDKs and curl.

Requests to the operation paths of all five Kinesis Video services are answered by
:func:`kvsim.http.rest.handle`, exactly as in process. The caller comes from the
SigV4 ``Authorization`` header's access-key id (``--account AKID=ACCOUNT``
maps keys to accounts, ``--allowed-actions`` and ``--identity`` make them
least-privilege principals; others act in ``123456789012`` with every action),
the region from its credential scope. Signatures are not checked.

The virtual clock moves only with calls and the control endpoints, unless
``clock_rate`` (``--clock-rate R``) makes it follow the wall clock too: R
virtual seconds per real second, so code that really sleeps while it polls
sees time pass. Control endpoints drive the virtual clock::

    POST /_kvsim/advance?seconds=N   run what falls due in the next N virtual seconds
    POST /_kvsim/run-until-idle      run every scheduled change
    GET  /_kvsim/time                {"now": "<virtual time, ISO 8601>"}
    POST /_kvsim/reset               a fresh simulator with the same seed and accounts

Control answers are JSON objects with ``now``; the first two add ``ran`` (how
many scheduled changes ran). Every bad request gets a 4xx JSON answer with a
``Message``; the server keeps serving.

A client that vanishes (a reset, a broken pipe, a read that times out) is
normal, not a kvsim failure: its connection is dropped without an answer or a
request id, and the simulator is left as it was (with ``verbose``, one line
says so on standard error). An answer of up to 64 KiB leaves in one write, on
a socket with ``TCP_NODELAY``, so a keep-alive client never waits for delayed
ACKs.

>>> server = KvsimServer(("127.0.0.1", 0), seed=0)
>>> server.base_url.startswith("http://127.0.0.1:")
True
>>> server.server_close()
"""

from __future__ import annotations

import contextlib
import json
import math
import re
import socket
import sys
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

from ..core.constants import DEFAULT_ACCOUNT_ID, KVSIM_VERSION
from ..engine.playback import serve_target
from ..engine.simulator import Simulator
from ..services.config import Limits, Timings
from ..services.playback import is_playback_path
from . import endpoints, put_media, rest

__all__ = ["DEFAULT_HOST", "DEFAULT_PORT", "KvsimServer", "check_clock_rate", "serving"]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4567
CONTROL_PREFIX = "/_kvsim/"
# How much of an oversized body is read (and thrown away) so the client can read the 413.
_DRAIN_LIMIT = 64 << 20
_CHUNK = 1 << 16
# Responses are buffered up to this size and sent with one write: headers and body
# in separate small writes meet Nagle's algorithm and the client's delayed ACK,
# which held every keep-alive answer back by ~40 ms.
_WRITE_BUFFER = 1 << 16
# What a client that went away raises on its socket: a reset, a broken pipe, an
# aborted connection, a read that timed out. Not kvsim's failures.
_DISCONNECTS = (ConnectionError, TimeoutError)
# Content-Length is 1*DIGIT (RFC 9110 §8.6): int() would also take "+2" and "1_0".
_DIGITS = re.compile(r"[0-9]+")


class KvsimServer(ThreadingHTTPServer):
    """A threading HTTP server that owns one :class:`~kvsim.Simulator`.

    ``address`` is ``(host, port)``; port 0 picks a free one (see :attr:`base_url`).
    ``accounts`` maps access-key ids to account ids, ``allowed_actions`` and
    ``identities`` give keys IAM actions and identity ARNs
    (:meth:`~kvsim.Simulator.register_credentials`; a key with actions but no
    account acts in ``123456789012``); ``limits`` and ``timings``
    configure the simulator (and each one :meth:`reset` makes) as in
    :class:`~kvsim.Simulator`. ``clock_rate`` makes the virtual clock follow
    the wall clock at that many virtual seconds per real second (None: it
    moves only with calls and ``/_kvsim/advance``). ``verbose`` logs each
    request to standard error.
    """

    daemon_threads = True
    # socketserver's default listen backlog of 5 overflowed under a burst of a
    # few hundred connections: the kernel dropped or reset the surplus, whose
    # clients then waited for SYN retries (seconds each). The kernel caps this
    # at net.core.somaxconn.
    request_queue_size = 1024

    def __init__(
        self,
        address: tuple[str, int],
        *,
        seed: int = 0,
        accounts: Mapping[str, str] | None = None,
        allowed_actions: Mapping[str, Iterable[str]] | None = None,
        identities: Mapping[str, str] | None = None,
        limits: Limits | None = None,
        timings: Timings | None = None,
        verbose: bool = False,
        simulator: Simulator | None = None,
        clock_rate: float | None = None,
    ) -> None:
        self.seed = seed
        self.accounts = dict(accounts or {})
        self.allowed_actions = {key: tuple(v) for key, v in (allowed_actions or {}).items()}
        self.identities = dict(identities or {})
        self.clock_rate = check_clock_rate(clock_rate)
        self._clock_lock = threading.Lock()
        self._synced_at = time.monotonic()
        self.limits = limits
        self.timings = timings
        self.verbose = verbose
        #: Whether the server serves a simulator it was given (``sim.serve()``),
        #: which only its owner may replace: ``/_kvsim/reset`` is then refused.
        self.adopted = simulator is not None
        if simulator is not None:
            self._register(simulator)  # checked before anything is bound
        self.sim = simulator if simulator is not None else self._new_simulator()
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def _new_simulator(self) -> Simulator:
        sim = Simulator(seed=self.seed, limits=self.limits, timings=self.timings)
        self._register(sim)
        return sim

    def _register(self, sim: Simulator) -> None:
        # Every key named by any of the three maps, in a stable order.
        keys = sorted({*self.accounts, *self.allowed_actions, *self.identities})
        for key in keys:
            sim.register_credentials(
                key,
                self.accounts.get(key, DEFAULT_ACCOUNT_ID),
                allowed_actions=self.allowed_actions.get(key),
                identity=self.identities.get(key),
            )

    def follow_wall_clock(self) -> None:
        """With a ``clock_rate``, move the virtual clock by the real time since
        the last move, scaled (running what falls due); else nothing. Called
        before every request and on every tick of the serving loop."""
        rate = self.clock_rate
        if rate is None:
            return
        with self._clock_lock:
            now = time.monotonic()
            elapsed, self._synced_at = now - self._synced_at, now
            # At the end of the virtual clock (year 9999) advance refuses: it stays there.
            with contextlib.suppress(ValueError):
                self.sim.advance(elapsed * rate)

    def service_actions(self) -> None:
        """Called by ``serve_forever`` on every poll: keep the clock following wall time."""
        self.follow_wall_clock()

    def reset(self) -> Simulator:
        """Replace the simulator by a fresh one (same seed and accounts) and return it.
        ``ValueError`` for a simulator the server was given (its owner holds it)."""
        if self.adopted:
            raise ValueError(
                "this server serves a simulator it was given (sim.serve()): "
                "reset that world in process, or make another"
            )
        self.sim = self._new_simulator()
        return self.sim

    def get_request(self) -> tuple[socket.socket, Any]:
        """Accept a connection, with Nagle's algorithm off on it.

        Each answer already leaves in one write; without ``TCP_NODELAY`` the
        tail of an answer larger than the write buffer would still wait for
        the client's (delayed) ACK of the part before it.
        """
        connection, address = super().get_request()
        if connection.family in (socket.AF_INET, socket.AF_INET6):
            connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return connection, address

    @property
    def base_url(self) -> str:
        """``http://host:port`` of the listening socket (IPv6 hosts in brackets)."""
        host, port = self.server_address[:2]
        if not isinstance(host, str):
            host = host.decode()
        shown = f"[{host}]" if ":" in host else host
        return f"http://{shown}:{port}"


def _json_body(value: Mapping[str, Any]) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class _Handler(BaseHTTPRequestHandler):
    """One connection: every method of every request goes to :meth:`_dispatch`."""

    server: KvsimServer
    protocol_version = "HTTP/1.1"
    # Answer even an unparsable request line with a status line and headers
    # (http.server's default, HTTP/0.9, would send a bare body).
    default_request_version = "HTTP/1.0"
    server_version = f"kvsim/{KVSIM_VERSION}"
    timeout = 60  # seconds a silent connection may hold its thread
    # Buffer each answer (flushed once, at its end) so it leaves in one write.
    wbufsize = _WRITE_BUFFER

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up do_<METHOD>: answer every method, so an unknown
        # one gets a JSON 4xx from the router instead of an HTML 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

    def handle(self) -> None:
        """Serve the connection's requests; a client that vanishes ends it quietly.

        Neither an answer nor a request id goes to a client that reset or
        stopped talking, so later request ids do not depend on how clients
        hang up.
        """
        try:
            super().handle()
        except _DISCONNECTS as error:
            self._vanished(error)

    def finish(self) -> None:
        # Closing the buffered writer flushes it, which raises again when the
        # client is gone; the connection is over either way.
        try:
            super().finish()
        except _DISCONNECTS:
            self.rfile.close()

    def handle_expect_100(self) -> bool:
        """Answer ``Expect: 100-continue`` at once: the client waits for it
        before sending its body, and the write buffer would hold it back."""
        proceed = super().handle_expect_100()
        self.wfile.flush()
        return proceed

    def _vanished(self, error: BaseException) -> None:
        self.close_connection = True
        self.log_message("client went away: %s", type(error).__name__)

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """http.server's own errors (malformed request line, huge headers) as JSON 4xx."""
        self.close_connection = True
        text = message or explain or self.responses.get(code, ("Error",))[0]
        if code >= 500:
            code = 400  # e.g. 505 for "HTTP/9.9": still the client's mistake
        self._send(code, {"Content-Type": "application/json"}, _json_body({"Message": text}))

    def _send(self, status: int, headers: Mapping[str, str], body: bytes) -> None:
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() != "content-length":
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        self.wfile.flush()

    def _send_chunked(
        self, status: int, headers: Mapping[str, str], chunks: Iterator[bytes]
    ) -> None:
        # A streamed payload (GetMedia and friends): chunked transfer encoding.
        try:
            self.send_response(status)
            for name, value in headers.items():
                if name.lower() not in ("content-length", "transfer-encoding"):
                    self.send_header(name, value)
            self.send_header("Transfer-Encoding", "chunked")
            if self.close_connection:
                self.send_header("Connection", "close")
            self.end_headers()
            if self.command == "HEAD":
                self.wfile.flush()
                return
            for chunk in chunks:
                if chunk:
                    self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
            self.wfile.write(b"0\r\n\r\n")
            self.wfile.flush()
        finally:
            # Sent, or the client went away: a media reader's body releases its
            # connection (kvsim.services.media_reads).
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _reject(self, status: int, code: str, message: str) -> None:
        answer = rest.error_response(
            status, code, message, self.server.sim.runtime.next_request_id()
        )
        assert isinstance(answer.body, bytes)  # error answers are JSON
        self._send(answer.status, answer.headers, answer.body)

    def _dispatch(self) -> None:
        try:
            if (self.headers.get("Upgrade") or "").lower() == "websocket":
                # WebRTC signaling (ConnectAsMaster / ConnectAsViewer): kvsim.http.signaling.
                from .signaling import serve_websocket

                self.server.follow_wall_clock()
                serve_websocket(self)
                return
            if self.command == "POST" and (
                endpoints.split(self.path)[1].partition("?")[0] == put_media.PATH
            ):
                # PutMedia: a streamed (chunked) body and a stream of acks (kvsim.http.put_media).
                self.server.follow_wall_clock()
                aws_host = endpoints.split(self.path)[0]
                put_media.serve_put_media(self, self.server.sim, aws_host or self._host())
                return
            body = self._read_body()
            if body is None:
                return
            self.server.follow_wall_clock()
            if self.path.startswith(CONTROL_PREFIX):
                self._control()
                return
            # An endpoint the server returned (kvsim.http.endpoints): the same request.
            aws_host, path = endpoints.split(self.path)
            if self.command in ("GET", "HEAD") and is_playback_path(path):
                # An HLS/DASH session's playlists and segments (kvsim.engine.playback).
                played = serve_target(self.server.sim.runtime, path)
                self._send(played.status, played.headers, played.body)
                return
            answer = rest.handle(
                self.server.sim,
                self.command,
                path,
                self.headers,
                body,
                endpoint_base=self.server.base_url,
                host=aws_host or self._host(),
            )
            payload = answer.body
            if isinstance(payload, bytes):
                self._send(answer.status, answer.headers, payload)
            else:
                self._send_chunked(answer.status, answer.headers, payload)
        except _DISCONNECTS:
            raise  # the client went away: handle() ends the connection quietly
        except Exception:
            # A bug in kvsim: answer 500 and keep serving.
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            self._reject(500, "InternalFailure", "kvsim failed to serve this request.")

    def _host(self) -> str:
        # The host a request was sent to: the server's own, not a data host.
        return str(self.headers.get("Host") or self.server.base_url.partition("://")[2])

    def _read_body(self) -> bytes | None:
        """The request body, or None after answering a request whose length is bad."""
        if self.headers.get("Transfer-Encoding"):
            self.close_connection = True
            self._reject(
                411,
                "LengthRequiredException",
                "kvsim reads bodies with a Content-Length; chunked transfer encoding is not supported.",
            )
            return None
        values = self.headers.get_all("Content-Length") or []
        if not values:
            return b""
        if len(values) > 1:
            # Two lengths leave the end of the body (and the start of the next
            # request) ambiguous: refuse rather than pick one.
            self.close_connection = True
            self._reject(
                400,
                "BadRequestException",
                f"{len(values)} Content-Length headers; send exactly one.",
            )
            return None
        declared = values[0].strip(" \t")
        if not _DIGITS.fullmatch(declared):
            self.close_connection = True
            self._reject(
                400,
                "BadRequestException",
                f"Invalid Content-Length: {declared[:40]!r}; it must be ASCII digits only.",
            )
            return None
        # int() refuses strings of over 4,300 digits; a length of over 20 is far
        # over the limit anyway, and only drained up to _DRAIN_LIMIT.
        significant = declared.lstrip("0") or "0"
        length = int(significant) if len(significant) <= 20 else _DRAIN_LIMIT << 1
        if length > rest.MAX_BODY_BYTES:
            self.close_connection = True
            shown = significant if len(significant) <= 20 else f"{significant[:20]}..."
            self._reject(
                413,
                "RequestEntityTooLargeException",
                f"The request body has {shown} bytes; kvsim reads at most {rest.MAX_BODY_BYTES}.",
            )
            self._drain(length)
            return None
        body = self.rfile.read(length)
        if len(body) < length:
            # The client closed (or half-closed) its side mid-body: the request is
            # incomplete and must not reach the simulator as if it were whole.
            self.close_connection = True
            self._reject(
                400,
                "BadRequestException",
                f"The request body ended after {len(body)} of its {length} bytes.",
            )
            return None
        return body

    def _drain(self, length: int) -> None:
        # Read (and drop) the rest of an oversized body, so a client that sends
        # it all before reading gets the answer instead of a reset connection.
        self.connection.settimeout(2)
        left = min(length, _DRAIN_LIMIT)
        try:
            while left > 0:
                chunk = self.rfile.read(min(left, _CHUNK))
                if not chunk:
                    break
                left -= len(chunk)
        except OSError:
            pass

    def _control(self) -> None:
        url = urlsplit(self.path)
        name = url.path[len(CONTROL_PREFIX) :]
        method = _CONTROL_METHODS.get(name)
        if method is None:
            known = ", ".join(f"{m} {CONTROL_PREFIX}{n}" for n, m in _CONTROL_METHODS.items())
            self._control_answer(404, {"Message": f"No control endpoint {url.path}; try {known}."})
            return
        if self.command != method:
            self._control_answer(405, {"Message": f"{url.path} is {method}, not {self.command}."})
            return
        server = self.server
        sim = server.sim
        result: dict[str, Any] = {}
        try:
            if name == "advance":
                # The simulator refuses NaN, infinities, negatives and moves past
                # the end of its clock (year 9999) with ValueError, before moving.
                result["ran"] = sim.advance(_seconds(parse_qs(url.query)))
            elif name == "run-until-idle":
                result["ran"] = sim.run_until_idle()
            elif name == "reset":
                sim = server.reset()
        except (TypeError, ValueError, OverflowError) as error:
            # OverflowError too: the only input here is the requested time, so
            # a time too large to represent is the request's fault, not a kvsim
            # failure to answer with 500.
            self._control_answer(400, {"Message": str(error)})
            return
        result["now"] = sim.now.isoformat()
        self._control_answer(200, result)

    def _control_answer(self, status: int, value: Mapping[str, Any]) -> None:
        self._send(status, {"Content-Type": "application/json"}, _json_body(value))


@contextmanager
def serving(
    sim: Simulator,
    *,
    host: str = DEFAULT_HOST,
    port: int = 0,
    clock_rate: float | None = None,
) -> Iterator[str]:
    """Serve ``sim`` over HTTP from a thread for the ``with`` block; yield its base URL.

    What :meth:`kvsim.Simulator.serve` runs: the same world answers in process
    and over the URL, so a test can hand the URL to any SDK, CLI or HTTP client
    and still step the clock in process. ``clock_rate`` as for :class:`KvsimServer`.
    """
    server = KvsimServer((host, port), simulator=sim, clock_rate=clock_rate)
    worker = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    worker.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        worker.join()


#: The control endpoints under ``/_kvsim/`` and their methods.
_CONTROL_METHODS = {"advance": "POST", "run-until-idle": "POST", "time": "GET", "reset": "POST"}


def _seconds(query: Mapping[str, list[str]]) -> float:
    """The ``seconds`` of ``/_kvsim/advance``; ValueError with the reason if unusable.

    NaN, infinities and negatives are left to :meth:`Simulator.advance`, which
    refuses them with ValueError; a number too large for a float (``1e400``)
    is refused here, since by then it reads as ``inf``.
    """
    values = query.get("seconds")
    if not values or len(values) != 1:
        raise ValueError("advance needs exactly one query parameter seconds=N, e.g. ?seconds=2.5")
    text = values[0]
    try:
        # float() also takes "1_000": refuse digit separators, as in Content-Length.
        if "_" in text:
            raise ValueError
        seconds = float(text)
    except ValueError:
        raise ValueError(f"seconds must be a number, got {text[:40]!r}") from None
    if math.isinf(seconds) and text.strip().lstrip("+-").lower() not in ("inf", "infinity"):
        raise ValueError(f"seconds must be finite, got {text[:40]!r} (too large)")
    return seconds


def check_clock_rate(rate: object) -> float | None:
    """``rate`` if it is None or a finite number > 0; ``TypeError``/``ValueError`` otherwise.

    >>> check_clock_rate(10), check_clock_rate(None)
    (10, None)
    >>> check_clock_rate(0)
    Traceback (most recent call last):
    ...
    ValueError: clock_rate must be a finite number > 0 (virtual seconds per real second), got 0
    """
    if rate is None:
        return None
    if isinstance(rate, bool) or not isinstance(rate, int | float):
        raise TypeError(f"clock_rate must be a number or None, not {type(rate).__name__}")
    if not (math.isfinite(rate) and rate > 0):
        raise ValueError(
            "clock_rate must be a finite number > 0 (virtual seconds per real second), "
            f"got {rate!r}"
        )
    return rate
