"""`kvsim bench`: the benchmark harness, run on tiny worlds so the tests stay fast.

The timings themselves are never asserted (no wall-clock assertions): these
tests check what the harness runs, reports and writes.
"""

from __future__ import annotations

import dataclasses
import json
import sys
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import kvsim
import kvsim.cli
import kvsim.cli.bench
from kvsim.cli import main

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

harness = pytest.importorskip("benchmarks.harness")

#: A plan small enough for a test: the shape of --quick, with tiny worlds and batches.
TINY = dataclasses.replace(
    harness.QUICK,
    name="tiny",
    sizes=(50, 200),
    batch=40,
    create_batch=20,
    update_batch=10,
    list_pages=3,
    moto_world=100,
    slow_batch_seconds=0.001,
    idle_changes=300,
    fleet_devices=40,
    fleet_boto_devices=10,
    boto_sizes=(20,),
    boto_calls=3,
    stateful_examples=1,
    stateful_steps=4,
)
RESULT_KEYS = {
    "scenario",
    "size",
    "system",
    "unit",
    "calls_per_batch",
    "median_per_s",
    "min_per_s",
    "max_per_s",
    "us_per_call",
    "cpu_us_per_call",
    "seconds",
    "cpu_seconds",
    "bytes_per_stream",
    "note",
}


@pytest.fixture
def tiny(monkeypatch: pytest.MonkeyPatch) -> None:
    """`kvsim bench --quick` runs the tiny plan."""
    monkeypatch.setattr(harness, "QUICK", TINY)


def bench(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    # What `kvsim bench ARGS` runs (python -m benchmarks ARGS), in this process.
    code = harness.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def without(monkeypatch: pytest.MonkeyPatch, *modules: str) -> None:
    """Make ``import <module>`` fail, as if the package were not installed."""
    for name in modules:
        monkeypatch.setitem(sys.modules, name, None)


MOTO_MODULES = ("moto", "moto.kinesisvideo.models", "moto.moto_api._internal")


def test_every_scenario_is_listed(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = bench(capsys, "--list")
    assert code == 0
    names = [line.split()[0] for line in out.splitlines()]
    assert names == list(harness.scenarios())
    assert {"create_stream", "describe_stream_name", "run_until_idle", "fleet", "stateful"} <= set(
        names
    )


def test_unknown_only_name_exits_2_with_the_names(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = bench(capsys, "--quick", "--only", "create_stream,describe_everything")
    assert code == 2
    assert out == ""
    assert err.startswith("kvsim bench: unknown scenario describe_everything; choose from: ")
    assert "create_stream, describe_stream_name, describe_stream_arn" in err


def test_quick_only_one_scenario_prints_its_table_and_targets(
    tiny: None, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, err = bench(capsys, "--quick", "--only", "describe_stream_name")
    assert code == 0
    rows = [line.split() for line in out.splitlines() if line.startswith("describe_stream_name")]
    assert [(r[1], r[2]) for r in rows if r[2] == "kvsim"] == [("50", "kvsim"), ("200", "kvsim")]
    assert [r[1] for r in rows if r[2] == "bare"] == ["50", "200"]
    kvsim_rows = [
        line
        for line in out.splitlines()
        if line.startswith("describe_stream_name") and " kvsim " in line
    ]
    assert len(kvsim_rows) == 2 and all("× bare dict" in line for line in kvsim_rows)
    assert "describe_stream_name calls/s" in out and "goal ≥ 150,000" in out
    assert "describe_stream_name cost 200 / 50" in out
    # Progress goes to stderr while it runs.
    assert "building a world of 200 streams" in err and err.rstrip().endswith("done")


def test_json_has_the_documented_structure(
    tiny: None, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "bench.json"
    code, _, err = bench(
        capsys,
        "--quick",
        "--only",
        "create_stream",
        "--only",
        "run_until_idle",
        "--json",
        str(path),
    )
    assert code == 0 and f"wrote {path}" in err
    data = json.loads(path.read_text())
    assert set(data) == {"meta", "results", "targets", "notes", "facts"}
    meta = data["meta"]
    assert meta["plan"] == "tiny" and meta["reps"] == 5 and meta["seed"] == harness.SEED
    assert meta["python"] and meta["cpu"] and meta["kvsim"] == kvsim.__version__
    for result in data["results"]:
        assert set(result) >= RESULT_KEYS
        assert len(result["seconds"]) == len(result["cpu_seconds"]) == 5
        assert result["min_per_s"] <= result["median_per_s"] <= result["max_per_s"]
    created = {
        (r["system"], r["size"]) for r in data["results"] if r["scenario"] == "create_stream"
    }
    # create_stream also runs at the moto target's world size (100 here).
    assert {("kvsim", 50), ("kvsim", 100), ("kvsim", 200), ("bare dict", 200)} <= created
    [idle] = [r for r in data["results"] if r["scenario"] == "run_until_idle"]
    assert (idle["size"], idle["unit"], idle["calls_per_batch"]) == (300, "changes", 300)
    assert idle["bytes_per_stream"] > 0
    memory = data["facts"]["memory"]
    assert set(memory) == {"50", "200", "300"}
    assert memory["200"]["settled_bytes_per_stream"] > 0
    assert memory["300"]["pending_bytes_per_stream"] > 0
    target = data["targets"][0]
    assert set(target) == {"target", "where", "value", "goal", "sense", "unit", "met"}
    names = {t["target"] for t in data["targets"]}
    assert {"create_stream calls/s", "memory per stream (settled)", "run_until_idle changes/s"} <= (
        names
    )


def test_missing_moto_is_skipped_with_a_note(
    tiny: None, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without(monkeypatch, *MOTO_MODULES)
    path = tmp_path / "bench.json"
    code, out, _ = bench(capsys, "--quick", "--only", "describe_stream_arn", "--json", str(path))
    assert code == 0
    data = json.loads(path.read_text())
    assert {r["system"] for r in data["results"]} == {"kvsim", "bare dict"}
    note = "moto is not installed: the moto baselines are skipped (pip install -e '.[bench]')"
    assert data["notes"] == [note]
    assert f"  - {note}" in out


def test_missing_boto3_skips_the_boto_scenarios_with_a_note(
    tiny: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    without(monkeypatch, "boto3", *MOTO_MODULES)
    code, out, _ = bench(capsys, "--quick", "--only", "boto3_create_stream,fleet_boto")
    assert code == 0
    assert "boto3 is not installed: boto3_create_stream is skipped" in out
    assert "boto3 is not installed: fleet_boto is skipped" in out
    assert "boto3_create_stream " not in out.split("notes:")[0]


def test_boto3_scenario_measures_kvsim_boto_beside_the_floor(
    tiny: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("boto3")
    without(monkeypatch, *MOTO_MODULES)
    ctx = harness.run(TINY, ["boto3_create_stream"])
    assert [(r.system, r.size, r.calls) for r in ctx.results] == [
        ("kvsim.boto", 20, 3),
        ("before-send floor", 20, 3),
    ]
    [target] = harness.targets(ctx)
    assert target.name == "boto3 create cost vs before-send floor" and target.goal == 1.2


def test_fleet_day_provisions_every_device_the_same_way_each_time() -> None:
    from benchmarks import bench_more

    ctx = harness.run(dataclasses.replace(TINY, fleet_devices=120), ["fleet"])
    [result] = ctx.results
    extra = result.extra
    assert (result.scenario, result.size, extra["devices"]) == ("fleet", 120, 120)
    # Every day made the same calls (the harness asserts it); a day is at least
    # create + 2 polls + tag + retention + 3 heartbeats per device.
    assert result.calls == extra["calls_per_day"] >= 120 * 8
    assert f"{extra['calls_per_day']:,} calls a day" in result.note
    [target] = bench_more.targets(ctx)
    assert (target.name, target.goal, target.unit) == (
        "fleet: one virtual day, wall-clock",
        10.0,
        " s",
    )


def test_fleet_meets_throttling_in_its_rollout_burst() -> None:
    from benchmarks.bench_more import FLEET_TIMINGS, Fleet

    sim = kvsim.Simulator(1, timings=FLEET_TIMINGS)
    day = Fleet(sim, sim.client(), 600, seed=1)
    calls = day.run()
    day.check()
    assert calls == day.calls and day.throttled > 0
    assert sim.now - kvsim.DEFAULT_START >= __import__("datetime").timedelta(days=1)


def test_stateful_counts_steps(capsys: pytest.CaptureFixture[str]) -> None:
    pytest.importorskip("hypothesis")
    ctx = harness.run(TINY, ["stateful"])
    [result] = ctx.results
    assert (result.scenario, result.unit, result.size) == ("stateful", "steps", 1)
    assert 1 <= result.calls <= 1 + TINY.stateful_steps + 1


def test_plot_writes_a_png(
    tiny: None, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("matplotlib")
    without(monkeypatch, *MOTO_MODULES)
    path = tmp_path / "bench.png"
    code, _, err = bench(capsys, "--quick", "--only", "create_stream", "--plot", str(path))
    assert code == 0 and f"wrote {path}" in err
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_plot_without_matplotlib_exits_2_before_running(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without(monkeypatch, "matplotlib")
    code, out, err = bench(capsys, "--quick", "--plot", str(tmp_path / "x.png"))
    assert code == 2 and out == ""
    assert err == "kvsim bench: --plot needs matplotlib (pip install -e '.[bench]' installs it)\n"


def test_outside_a_source_checkout_exits_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = tmp_path / "site-packages" / "kvsim" / "cli" / "bench.py"
    monkeypatch.setattr(kvsim.cli.bench, "__file__", str(fake))
    code = main(["bench", "--quick"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert err.startswith("kvsim bench: runs from a source checkout (pip install -e '.[bench]'")
    assert len(err.splitlines()) == 1


def test_kvsim_bench_runs_the_checkouts_harness_in_its_own_process(
    capfd: pytest.CaptureFixture[str],
) -> None:
    # kvsim never imports benchmarks/: `kvsim bench` runs `python -m benchmarks`.
    code = main(["bench", "--list"])
    out, _ = capfd.readouterr()
    assert code == 0
    assert out.split()[0] == next(iter(harness.scenarios()))
    assert "benchmarks" not in {
        name.partition(".")[0] for name in sys.modules if name.startswith("kvsim")
    }


def test_reference_store_is_the_least_a_create_could_do() -> None:
    from benchmarks.bench_core import ReferenceStore

    store = ReferenceStore()
    arn = store.create_stream(StreamName="cam")["StreamARN"]
    assert arn == "arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/0"
    with pytest.raises(KeyError):
        store.create_stream(StreamName="cam")
    info = {"StreamName": "cam", "StreamARN": arn, "Status": "ACTIVE"}
    assert store.describe_stream(StreamName="cam") == {"StreamInfo": info}
    assert store.describe_stream(StreamARN=arn) == {"StreamInfo": info}
    with pytest.raises(KeyError):
        store.describe_stream(StreamARN=arn[:-1] + "1")


# -- the validation fast path the benchmarks led to ---------------------------------------

_JUNK = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**40), max_value=2**40)
    | st.floats(allow_nan=False)
    | st.text(max_size=40)
    | st.text(min_size=120, max_size=300),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.tuples(inner)
        | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


@settings(max_examples=200)
@given(data=st.data())
def test_validation_fast_path_never_accepts_what_the_full_check_rejects(
    data: st.DataObject,
) -> None:
    from _botocore_model import requests

    from kvsim.model.validation import _Problems
    from kvsim.services.registry import INPUTS

    op = data.draw(st.sampled_from(sorted(INPUTS)), label="operation")
    shape = INPUTS[op]
    params = data.draw(requests(op), label="valid request")
    if params and data.draw(st.booleans(), label="spoil a member"):
        member = data.draw(st.sampled_from(sorted(params)), label="member")
        params[member] = data.draw(_JUNK, label="junk")
    if data.draw(st.booleans(), label="add an unknown member"):
        params[data.draw(st.sampled_from(["Bogus", "streamName"]))] = "x"
    problems = _Problems()
    shape.check(params, "", "", problems)
    clean = not problems.client and not problems.service
    assert not shape.accepts(params) or clean, (params, problems.client, problems.service)


def test_markdown_page_names_the_machine_and_lists_targets_and_results(
    tiny: None, capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    without(monkeypatch, *MOTO_MODULES)
    path = tmp_path / "RESULTS.md"
    code, _, _ = bench(capsys, "--quick", "--only", "describe_stream_arn", "--markdown", str(path))
    assert code == 0
    page = path.read_text(encoding="utf-8")
    assert page.startswith("# kvsim benchmark results\n")
    assert f"Python {harness.platform.python_version()}" in page
    assert "## Targets" in page and "| describe_stream_arn calls/s | 50 streams |" in page
    assert "## Results" in page and "## Notes" in page


def test_missing_hypothesis_skips_the_state_machine_with_a_note(
    tiny: None, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    without(monkeypatch, "hypothesis")
    code, out, _ = bench(capsys, "--quick", "--only", "stateful")
    assert code == 0
    assert "  - hypothesis is not installed: stateful is skipped" in out
    assert "stateful " not in out.split("notes:")[0]
