"""`kvsim bench --only server`: the server scenario, run with tiny batches.

Timings are never asserted; these tests check what the scenario measures and
reports, and that it skips moto's server with a note when it is missing.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

harness = pytest.importorskip("benchmarks.harness")
pytest.importorskip("boto3")

#: Two timed batches of a handful of calls: enough to see the shape of the results.
TINY = dataclasses.replace(harness.QUICK, name="tiny", reps=2, boto_calls=8)


def test_server_is_a_listed_scenario() -> None:
    assert "server" in harness.scenarios()


def test_server_measures_kvsim_serve_and_moto_server_with_1_and_8_threads(
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("moto.server")
    ctx = harness.run(TINY, ["server"])
    assert [(r.system, r.size, r.calls) for r in ctx.results] == [
        ("kvsim", 1, 8),
        ("moto server", 1, 8),
        ("kvsim", 8, 8),
        ("moto server", 8, 8),
    ]
    for result in ctx.results:
        assert 0 < result.extra["p50_ms"] <= result.extra["p99_ms"]
        assert f"p50 {result.extra['p50_ms']:.2f} ms" in result.note
    assert set(ctx.facts["server"]) == {"kvsim", "moto server"}
    [target] = harness.targets(ctx)
    assert (target.name, target.goal, target.unit) == (
        "kvsim serve keep-alive call p50",
        10.0,
        " ms",
    )
    # werkzeug's request log stays quiet; only the harness' progress lines remain.
    _, err = capsys.readouterr()
    assert "HTTP/1.1" not in err


def test_missing_moto_server_is_skipped_with_a_note(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "moto.server", None)
    ctx = harness.run(TINY, ["server"])
    assert {r.system for r in ctx.results} == {"kvsim"}
    assert ctx.notes == [
        "moto's server is not installed: server's moto baseline is skipped "
        "(pip install -e '.[bench]')"
    ]
