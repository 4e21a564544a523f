"""Every example in the README runs, and its assertions hold.

Python blocks run as scripts; blocks that start with ``# test_<name>.py`` are
pytest test files and run in a pytest subprocess with the installed plugin;
JSON blocks are scenarios and run through ``kvsim.scenario``.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

import kvsim
from kvsim.scenario import load_scenario, run_scenario

pytest_plugins = ["pytester"]

README = (Path(__file__).resolve().parents[2] / "README.md").read_text(encoding="utf-8")
PYTHON = re.findall(r"```python\n(.*?)```", README, re.S)
TEST_FILE = re.compile(r"# (test_\w+\.py)\n")
SCRIPTS = [block for block in PYTHON if not TEST_FILE.match(block)]
TEST_FILES = [block for block in PYTHON if TEST_FILE.match(block)]
SCENARIOS = re.findall(r"```json\n(.*?)```", README, re.S)
#: Libraries of optional extras an example may need (``media``: PyAV, also behind
#: ``kvsim.media.testvideo``; the test extra's players). Without them the example
#: is skipped, naming the library, as the extras' own tests are; the test extra
#: installs them all, so CI runs every example.
OPTIONAL = {"av": "av", "PIL": "PIL", "cv2": "cv2", "kvsim.media.testvideo": "av"}
IMPORTS = re.compile(r"^(?:import|from) ([\w.]+)", re.M)


def test_readme_has_examples_of_each_kind() -> None:
    assert len(SCRIPTS) >= 8
    assert len(TEST_FILES) >= 1
    assert len(SCENARIOS) >= 1


@pytest.mark.parametrize("index", range(len(SCRIPTS)))
def test_readme_script_runs(index: int) -> None:
    imported = set(IMPORTS.findall(SCRIPTS[index]))
    for module in sorted({OPTIONAL[name] for name in imported if name in OPTIONAL}):
        pytest.importorskip(module, reason=f"README example {index} needs {module} (an extra)")
    namespace: dict[str, object] = {"kvsim": kvsim, "__name__": f"readme_example_{index}"}
    exec(compile(SCRIPTS[index], f"README.md example {index}", "exec"), namespace)
    # Scripts that define pytest-style tests without fixtures are run as such.
    for name, value in list(namespace.items()):
        if name.startswith("test_") and callable(value):
            value()


def test_readme_test_files_pass_under_the_installed_plugin(pytester: pytest.Pytester) -> None:
    installed = subprocess.run(
        [sys.executable, "-c", "import kvsim.pytest_plugin"], cwd=pytester.path, check=False
    )
    if installed.returncode != 0 or not any(
        e.name == "kvsim" for e in entry_points(group="pytest11")
    ):
        pytest.skip("kvsim is not installed (pip install -e '.[test]'): no pytest11 plugin")
    expected = 0
    for block in TEST_FILES:
        match = TEST_FILE.match(block)
        assert match is not None
        pytester.path.joinpath(match.group(1)).write_text(block, encoding="utf-8")
        expected += len(re.findall(r"^def test_", block, re.M))
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    result.assert_outcomes(passed=expected)


@pytest.mark.parametrize("index", range(len(SCENARIOS)))
def test_readme_scenario_runs_without_errors(index: int) -> None:
    events = run_scenario(load_scenario(json.loads(SCENARIOS[index])))
    calls = [event for event in events if event.kind == "call"]
    assert calls and all(event.error is None for event in calls)
