"""The pytest plugin: fixtures, the ``kvsim`` marker, seeds, failure sections, loading.

Each test runs an inner pytest session with ``pytester``. The plugin is loaded
there with ``-p no:kvsim -p kvsim.pytest_plugin``: explicit, so these tests do
not depend on kvsim being installed with its entry point, and safe when it is
(the ``no:`` stops the entry point from registering the same module a second
time). Other plugins' automatic loading is off in the inner sessions, so that
whatever else is installed (or how the outer session runs) cannot interfere.
Loading through the entry point is tested with a stand-in distribution on
``PYTHONPATH``.
"""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from kvsim.pytest_plugin import LAST_CALLS, derive_seed

pytest_plugins = ["pytester"]

PLUGIN = ("-p", "no:kvsim", "-p", "kvsim.pytest_plugin")
# Runs with plugin autoloading skip Hypothesis's plugin, which takes seconds to import.
LEAN = ("-p", "no:hypothesispytest")

# A test module that records each test's seed in a JSON file per test.
SEED_RECORDER = """
import json, pathlib, pytest

OUT = pathlib.Path({out!r})

@pytest.fixture
def record(kvsim, request):
    name = request.node.nodeid.replace("/", "_").replace(":", "_")
    (OUT / (name + ".json")).write_text(json.dumps([request.node.nodeid, kvsim.seed]))

def test_a(record): pass
def test_b(record): pass

class TestGroup:
    def test_c(self, record): pass

@pytest.mark.parametrize("n", [1, 2])
def test_d(record, n): pass
"""


def recorded_seeds(out: Path) -> dict[str, int]:
    """node id → seed, as written by the SEED_RECORDER tests."""
    seeds = {}
    for path in sorted(out.glob("*.json")):
        nodeid, seed = json.loads(path.read_text())
        seeds[nodeid] = seed
    return seeds


def write_recorder(pytester: pytest.Pytester, out: Path) -> None:
    out.mkdir()
    pytester.makepyfile(test_seeds=SEED_RECORDER.format(out=str(out)))


@pytest.fixture(autouse=True)
def no_plugin_autoload(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD", "1")


SEED_NODEIDS = [
    "test_seeds.py::TestGroup::test_c",
    "test_seeds.py::test_a",
    "test_seeds.py::test_b",
    "test_seeds.py::test_d[1]",
    "test_seeds.py::test_d[2]",
]


# -- seeds ----------------------------------------------------------------------------------


def test_derive_seed_is_a_pinned_function_of_base_seed_and_node_id() -> None:
    # Pinned: changing the derivation would change every recorded failing world.
    assert derive_seed(0, "tests/test_a.py::test_one") == 2542965619
    assert derive_seed(1, "tests/test_a.py::test_one") == 522174414
    assert derive_seed(0, "tests/test_a.py::test_two") != derive_seed(
        0, "tests/test_a.py::test_one"
    )
    assert 0 <= derive_seed(123, "x") < 2**32


def test_each_test_gets_the_seed_derived_from_its_node_id(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    out = tmp_path / "seeds"
    write_recorder(pytester, out)
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["kvsim: base seed 0"])
    seeds = recorded_seeds(out)
    assert sorted(seeds) == SEED_NODEIDS
    assert seeds == {nodeid: derive_seed(0, nodeid) for nodeid in SEED_NODEIDS}
    assert len(set(seeds.values())) == 5


def test_base_seed_option_changes_every_seed_and_shows_in_header(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    out = tmp_path / "seeds"
    write_recorder(pytester, out)
    result = pytester.runpytest(*PLUGIN, "--kvsim-seed", "77")
    result.assert_outcomes(passed=5)
    result.stdout.fnmatch_lines(["kvsim: base seed 77"])
    seeds = recorded_seeds(out)
    assert seeds == {nodeid: derive_seed(77, nodeid) for nodeid in SEED_NODEIDS}
    assert seeds["test_seeds.py::test_a"] != derive_seed(0, "test_seeds.py::test_a")


def test_seed_does_not_depend_on_selection_or_order(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    out = tmp_path / "seeds"
    write_recorder(pytester, out)
    # Only two tests, named in reverse order.
    result = pytester.runpytest(*PLUGIN, "test_seeds.py::test_b", "test_seeds.py::test_a")
    result.assert_outcomes(passed=2)
    assert recorded_seeds(out) == {
        "test_seeds.py::test_a": derive_seed(0, "test_seeds.py::test_a"),
        "test_seeds.py::test_b": derive_seed(0, "test_seeds.py::test_b"),
    }


@pytest.mark.parametrize("value", ["abc", "-3"])
def test_bad_base_seed_is_a_usage_error(pytester: pytest.Pytester, value: str) -> None:
    pytester.makepyfile("def test_x(): pass")
    result = pytester.runpytest(*PLUGIN, f"--kvsim-seed={value}")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    assert "--kvsim-seed must be" in result.stderr.str()


def test_same_seeds_and_failure_sections_under_xdist_workers(
    pytester: pytest.Pytester, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("xdist")
    out = tmp_path / "seeds"
    write_recorder(pytester, out)
    pytester.makepyfile(test_fail=FAILING)
    # Seeds must not depend on the workers' str hash randomization either.
    monkeypatch.setenv("PYTHONHASHSEED", "random")
    result = pytester.runpytest_subprocess(*PLUGIN, "-p", "xdist", "-n", "2", "--kvsim-seed", "5")
    result.assert_outcomes(passed=6, failed=3)
    assert recorded_seeds(out) == {nodeid: derive_seed(5, nodeid) for nodeid in SEED_NODEIDS}
    seed = derive_seed(5, "test_fail.py::test_fails")
    result.stdout.fnmatch_lines(["*- kvsim -*", f"seed {seed} (base seed 5); *"])


# -- fixtures -------------------------------------------------------------------------------


def test_fixtures_give_a_fresh_world_and_its_facade_client(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import kvsim as kvsim_module

        def test_first(kvsim, kvsim_client):
            assert type(kvsim) is kvsim_module.Simulator
            arn = kvsim_client.create_stream(StreamName="cam")["StreamARN"]
            assert arn == "arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/1767225600000"
            assert kvsim.now.isoformat() == "2026-01-01T00:00:00.050000+00:00"

        def test_second_sees_a_new_world(kvsim, kvsim_client):
            assert kvsim_client.list_streams()["StreamInfoList"] == []
            assert kvsim.last_calls(5)[0]["call"] == "list_streams"
        """
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=2)


def test_client_and_kvsim_fixture_are_the_same_world(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_same(kvsim, kvsim_client):
            kvsim_client.create_stream(StreamName="cam")
            kvsim.run_until_idle()
            other = kvsim.client("kinesisvideo")
            assert other.describe_stream(StreamName="cam")["StreamInfo"]["Status"] == "ACTIVE"
        """
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1)


def test_boto3_fixture_is_a_real_botocore_client_of_the_same_world(
    pytester: pytest.Pytester,
) -> None:
    pytest.importorskip("boto3")
    pytester.makepyfile(
        """
        def test_boto(kvsim, kvsim_boto3, kvsim_client):
            assert type(kvsim_boto3).__module__ == "botocore.client"
            assert kvsim_boto3.meta.region_name == "us-east-1"
            arn = kvsim_boto3.create_stream(StreamName="cam")["StreamARN"]
            assert arn.startswith("arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/")
            info = kvsim_client.describe_stream(StreamName="cam")["StreamInfo"]
            assert info["StreamARN"] == arn
            try:
                kvsim_boto3.create_stream(StreamName="cam")
            except kvsim_boto3.exceptions.ResourceInUseException as error:
                assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
            else:
                raise AssertionError("no ResourceInUseException")
            assert [c["call"] for c in kvsim.last_calls(3)] == [
                "create_stream", "describe_stream", "create_stream"]
        """
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1)


@pytest.mark.parametrize(
    ("hidden", "reason"),
    [("boto3", "kvsim_boto3 needs boto3"), ("kvsim.boto", "kvsim_boto3 needs kvsim.boto")],
)
def test_boto3_fixture_skips_with_a_reason_when_unavailable(
    pytester: pytest.Pytester, hidden: str, reason: str
) -> None:
    # A subprocess, so that hiding the module cannot leak into this process.
    pytester.makeconftest(f"import sys\nsys.modules[{hidden!r}] = None\n")
    pytester.makepyfile("def test_boto(kvsim_boto3): pass")
    result = pytester.runpytest_subprocess(*PLUGIN, "-rs")
    result.assert_outcomes(skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED*{reason}*"])


def test_time_fixture_puts_code_under_test_on_the_virtual_clock(
    pytester: pytest.Pytester,
) -> None:
    pytester.makepyfile(
        """
        import datetime, time

        def wait_until_active(client, name):
            # Code under test: polls once a second for up to a minute.
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                status = client.describe_stream(StreamName=name)["StreamInfo"]["Status"]
                if status == "ACTIVE":
                    return status
                time.sleep(1)
            raise TimeoutError(name)

        def test_wait(kvsim_time, kvsim_client):
            assert kvsim_time.now.isoformat() == "2026-01-01T00:00:00+00:00"
            assert time.time() == 1767225600.0
            kvsim_client.create_stream(StreamName="cam")
            assert wait_until_active(kvsim_client, "cam") == "ACTIVE"
            # create 0.05, describe 0.05, sleep 1, describe 0.05, sleep 1, describe 0.05
            assert kvsim_time.now.isoformat() == "2026-01-01T00:00:02.200000+00:00"
            assert datetime.datetime.now(datetime.UTC) == kvsim_time.now
            assert [c["call"] for c in kvsim_time.last_calls(10)] == [
                "create_stream", "describe_stream", "describe_stream", "describe_stream"]
        """
    )
    real_sleep, real_datetime = time.sleep, datetime.datetime
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1)
    assert time.sleep is real_sleep
    assert datetime.datetime is real_datetime


def test_time_fixture_restores_the_clock_for_the_next_test(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import datetime, time
        REAL_SLEEP, REAL_DATETIME = time.sleep, datetime.datetime

        def test_patched(kvsim_time):
            assert time.sleep is not REAL_SLEEP
            assert datetime.datetime is not REAL_DATETIME
            raise RuntimeError("failing while patched")

        def test_after():
            assert time.sleep is REAL_SLEEP
            assert datetime.datetime is REAL_DATETIME
            assert time.time() != 1767225600.0
        """
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=1, failed=1)


# -- the marker -----------------------------------------------------------------------------


def test_marker_options_closest_wins_per_option(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import datetime, pytest, kvsim as kvsim_module

        pytestmark = pytest.mark.kvsim(
            seed=1,
            timings=kvsim_module.Timings(create_delay=9.0, call_latency=0.0),
        )

        def test_module_level(kvsim):
            assert kvsim.seed == 1
            assert kvsim.timings.create_delay == 9.0

        @pytest.mark.kvsim(seed=2, start=datetime.datetime(2030, 5, 6, tzinfo=datetime.UTC))
        class TestClass:
            def test_class_level(self, kvsim):
                assert kvsim.seed == 2
                assert kvsim.now.isoformat() == "2030-05-06T00:00:00+00:00"
                assert kvsim.timings.create_delay == 9.0  # from the module marker

            @pytest.mark.kvsim(seed=3, limits=kvsim_module.Limits(max_tags_per_resource=2))
            def test_test_level(self, kvsim_client, kvsim):
                assert kvsim.seed == 3
                assert kvsim.limits.max_tags_per_resource == 2
                assert kvsim.now.year == 2030  # from the class marker
                kvsim_client.create_stream(StreamName="cam", Tags={"a": "1", "b": "2"})
                with pytest.raises(kvsim_client.exceptions.TagsPerResourceExceededLimitException):
                    kvsim_client.tag_stream(StreamName="cam", Tags={"c": "3"})
        """
    )
    pytester.runpytest(*PLUGIN, "--strict-markers").assert_outcomes(passed=3)


def test_marker_seed_overrides_base_seed(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.kvsim(seed=42)
        def test_seeded(kvsim):
            assert kvsim.seed == 42

        @pytest.mark.kvsim(seed=None)
        def test_derived(kvsim, request):
            from kvsim.pytest_plugin import derive_seed
            assert kvsim.seed == derive_seed(9, request.node.nodeid)
        """
    )
    pytester.runpytest(*PLUGIN, "--kvsim-seed", "9").assert_outcomes(passed=2)


def test_same_seed_gives_the_same_world(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest
        VERSIONS = []

        @pytest.mark.kvsim(seed=5)
        @pytest.mark.parametrize("n", [1, 2])
        def test_version(kvsim_client, n):
            kvsim_client.create_stream(StreamName="cam")
            VERSIONS.append(kvsim_client.describe_stream(StreamName="cam")["StreamInfo"]["Version"])

        def test_both_runs_saw_one_version():
            assert len(VERSIONS) == 2 and VERSIONS[0] == VERSIONS[1]
        """
    )
    pytester.runpytest(*PLUGIN).assert_outcomes(passed=3)


@pytest.mark.parametrize(
    ("marker", "message"),
    [
        ("pytest.mark.kvsim(7)", "@pytest.mark.kvsim takes keyword arguments only"),
        ("pytest.mark.kvsim(sed=7)", "@pytest.mark.kvsim got unknown option(s) sed"),
        ("pytest.mark.kvsim(seed='x')", "@pytest.mark.kvsim: seed must be an int, not str"),
        ("pytest.mark.kvsim(limits={})", "@pytest.mark.kvsim: limits must be a kvsim.Limits"),
    ],
)
def test_bad_marker_errors_the_test_with_a_clear_message(
    pytester: pytest.Pytester, marker: str, message: str
) -> None:
    pytester.makepyfile(f"import pytest\n\n@{marker}\ndef test_x(kvsim): pass\n")
    result = pytester.runpytest(*PLUGIN)
    result.assert_outcomes(errors=1)
    assert message in result.stdout.str()


def test_marker_is_registered_with_a_description(pytester: pytest.Pytester) -> None:
    result = pytester.runpytest(*PLUGIN, "--markers")
    result.stdout.fnmatch_lines(
        ["@pytest.mark.kvsim(seed=None, start=None, limits=None, timings=None): options of the*"]
    )


# -- failure reports ------------------------------------------------------------------------


FAILING = """
import pytest

def test_fails(kvsim_client):
    kvsim_client.create_stream(StreamName="cam", DataRetentionInHours=24)
    try:
        kvsim_client.create_stream(StreamName="cam")
    except kvsim_client.exceptions.ResourceInUseException:
        pass
    kvsim_client.describe_stream(StreamName="cam")
    assert False, "the code under test went wrong"

def test_passes(kvsim_client):
    kvsim_client.list_streams()

def test_fails_without_world():
    assert False

@pytest.mark.kvsim(seed=99)
def test_fails_without_calls(kvsim):
    assert False
"""


def test_failing_test_report_has_kvsim_section(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fail=FAILING)
    recorder = pytester.inline_run(*PLUGIN)
    reports = {
        (r.nodeid.split("::")[-1], r.when): r
        for r in recorder.getreports("pytest_runtest_logreport")
    }
    fails = dict(reports["test_fails", "call"].sections)
    seed = derive_seed(0, "test_fail.py::test_fails")
    lines = fails["kvsim"].splitlines()
    assert lines[0] == (
        f"seed {seed} (base seed 0); virtual time now 2026-01-01T00:00:00.150000+00:00"
    )
    assert lines[1] == f"to rerun this world: @pytest.mark.kvsim(seed={seed})"
    assert lines[2] == "last 3 call(s), oldest first:"
    assert lines[3] == (
        '  2026-01-01T00:00:00+00:00 123456789012/us-east-1 create_stream(StreamName="cam", '
        'DataRetentionInHours=24) -> {"StreamARN":"arn:aws:kinesisvideo:us-east-1:123456789012:'
        'stream/cam/1767225600000"}'
    )
    assert lines[4] == (
        "  2026-01-01T00:00:00.050000+00:00 123456789012/us-east-1 "
        'create_stream(StreamName="cam") !! ResourceInUseException: The stream cam already exists.'
    )
    assert lines[5].startswith(
        "  2026-01-01T00:00:00.100000+00:00 123456789012/us-east-1 "
        'describe_stream(StreamName="cam") -> {"StreamInfo":{'
    )
    assert lines[5].endswith("...")
    assert len(lines) == 6
    # Only failing tests with a world get the section, and only in the failing phase.
    assert "kvsim" not in dict(reports["test_passes", "call"].sections)
    assert "kvsim" not in dict(reports["test_fails_without_world", "call"].sections)
    assert "kvsim" not in dict(reports["test_fails", "setup"].sections)
    no_calls = dict(reports["test_fails_without_calls", "call"].sections)["kvsim"]
    assert no_calls.splitlines()[0].startswith("seed 99 (base seed 0)")
    assert no_calls.splitlines()[-1] == "no calls were made"


def test_kvsim_section_shows_in_failure_output(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_fail=FAILING)
    result = pytester.runpytest(*PLUGIN, "--kvsim-seed", "3")
    result.assert_outcomes(passed=1, failed=3)
    seed = derive_seed(3, "test_fail.py::test_fails")
    result.stdout.fnmatch_lines(
        [
            "*_ test_fails _*",
            "*AssertionError: the code under test went wrong*",
            "*- kvsim -*",
            f"seed {seed} (base seed 3); virtual time now *",
            "last 3 call(s), oldest first:",
            '*create_stream(StreamName="cam") !! ResourceInUseException: *',
        ]
    )


def test_kvsim_section_lists_only_the_last_calls(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        def test_many(kvsim_client):
            for i in range(25):
                kvsim_client.list_streams(MaxResults=i + 1)
            assert False
        """
    )
    recorder = pytester.inline_run(*PLUGIN)
    (failed,) = recorder.getfailures()
    lines = dict(failed.sections)["kvsim"].splitlines()
    assert lines[2] == f"last {LAST_CALLS} call(s), oldest first:"
    calls = lines[3:]
    assert len(calls) == LAST_CALLS
    assert "list_streams(MaxResults=16)" in calls[0]
    assert "list_streams(MaxResults=25)" in calls[-1]


def test_setup_failure_after_world_exists_gets_the_section(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.fixture
        def broken(kvsim_client):
            kvsim_client.create_stream(StreamName="cam")
            raise RuntimeError("fixture broke")

        def test_x(broken): pass
        """
    )
    recorder = pytester.inline_run(*PLUGIN)
    setup = [r for r in recorder.getreports("pytest_runtest_logreport") if r.when == "setup"]
    section = dict(setup[0].sections)["kvsim"]
    assert 'create_stream(StreamName="cam") -> ' in section


# -- loading --------------------------------------------------------------------------------


def test_plugin_import_is_cheap() -> None:
    code = (
        "import sys, kvsim.pytest_plugin; "
        "print(sorted(m for m in ('boto3', 'botocore.client', 'hypothesis', "
        "'kvsim.testing.timepatch', 'kvsim.boto') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"


@pytest.fixture
def entry_point_site(tmp_path: Path) -> Path:
    """A folder holding a stand-in distribution that declares kvsim's pytest11 entry point."""
    dist = tmp_path / "site" / "kvsim_entry_point_standin-0.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: kvsim-entry-point-standin\nVersion: 0.0\n"
    )
    (dist / "entry_points.txt").write_text("[pytest11]\nkvsim = kvsim.pytest_plugin\n")
    return dist.parent


ENTRY_POINT_TEST = """
def test_world(kvsim):
    assert kvsim.seed > 0
"""


@pytest.mark.parametrize(
    "args",
    [(), ("-p", "kvsim"), PLUGIN],
    ids=["autoload", "by-entry-point-name", "blocked-then-by-module"],
)
def test_plugin_loads_through_the_entry_point(
    pytester: pytest.Pytester,
    entry_point_site: Path,
    monkeypatch: pytest.MonkeyPatch,
    args: tuple[str, ...],
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(entry_point_site))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    pytester.makepyfile(ENTRY_POINT_TEST)
    result = pytester.runpytest_subprocess(*args, *LEAN)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines(["kvsim: base seed 0"])


def test_entry_point_can_be_disabled(
    pytester: pytest.Pytester, entry_point_site: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PYTHONPATH", str(entry_point_site))
    monkeypatch.delenv("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    pytester.makepyfile(ENTRY_POINT_TEST)
    result = pytester.runpytest_subprocess("-p", "no:kvsim", *LEAN)
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'kvsim' not found*"])
    result.stdout.no_fnmatch_line("kvsim: base seed*")


def test_plugin_in_conftest_without_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makeconftest('pytest_plugins = ["kvsim.pytest_plugin"]')
    pytester.makepyfile(
        textwrap.dedent(
            """
            def test_world(kvsim_client):
                assert kvsim_client.list_streams()["StreamInfoList"] == []
            """
        )
    )
    pytester.runpytest("-p", "no:kvsim").assert_outcomes(passed=1)
