"""kvsim's pytest plugin: a fresh, seeded simulated world for every test.

Installed with kvsim (the ``pytest11`` entry point ``kvsim``), it is active in
every pytest run; ``-p no:kvsim`` turns it off. Without the installed entry
point, load it with ``-p kvsim.pytest_plugin`` (or ``pytest_plugins``). Doing
that *as well as* installing it makes pytest register the module twice and
stop with "Plugin already registered"; ``-p no:kvsim -p kvsim.pytest_plugin``
is safe either way.

Fixtures:

``kvsim``
    A fresh :class:`kvsim.Simulator` for the test.
``kvsim_client``
    ``kvsim.client("kinesisvideo")``: the facade client of that world
    (region ``us-east-1``, account ``123456789012``).
``kvsim_boto3``
    A real boto3 ``kinesisvideo`` client served by that world
    (:func:`kvsim.boto.client`); the test is skipped when boto3 is missing.
``kvsim_time``
    That world with :func:`kvsim.testing.timepatch.patch_time` active for the whole
    test, so ``time.sleep`` and friends run on the virtual clock.
``kvsim_server``
    That world served over HTTP on a free loopback port (:meth:`kvsim.Simulator.serve`):
    the base URL, for any SDK, CLI or HTTP client as ``endpoint_url``.

Options of the world come from the marker
``@pytest.mark.kvsim(seed=..., start=..., limits=..., timings=...)`` on the
test, its class or its module; for each option the closest marker that sets
it wins. Without a ``seed``, each test gets its own seed derived from its node
id and the run's base seed (``--kvsim-seed N``, default 0, shown in the report
header), so a test sees the same world in every run, alone or in any order,
on any ``pytest-xdist`` worker: see :func:`derive_seed`.

When a test fails, its report gets a ``kvsim`` section with the seed and the
last calls the code under test made, one line each (an error message cut to
200 characters). Making the section never fails the run: if the calls cannot
be listed, a one-line note says why.

The fixtures are function-scoped: under Hypothesis's ``@given`` all examples
of a test would share one world, so make a ``kvsim.Simulator`` per example
there instead.

The plugin imports neither boto3 nor hypothesis, and kvsim itself only
when a fixture is used.
"""

from __future__ import annotations

import hashlib
import importlib
import importlib.util
import json
from collections.abc import Generator, Iterable, Mapping
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from kvsim import Simulator
    from kvsim.engine.client import KinesisVideoClient

__all__ = ["LAST_CALLS", "MARKER_OPTIONS", "derive_seed", "format_section"]

#: How many of the last calls a failing test's ``kvsim`` section lists.
LAST_CALLS = 10
#: The keyword arguments ``@pytest.mark.kvsim`` accepts.
MARKER_OPTIONS = ("seed", "start", "limits", "timings")

_BASE_SEED = pytest.StashKey[int]()
_SIM = pytest.StashKey["Simulator"]()
_VALUE_WIDTH = 60
_RESULT_WIDTH = 100
_MESSAGE_WIDTH = 200


def derive_seed(base_seed: int, nodeid: str) -> int:
    """The seed of test ``nodeid`` in a run with ``base_seed``: 32 bits of a
    SHA-256 of both, so it is the same on every machine, worker and run.

    >>> derive_seed(0, "tests/test_a.py::test_one")
    2542965619
    >>> derive_seed(0, "tests/test_a.py::test_one") == derive_seed(1, "tests/test_a.py::test_one")
    False
    """
    digest = hashlib.sha256(f"{base_seed}\0{nodeid}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


# -- configuration --------------------------------------------------------------------------


def _seed_option(text: str) -> int:
    """argparse type of ``--kvsim-seed``: a non-negative integer."""
    try:
        value = int(text, 10)
    except ValueError:
        raise pytest.UsageError(f"--kvsim-seed must be an integer, got {text!r}") from None
    if value < 0:
        raise pytest.UsageError(f"--kvsim-seed must be >= 0, got {value}")
    return value


def pytest_addoption(parser: pytest.Parser) -> None:
    """Add ``--kvsim-seed``."""
    group = parser.getgroup("kvsim", "kvsim simulated worlds")
    group.addoption(
        "--kvsim-seed",
        action="store",
        type=_seed_option,
        default=0,
        metavar="N",
        help="base seed from which each test's kvsim seed is derived (default: 0)",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``kvsim`` marker and remember the base seed."""
    config.addinivalue_line(
        "markers",
        "kvsim(seed=None, start=None, limits=None, timings=None): options of the "
        "kvsim.Simulator that the kvsim fixtures make (the closest marker setting "
        "an option wins; without seed, the seed is derived from the test's node id "
        "and --kvsim-seed)",
    )
    config.stash[_BASE_SEED] = config.getoption("kvsim_seed", 0)


def pytest_report_header(config: pytest.Config) -> str:
    """Show the run's base seed."""
    return f"kvsim: base seed {config.stash.get(_BASE_SEED, 0)}"


# -- the world of a test --------------------------------------------------------------------


def _marker_options(node: pytest.Item) -> dict[str, Any]:
    """The ``kvsim`` marker options of ``node``: per option, the closest marker's value."""
    options: dict[str, Any] = {}
    for marker in node.iter_markers("kvsim"):
        if marker.args:
            pytest.fail(
                f"@pytest.mark.kvsim takes keyword arguments only ({', '.join(MARKER_OPTIONS)}), "
                f"got positional {marker.args!r}",
                pytrace=False,
            )
        unknown = sorted(set(marker.kwargs) - set(MARKER_OPTIONS))
        if unknown:
            pytest.fail(
                f"@pytest.mark.kvsim got unknown option(s) {', '.join(unknown)}; "
                f"it accepts {', '.join(MARKER_OPTIONS)}",
                pytrace=False,
            )
        for key, value in marker.kwargs.items():
            options.setdefault(key, value)
    return options


def _make_simulator(request: pytest.FixtureRequest) -> Simulator:
    """The world of the requesting test, built from its markers and seed."""
    import kvsim

    node = request.node
    options = _marker_options(node)
    seed = options.pop("seed", None)
    if seed is None:
        seed = derive_seed(request.config.stash.get(_BASE_SEED, 0), node.nodeid)
    try:
        sim = kvsim.Simulator(seed, **options)
    except (TypeError, ValueError) as error:
        pytest.fail(f"@pytest.mark.kvsim: {error}", pytrace=False)
    node.stash[_SIM] = sim
    return sim


@pytest.fixture(name="kvsim")
def kvsim_fixture(request: pytest.FixtureRequest) -> Simulator:
    """A fresh :class:`kvsim.Simulator` for this test (seeded; see the ``kvsim`` marker)."""
    return _make_simulator(request)


@pytest.fixture
def kvsim_client(kvsim: Simulator) -> KinesisVideoClient:
    """The facade ``kinesisvideo`` client of the test's world (us-east-1, 123456789012)."""
    return kvsim.client("kinesisvideo")  # the defaults: us-east-1, 123456789012


@pytest.fixture
def kvsim_boto3(kvsim: Simulator) -> Generator[Any, None, None]:
    """A real boto3 ``kinesisvideo`` client served by the test's world
    (us-east-1, 123456789012); skips the test when boto3 is not installed."""
    if importlib.util.find_spec("boto3") is None:
        pytest.skip("kvsim_boto3 needs boto3: pip install 'kvsim[boto]'")
    try:
        boto = importlib.import_module("kvsim.boto")
    except ModuleNotFoundError as error:
        if error.name not in ("kvsim.boto", "boto3", "botocore"):
            raise
        pytest.skip(f"kvsim_boto3 needs kvsim.boto and boto3 ({error})")
    from kvsim.core.constants import DEFAULT_ACCOUNT_ID

    client = boto.client(kvsim, account_id=DEFAULT_ACCOUNT_ID)
    yield client
    client.close()


@pytest.fixture
def kvsim_server(kvsim: Simulator) -> Generator[str, None, None]:
    """The test's world served over HTTP (``kvsim.serve()``) on a free loopback
    port: its base URL, for any SDK, CLI or HTTP client as ``endpoint_url``."""
    with kvsim.serve() as url:
        yield url


@pytest.fixture
def kvsim_time(kvsim: Simulator) -> Generator[Simulator, None, None]:
    """The test's world, with the code under test on its virtual clock
    (``time.sleep(5)`` is ``kvsim.advance(5)``): see :mod:`kvsim.testing.timepatch`."""
    from kvsim.testing.timepatch import patch_time

    with patch_time(kvsim) as sim:
        yield sim


# -- failure reports ------------------------------------------------------------------------


def _short(value: Any, width: int) -> str:
    """Compact JSON of ``value``, cut to ``width`` characters."""
    text = json.dumps(value, separators=(",", ":"), sort_keys=False, default=repr)
    return text if len(text) <= width else text[: width - 3] + "..."


def _format_call(entry: Mapping[str, Any]) -> str:
    """One trace entry as one line: time, account/region, call(args) -> outcome."""
    args = entry.get("args") or {}
    arguments = ", ".join(f"{key}={_short(value, _VALUE_WIDTH)}" for key, value in args.items())
    outcome = entry.get("outcome") or {}
    if "error" in outcome:
        message = " ".join(str(outcome.get("message", "")).split())  # one line
        if len(message) > _MESSAGE_WIDTH:
            message = message[: _MESSAGE_WIDTH - 3] + "..."
        result = f"!! {outcome['error']}: {message}"
    else:
        result = "-> " + _short(outcome.get("response"), _RESULT_WIDTH)
    return (
        f"{entry.get('at')} {entry.get('account_id')}/{entry.get('region_name')} "
        f"{entry.get('call')}({arguments}) {result}"
    )


def format_section(sim: Simulator, base_seed: int, n: int = LAST_CALLS) -> str:
    """The text of a failing test's ``kvsim`` report section. Never raises: if
    the calls cannot be listed, a one-line note says why."""
    lines = [
        f"seed {sim.seed} (base seed {base_seed}); virtual time now {sim.now.isoformat()}",
        f"to rerun this world: @pytest.mark.kvsim(seed={sim.seed})",
    ]
    try:
        calls: Iterable[Mapping[str, Any]] = sim.last_calls(n)
        listed = [_format_call(entry) for entry in calls]
    except Exception as error:  # the report of a failing test must not fail
        lines.append(f"(kvsim could not list the last calls: {_one_line(error)})")
        return "\n".join(lines)
    if listed:
        lines.append(f"last {len(listed)} call(s), oldest first:")
        lines.extend("  " + line for line in listed)
    else:
        lines.append("no calls were made")
    return "\n".join(lines)


def _one_line(error: BaseException) -> str:
    """``Type: message`` of ``error`` on one line, cut to ``_RESULT_WIDTH`` characters."""
    try:
        text = " ".join(f"{type(error).__name__}: {error}".split())
    except Exception:  # an exception whose str() fails
        text = type(error).__name__
    return text if len(text) <= _RESULT_WIDTH else text[: _RESULT_WIDTH - 3] + "..."


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Add the ``kvsim`` section to the report of a failing test that had a world."""
    report = yield
    sim = item.stash.get(_SIM, None)
    if sim is not None and report.failed:
        base_seed = item.config.stash.get(_BASE_SEED, 0)
        try:
            section = format_section(sim, base_seed)
        except Exception as error:  # never turn a failing test into an INTERNALERROR
            section = f"(kvsim could not describe this test's world: {_one_line(error)})"
        report.sections.append(("kvsim", section))
    if sim is not None and call.when == "teardown":
        del item.stash[_SIM]  # items outlive their tests: don't keep every world alive
    return report
