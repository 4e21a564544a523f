"""A saved trace carries its own seed: `kvsim run TRACE --seed N` says so instead of ignoring N."""

from __future__ import annotations

from pathlib import Path

import pytest

import kvsim
from kvsim.cli import main


@pytest.fixture
def trace(tmp_path: Path) -> Path:
    sim = kvsim.Simulator(seed=4, trace_limit=None)
    sim.client().create_stream(StreamName="cam")
    path = tmp_path / "trace.jsonl"
    sim.save_trace(path)
    return path


@pytest.mark.parametrize("check", [[], ["--check"]])
def test_another_seed_is_refused_naming_the_traces_own(
    trace: Path, check: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(trace), "--seed", "7", *check]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"kvsim run: {trace}: a saved trace carries its own seed (4); "
        "--seed 7 does not apply to it\n"
    )


@pytest.mark.parametrize("seed", [[], ["--seed", "4"]])
def test_the_header_names_the_traces_seed(
    trace: Path, seed: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(trace), *seed]) == 0
    assert capsys.readouterr().out.startswith(f"kvsim run: {trace}, seed 4, 1 step\n")
