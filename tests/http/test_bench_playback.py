"""`kvsim bench --only playback`: the HLS segment scenario, run with tiny batches.

Timings are never asserted; this checks what the scenario measures and reports.
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

#: Two timed batches of the smallest size: enough to see the shape of the results.
TINY = dataclasses.replace(harness.QUICK, name="tiny", reps=2, boto_calls=1)


def test_playback_measures_segments_from_kvsim_serve() -> None:
    assert "playback" in harness.scenarios()
    ctx = harness.run(TINY, ["playback"])
    [result] = ctx.results
    assert (result.scenario, result.system, result.size, result.calls, result.unit) == (
        "playback",
        "kvsim",
        100,
        50,
        "segments",
    )
    fact = ctx.facts["playback"]
    assert 60_000 < fact["segment_bytes"] < 65_000
    [target] = [t for t in harness.targets(ctx) if t.name == "HLS segments from kvsim serve"]
    assert target.goal == 500.0 and not target.at_most
    from benchmarks import bench_playback

    assert "segments/s median" in bench_playback.facts_text(ctx)
