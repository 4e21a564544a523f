"""``kvsim bench``: runs the benchmark harness of a source checkout in its own process.

The harness lives in the checkout's ``benchmarks/`` folder, beside the
package, and imports kvsim; kvsim never imports it. ``kvsim bench [options]``
runs ``python -m benchmarks [options]`` from the checkout's root, which
parses the options itself (``kvsim bench --help`` lists them).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TypeAlias

__all__ = ["EXIT_USAGE", "add_bench_command", "bench_command", "checkout_root"]

#: What argparse's ``add_subparsers`` returns.
Subparsers: TypeAlias = "argparse._SubParsersAction[argparse.ArgumentParser]"

#: Exit code of a usage error (argparse's own).
EXIT_USAGE = 2


def checkout_root() -> Path | None:
    """The source checkout this kvsim runs from (it has ``benchmarks/harness.py``), or None."""
    root = Path(__file__).resolve().parents[2]
    return root if (root / "benchmarks" / "harness.py").is_file() else None


def add_bench_command(subparsers: Subparsers) -> None:
    """``kvsim bench [--quick] [--only NAME] [--json PATH] [--plot PATH] ...`` (listed in
    ``kvsim --help``; :func:`kvsim.cli.main` hands its arguments to :func:`bench_command`)."""
    subparsers.add_parser(
        "bench",
        help="benchmark kvsim against its baselines (from a source checkout; --help for options)",
        add_help=False,
    )


def bench_command(argv: Sequence[str]) -> int:
    """Run ``python -m benchmarks argv`` in the checkout; 2 outside a checkout."""
    root = checkout_root()
    if root is None:
        print(
            "kvsim bench: runs from a source checkout (pip install -e '.[bench]' in a clone "
            f"of kvsim); no benchmarks/ directory beside {Path(__file__).resolve().parents[1]}",
            file=sys.stderr,
        )
        return EXIT_USAGE
    sys.stdout.flush()
    sys.stderr.flush()
    return subprocess.call([sys.executable, "-m", "benchmarks", *argv], cwd=root)
