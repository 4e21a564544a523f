"""kvsim.stateful and the configuration operations: the shipped machine reaches every
edge status and configuration error, and catches a simulator that gets them wrong."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

import kvsim.services.configs_state
import kvsim.services.kinesisvideo.configurations
from kvsim.stateful import KinesisVideoStateMachine, ModelMismatch

#: What a default run must reach, for the eight configuration operations.
MUST_REACH = (
    "edge:SYNCING",
    "edge:IN_SYNC",
    "edge:SYNC_FAILED",
    "edge:DELETING",
    "edge:DELETE_FAILED",
    "error:NoDataRetentionException",
    "error:StreamEdgeConfigurationNotFoundException",
    "ok:StartEdgeConfigurationUpdate",
    "ok:DescribeEdgeConfiguration",
    "ok:DeleteEdgeConfiguration",
    "ok:ListEdgeAgentConfigurations",
    "ok:UpdateImageGenerationConfiguration",
    "ok:DescribeImageGenerationConfiguration",
    "ok:UpdateNotificationConfiguration",
    "ok:DescribeNotificationConfiguration",
)


class ConfigMachine(KinesisVideoStateMachine):
    """The shipped machine, with its own coverage counter."""


def _run(machine: type[KinesisVideoStateMachine], **overrides: Any) -> None:
    options: dict[str, Any] = {"stateful_step_count": 50, "deadline": None}
    options.update(overrides)
    run_state_machine_as_test(machine, settings=settings(**options))


def test_the_machine_reaches_every_edge_status_and_configuration_error() -> None:
    ConfigMachine.reset_coverage()
    _run(ConfigMachine, max_examples=300)
    reached = ConfigMachine.coverage
    missing = [outcome for outcome in MUST_REACH if reached[outcome] == 0]
    assert missing == [], f"never reached: {missing}; reached: {dict(reached)}"


_FIND_FIRST = {
    "phases": [Phase.explicit, Phase.generate],
    "report_multiple_bugs": False,
    "database": None,
}


def _syncs_without_the_hub(mp: pytest.MonkeyPatch) -> None:
    # The hub device's reachability ignored: offline hubs sync anyway.
    plan = kvsim.services.configs_state.plan

    def online_plan(kernel: Any, edge: Any, delays: dict[str, int]) -> None:
        offline = edge.stream.region.offline_hubs
        saved = set(offline)
        offline.clear()
        try:
            plan(kernel, edge, delays)
        finally:
            offline.update(saved)

    mp.setattr(kvsim.services.configs_state, "plan", online_plan)
    mp.setattr(kvsim.services.kinesisvideo.edge, "plan", online_plan)


def _forgets_notifications(mp: pytest.MonkeyPatch) -> None:
    # UpdateNotificationConfiguration answers success but keeps nothing.
    configurations = kvsim.services.kinesisvideo.configurations
    mp.setattr(configurations, "update_notifications", lambda *args: None)


def _keeps_edge_after_stream_deletion(mp: pytest.MonkeyPatch) -> None:
    mp.setattr(kvsim.services.state.Region, "unhub", lambda self, stream: None)


@pytest.mark.parametrize(
    "bug", [_syncs_without_the_hub, _forgets_notifications, _keeps_edge_after_stream_deletion]
)
def test_the_machine_catches_a_misbehaving_simulator(
    bug: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Victim(KinesisVideoStateMachine):
        pass

    bug(monkeypatch)
    with pytest.raises((ModelMismatch, AssertionError)):
        _run(Victim, max_examples=200, **_FIND_FIRST)
