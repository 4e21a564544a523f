"""Scenarios: JSON timelines of calls and clock steps, the built-in demo, and saved traces replayed.

The public home of the scenario API is :mod:`kvsim.scenario`, which re-exports
this package's names. Each module has one job, and imports only the ones
before it: :mod:`~kvsim.scenarios.steps` loads and checks scenarios,
:mod:`~kvsim.scenarios.runner` runs them into events, and
:mod:`~kvsim.scenarios.text` prints events; :mod:`~kvsim.scenarios.demo` (the
demo of ``kvsim run``) and :mod:`~kvsim.scenarios.replay` (saved traces) build
on them.
"""

from ..core.constants import DEFAULT_ACCOUNT_ID, DEFAULT_REGION_NAME
from .runner import Event, iter_events, run_scenario
from .steps import (
    CALLS,
    AdvanceStep,
    CallStep,
    HubDeviceStep,
    IdleStep,
    PutFragmentsStep,
    ScenarioError,
    SignalingStep,
    Step,
    load_scenario,
    parse_scenario_text,
)
from .text import format_event

__all__ = [
    "CALLS",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION_NAME",
    "AdvanceStep",
    "CallStep",
    "Event",
    "HubDeviceStep",
    "IdleStep",
    "PutFragmentsStep",
    "ScenarioError",
    "SignalingStep",
    "Step",
    "format_event",
    "iter_events",
    "load_scenario",
    "parse_scenario_text",
    "run_scenario",
]
