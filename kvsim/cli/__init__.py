"""The ``kvsim`` command line (also ``python -m kvsim``).

Each subcommand is one ``add_<name>_command(subparsers)`` function in a module
of its own (:mod:`.run`, :mod:`.serve`, :mod:`.bench`) that adds its parser
and sets ``handler`` (``Namespace -> exit code``); list it in
:data:`SUBCOMMANDS` and :func:`main` dispatches to it. Exit codes: 0 done,
2 a usage error or a malformed scenario (a one-line message on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from ..core.constants import KVSIM_VERSION
from .bench import Subparsers, add_bench_command, bench_command
from .run import add_run_command
from .serve import add_serve_command

__all__ = [
    "SUBCOMMANDS",
    "add_bench_command",
    "add_run_command",
    "add_serve_command",
    "build_parser",
    "main",
]


def build_parser() -> argparse.ArgumentParser:
    """The ``kvsim`` parser with every subcommand of :data:`SUBCOMMANDS`."""
    parser = argparse.ArgumentParser(
        prog="kvsim",
        description="kvsim: a deterministic simulator of Amazon Kinesis Video Streams.",
    )
    parser.add_argument("--version", action="version", version=f"kvsim {KVSIM_VERSION}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for add_command in SUBCOMMANDS:
        add_command(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``kvsim`` command line with ``argv`` (default ``sys.argv[1:]``);
    return the exit code."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["bench"]:
        # The harness parses its own options (and --help) in its own process.
        return bench_command(args_list[1:])
    args = build_parser().parse_args(args_list)
    handler: Callable[[argparse.Namespace], int] = args.handler
    return handler(args)


#: Every subcommand's ``add_<name>_command``, in ``--help`` order.
SUBCOMMANDS: tuple[Callable[[Subparsers], None], ...] = (
    add_run_command,
    add_serve_command,
    add_bench_command,
)
