"""``kvsim serve``: the command-line entry of :mod:`kvsim.http.server`."""

from __future__ import annotations

import argparse

from .bench import Subparsers

__all__ = ["add_serve_command"]

# -- kvsim serve ------------------------------------------------------------------------


def add_serve_command(subparsers: Subparsers) -> None:
    """``kvsim serve [--host H] [--port P] [--seed N] [--account AKID=ACCOUNT ...]``."""
    from ..http import server

    parser = subparsers.add_parser(
        "serve",
        help="serve the simulator over HTTP for the AWS CLI, other SDKs and curl",
        description=server.SERVE_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    server.add_arguments(parser)
    parser.set_defaults(handler=server.run)
