"""``kvsim serve``: a simulator behind an HTTP endpoint, for the AWS CLI, other SDKs and curl.

Requests to the operation paths of all five Kinesis Video services are answered by
:func:`kvsim.http.rest.handle`, exactly as in process. The account comes from the
SigV4 ``Authorization`` header's access-key id (``--account AKID=ACCOUNT``
maps keys to accounts; others act in ``123456789012``), the region from its
credential scope. Signatures are not checked. Control endpoints drive the
virtual clock::

    POST /_kvsim/advance?seconds=N   run what falls due in the next N virtual seconds
    POST /_kvsim/run-until-idle      run every scheduled change
    GET  /_kvsim/time                {"now": "<virtual time, ISO 8601>"}
    POST /_kvsim/reset               a fresh simulator with the same seed and accounts

Control answers are JSON objects with ``now``; the first two add ``ran`` (how
many scheduled changes ran). Every bad request gets a 4xx JSON answer with a
``Message``; the server keeps serving.

>>> server = KvsimServer(("127.0.0.1", 0), seed=0)
>>> server.base_url.startswith("http://127.0.0.1:")
True
>>> server.server_close()
"""

from __future__ import annotations

import argparse
import ipaddress
import json
import signal
import socket
import sys
import threading
import traceback
from collections.abc import Callable, Iterator, Mapping, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import FrameType
from typing import Any
from urllib.parse import parse_qs, urlsplit

from .. import __version__
from ..core.constants import DEFAULT_ACCOUNT_ID, is_account_id
from ..engine.simulator import Simulator
from . import rest

__all__ = [
    "DEFAULT_HOST",
    "DEFAULT_PORT",
    "KvsimServer",
    "add_arguments",
    "main",
    "parse_account",
    "run",
]

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 4567
CONTROL_PREFIX = "/_kvsim/"
# How much of an oversized body is read (and thrown away) so the client can read the 413.
_DRAIN_LIMIT = 64 << 20
_CHUNK = 1 << 16


class KvsimServer(ThreadingHTTPServer):
    """A threading HTTP server that owns one :class:`~kvsim.Simulator`.

    ``address`` is ``(host, port)``; port 0 picks a free one (see :attr:`base_url`).
    ``accounts`` maps access-key ids to account ids. ``verbose`` logs each
    request to standard error.
    """

    daemon_threads = True

    def __init__(
        self,
        address: tuple[str, int],
        *,
        seed: int = 0,
        accounts: Mapping[str, str] | None = None,
        verbose: bool = False,
    ) -> None:
        self.seed = seed
        self.accounts = dict(accounts or {})
        self.verbose = verbose
        self.sim = self._new_simulator()
        self.address_family = socket.AF_INET6 if ":" in address[0] else socket.AF_INET
        super().__init__(address, _Handler)

    def _new_simulator(self) -> Simulator:
        sim = Simulator(seed=self.seed)
        for access_key_id, account_id in self.accounts.items():
            sim.register_credentials(access_key_id, account_id)
        return sim

    def reset(self) -> Simulator:
        """Replace the simulator by a fresh one (same seed and accounts) and return it."""
        self.sim = self._new_simulator()
        return self.sim

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
    server_version = f"kvsim/{__version__}"
    timeout = 60  # seconds a silent connection may hold its thread

    def __getattr__(self, name: str) -> Callable[[], None]:
        # http.server looks up do_<METHOD>: answer every method, so an unknown
        # one gets a JSON 4xx from the router instead of an HTML 501.
        if name.startswith("do_"):
            return self._dispatch
        raise AttributeError(name)

    def log_message(self, format: str, *args: Any) -> None:
        if self.server.verbose:
            super().log_message(format, *args)

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

    def _send_chunked(
        self, status: int, headers: Mapping[str, str], chunks: Iterator[bytes]
    ) -> None:
        # A streamed payload (GetMedia and friends): chunked transfer encoding.
        self.send_response(status)
        for name, value in headers.items():
            if name.lower() not in ("content-length", "transfer-encoding"):
                self.send_header(name, value)
        self.send_header("Transfer-Encoding", "chunked")
        if self.close_connection:
            self.send_header("Connection", "close")
        self.end_headers()
        if self.command == "HEAD":
            return
        for chunk in chunks:
            if chunk:
                self.wfile.write(b"%x\r\n%s\r\n" % (len(chunk), chunk))
        self.wfile.write(b"0\r\n\r\n")

    def _reject(self, status: int, code: str, message: str) -> None:
        answer = rest.error_response(
            status, code, message, self.server.sim.runtime.next_request_id()
        )
        assert isinstance(answer.body, bytes)  # error answers are JSON
        self._send(answer.status, answer.headers, answer.body)

    def _dispatch(self) -> None:
        try:
            body = self._read_body()
            if body is None:
                return
            if self.path.startswith(CONTROL_PREFIX):
                self._control()
                return
            answer = rest.handle(self.server.sim, self.command, self.path, self.headers, body)
            payload = answer.body
            if isinstance(payload, bytes):
                self._send(answer.status, answer.headers, payload)
            else:
                self._send_chunked(answer.status, answer.headers, payload)
        except Exception:
            # A bug in kvsim: answer 500 and keep serving.
            traceback.print_exc(file=sys.stderr)
            self.close_connection = True
            self._reject(500, "InternalFailure", "kvsim failed to serve this request.")

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
        declared = self.headers.get("Content-Length")
        if declared is None:
            return b""
        try:
            length = int(declared)
            if length < 0:
                raise ValueError
        except ValueError:
            self.close_connection = True
            self._reject(400, "BadRequestException", f"Invalid Content-Length: {declared[:40]!r}.")
            return None
        if length > rest.MAX_BODY_BYTES:
            self.close_connection = True
            self._reject(
                413,
                "RequestEntityTooLargeException",
                f"The request body has {length} bytes; kvsim reads at most {rest.MAX_BODY_BYTES}.",
            )
            self._drain(length)
            return None
        return self.rfile.read(length)

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
                result["ran"] = sim.advance(_seconds(parse_qs(url.query)))
            elif name == "run-until-idle":
                result["ran"] = sim.run_until_idle()
            elif name == "reset":
                sim = server.reset()
        except (TypeError, ValueError) as error:
            self._control_answer(400, {"Message": str(error)})
            return
        result["now"] = sim.now.isoformat()
        self._control_answer(200, result)

    def _control_answer(self, status: int, value: Mapping[str, Any]) -> None:
        self._send(status, {"Content-Type": "application/json"}, _json_body(value))


#: The control endpoints under ``/_kvsim/`` and their methods.
_CONTROL_METHODS = {"advance": "POST", "run-until-idle": "POST", "time": "GET", "reset": "POST"}


def _seconds(query: Mapping[str, list[str]]) -> float:
    values = query.get("seconds")
    if not values or len(values) != 1:
        raise ValueError("advance needs exactly one query parameter seconds=N, e.g. ?seconds=2.5")
    try:
        return float(values[0])
    except ValueError:
        raise ValueError(f"seconds must be a number, got {values[0][:40]!r}") from None


# -- the command line --------------------------------------------------------------------


def parse_account(text: str) -> tuple[str, str]:
    """``"AKID=123456789012"`` → ``("AKID", "123456789012")``; ``ArgumentTypeError`` if malformed.

    >>> parse_account("AKIDEXAMPLE=111122223333")
    ('AKIDEXAMPLE', '111122223333')
    """
    access_key_id, sep, account_id = text.partition("=")
    if not sep or not access_key_id or not is_account_id(account_id):
        raise argparse.ArgumentTypeError(
            f"expected ACCESS_KEY_ID=ACCOUNT_ID with a 12-digit account, got {text!r}"
        )
    return access_key_id, account_id


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add ``kvsim serve``'s options to ``parser``."""
    parser.add_argument(
        "--host",
        default=DEFAULT_HOST,
        help=f"address to listen on (default: {DEFAULT_HOST}, loopback)",
    )
    parser.add_argument(
        "--port",
        type=int,
        default=DEFAULT_PORT,
        help=f"port to listen on; 0 picks a free one (default: {DEFAULT_PORT})",
    )
    parser.add_argument(
        "--seed", type=int, default=0, metavar="N", help="the simulator's seed (default: 0)"
    )
    parser.add_argument(
        "--account",
        type=parse_account,
        action="append",
        default=[],
        metavar="AKID=ACCOUNT",
        help="requests signed with access key AKID act in ACCOUNT (repeatable); "
        f"others act in {DEFAULT_ACCOUNT_ID}",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")


#: ``kvsim serve --help``'s description.
SERVE_DESCRIPTION = f"""\
Serve a fresh simulator over HTTP, speaking the rest-json protocol of the five
Kinesis Video services (kinesisvideo and its data planes) on one port,
for the AWS CLI (--endpoint-url), other SDKs and curl. The first line printed
is the base URL. Requests need a SigV4 Authorization header (signatures are
not checked): its access key picks the account (see --account; others act in
{DEFAULT_ACCOUNT_ID}) and its credential scope the region. SIGINT or
SIGTERM stops the server.

control endpoints (JSON answers with the virtual time "now"):
  POST /_kvsim/advance?seconds=N   run what falls due in the next N virtual seconds
  POST /_kvsim/run-until-idle      run every scheduled change
  GET  /_kvsim/time                the virtual time, ISO 8601
  POST /_kvsim/reset               a fresh simulator with the same seed and accounts
"""


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; print the base URL first. Exit 0, or 1 if
    the address cannot be used."""
    try:
        server = KvsimServer(
            (args.host, args.port),
            seed=args.seed,
            accounts=dict(args.account),
            verbose=args.verbose,
        )
    except (OSError, OverflowError) as error:
        print(f"kvsim serve: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    print(server.base_url, flush=True)
    if not _is_loopback(args.host):
        print(
            f"kvsim serve: warning: listening on {args.host}, not a loopback address",
            file=sys.stderr,
        )
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    worker = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    worker.start()
    try:
        stop.wait()
    finally:
        server.shutdown()
        server.server_close()
        worker.join()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
    print("kvsim serve: stopped", file=sys.stderr, flush=True)
    return 0


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def build_parser() -> argparse.ArgumentParser:
    """The parser of ``python -m kvsim.http.server`` (the same options as ``kvsim serve``)."""
    parser = argparse.ArgumentParser(
        prog="kvsim serve",
        description=SERVE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m kvsim.http.server [options]``: the same as ``kvsim serve``."""
    return run(build_parser().parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
