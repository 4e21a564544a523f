"""The codebase's own standards, checked by the test suite so CI enforces them."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _tool(name: str) -> list[str]:
    # Prefer the tool installed beside this interpreter (the venv of the test extra).
    beside = Path(sys.executable).with_name(name)
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed; `pip install -e '.[test]'` brings it")
    return [found]


def test_import_kvsim_pulls_in_no_test_or_aws_library() -> None:
    # botocore.exceptions is the one exception: kvsim's errors derive from its
    # classes where botocore is installed (botocore's client machinery stays out).
    code = (
        "import sys, kvsim, kvsim.errors, kvsim.services.config; "
        "bad = sorted(m for m in ('pytest', 'hypothesis', 'boto3', 'botocore.client', "
        "'botocore.session', 'urllib3') if m in sys.modules); "
        "print(','.join(bad))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


def test_ruff_lint_is_clean() -> None:
    result = subprocess.run(
        [*_tool("ruff"), "check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_format_is_clean() -> None:
    result = subprocess.run(
        [*_tool("ruff"), "format", "--check", "."], cwd=ROOT, capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_strict_is_clean_on_the_package() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "mypy", "--no-incremental"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if "No module named mypy" in result.stderr:
        pytest.skip("mypy is not installed; `pip install -e '.[test]'` brings it")
    assert result.returncode == 0, result.stdout + result.stderr
