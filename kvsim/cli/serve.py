"""``kvsim serve``: the command line of :mod:`kvsim.http.server` (its options,
their parsing, and serving until SIGINT or SIGTERM)."""

from __future__ import annotations

import argparse
import ipaddress
import signal
import sys
import threading
from types import FrameType

from ..core.constants import DEFAULT_ACCOUNT_ID, is_account_id, seed_option
from ..engine.permissions import expand_actions
from ..http.server import DEFAULT_HOST, DEFAULT_PORT, KvsimServer, check_clock_rate
from .bench import Subparsers

__all__ = [
    "SERVE_DESCRIPTION",
    "add_arguments",
    "add_serve_command",
    "exposure_warning",
    "parse_account",
    "parse_allowed_actions",
    "parse_identity",
    "run",
]


def add_serve_command(subparsers: Subparsers) -> None:
    """``kvsim serve [--host H] [--port P] [--seed N] [--account AKID=ACCOUNT ...]``."""
    parser = subparsers.add_parser(
        "serve",
        help="serve the simulator over HTTP for the AWS CLI, other SDKs and curl",
        description=SERVE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    add_arguments(parser)
    parser.set_defaults(handler=run)


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


def parse_allowed_actions(text: str) -> tuple[str, tuple[str, ...]]:
    """``"AKID=kinesisvideo:Describe*,kinesisvideo:List*"`` → the key and its actions.

    >>> parse_allowed_actions("AKIDREADER=kinesisvideo:Describe*,kinesisvideo:List*")
    ('AKIDREADER', ('kinesisvideo:Describe*', 'kinesisvideo:List*'))
    """
    access_key_id, sep, listed = text.partition("=")
    actions = tuple(a.strip() for a in listed.split(",") if a.strip())
    if not sep or not access_key_id:
        raise argparse.ArgumentTypeError(
            f"expected ACCESS_KEY_ID=ACTION[,ACTION...] such as "
            f"AKID=kinesisvideo:Describe*, got {text!r}"
        )
    try:
        expand_actions(actions)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None
    return access_key_id, actions


def parse_identity(text: str) -> tuple[str, str]:
    """``"AKID=arn:aws:iam::111122223333:user/alice"`` → the key and its identity ARN.

    >>> parse_identity("AKID=arn:aws:iam::111122223333:role/reader")
    ('AKID', 'arn:aws:iam::111122223333:role/reader')
    """
    access_key_id, sep, identity = text.partition("=")
    if not sep or not access_key_id or not identity.startswith("arn:"):
        raise argparse.ArgumentTypeError(
            f"expected ACCESS_KEY_ID=IDENTITY_ARN such as "
            f"AKID=arn:aws:iam::111122223333:user/alice, got {text!r}"
        )
    return access_key_id, identity


def _clock_rate_option(text: str) -> float:
    try:
        rate = float(text)
        checked = check_clock_rate(rate)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a finite number > 0 of virtual seconds per real second, got {text!r}"
        ) from None
    assert checked is not None
    return checked


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
        "--seed",
        type=seed_option,
        default=0,
        metavar="N",
        help="the simulator's seed, 0 <= N < 2**64 (default: 0)",
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
    parser.add_argument(
        "--allowed-actions",
        type=parse_allowed_actions,
        action="append",
        default=[],
        metavar="AKID=ACTION[,ACTION...]",
        help="access key AKID may call only these IAM actions (* wildcards, e.g. "
        "kinesisvideo:Describe*); other calls answer AccessDeniedException (403). Repeatable",
    )
    parser.add_argument(
        "--identity",
        type=parse_identity,
        action="append",
        default=[],
        metavar="AKID=ARN",
        help="the IAM or STS ARN denials name for access key AKID "
        "(default: arn:aws:iam::ACCOUNT:user/kvsim). Repeatable",
    )
    parser.add_argument(
        "--clock-rate",
        type=_clock_rate_option,
        default=None,
        metavar="R",
        help="let the virtual clock follow the wall clock, R virtual seconds per real "
        "second (default: the clock moves only with calls and /_kvsim/advance)",
    )
    parser.add_argument("--verbose", action="store_true", help="log every request to stderr")


#: ``kvsim serve --help``'s description.
SERVE_DESCRIPTION = f"""\
Serve a fresh simulator over HTTP, speaking the rest-json protocol of the five
Kinesis Video services (kinesisvideo and its data planes) on one port,
for the AWS CLI (--endpoint-url), other SDKs and curl. The first line printed
is the base URL. Requests need a SigV4 Authorization header (signatures are
not checked): its access key picks the account (see --account; others act in
{DEFAULT_ACCOUNT_ID}) and its allowed actions (--allowed-actions), and its
credential scope the region. The virtual clock moves with calls and the
control endpoints, and with the wall clock under --clock-rate. SIGINT or
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
            allowed_actions=dict(args.allowed_actions),
            identities=dict(args.identity),
            verbose=args.verbose,
            clock_rate=args.clock_rate,
        )
    except ValueError as error:  # a principal the options describe is not valid
        print(f"kvsim serve: {error}", file=sys.stderr)
        return 2
    except (OSError, OverflowError) as error:
        print(f"kvsim serve: cannot listen on {args.host}:{args.port}: {error}", file=sys.stderr)
        return 1
    print(server.base_url, flush=True)
    warning = exposure_warning(args.host)
    if warning is not None:
        print(warning, file=sys.stderr)
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


def exposure_warning(host: str) -> str | None:
    """The warning ``kvsim serve`` prints when ``host`` is not a loopback address, else None.

    >>> exposure_warning("127.0.0.1") is None
    True
    >>> print(exposure_warning("0.0.0.0"))  # doctest: +NORMALIZE_WHITESPACE
    kvsim serve: warning: listening on 0.0.0.0, not a loopback address: anyone who can
    reach it can read and change the simulated world (signatures are not checked) and
    move its clock or reset it through /_kvsim/ (no authentication)
    """
    if _is_loopback(host):
        return None
    return (
        f"kvsim serve: warning: listening on {host}, not a loopback address: anyone who can "
        "reach it can read and change the simulated world (signatures are not checked) and "
        "move its clock or reset it through /_kvsim/ (no authentication)"
    )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
