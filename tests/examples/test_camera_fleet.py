"""Testing the camera-fleet provisioner (``camera_fleet.py``) with kvsim.

Two layers, as a user would write them:

1. Plain example tests: one world per test, the provisioner's ``sleep`` is
   ``sim.advance``, so waiting for CREATING and backing off from throttling
   take virtual time only, and every run is identical.
2. A state machine: :class:`CameraFleetMachine` subclasses
   :class:`kvsim.stateful.KinesisVideoStateMachine` and adds one rule that
   runs the provisioner. The base machine's rules keep creating, updating,
   tagging, deleting and throttling streams in between (the fleet's own
   streams included, through the ``names`` bundle), and because the
   provisioner is given the machine's checked client ``self.kv``, every call
   it makes is predicted and checked against the reference model too.
"""

from __future__ import annotations

import dataclasses

import pytest
from camera_fleet import Camera, FleetProvisioner, ProvisioningError
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import rule, run_state_machine_as_test

import kvsim
from kvsim import strategies as kvs
from kvsim.stateful import KinesisVideoStateMachine

ACCOUNT = "123456789012"


def _world(**options: object) -> tuple[kvsim.Simulator, kvsim.engine.client.KinesisVideoClient]:
    sim = kvsim.Simulator(seed=0, **options)  # type: ignore[arg-type]
    return sim, sim.client("kinesisvideo", region_name="us-east-1", account_id=ACCOUNT)


# -- 1. example tests ---------------------------------------------------------------------------


def test_provision_creates_waits_and_configures_a_new_stream() -> None:
    sim, kv = _world()
    fleet = FleetProvisioner(kv, sleep=sim.advance)
    arn = fleet.provision(Camera("lobby", retention_hours=24, tags={"site": "hq"}))
    done = sim.now
    info = kv.describe_stream(StreamARN=arn)["StreamInfo"]
    assert (info["StreamName"], info["DeviceName"], info["Status"]) == (
        "fleet-lobby",
        "lobby",
        "ACTIVE",
    )
    assert info["DataRetentionInHours"] == 24
    assert kv.list_tags_for_stream(StreamARN=arn)["Tags"] == {"site": "hq"}
    # Created at 0.05 s (after one DescribeStream), ACTIVE at 2.05 s, seen by the poll
    # at 2.1 s (polls every 0.25 s: a 0.05 s call and a 0.2 s sleep), tags listed at 2.15 s.
    assert arn.endswith("/1767225600050")
    assert done.isoformat() == "2026-01-01T00:00:02.200000+00:00"


def test_provision_reuses_the_stream_and_changes_only_what_differs() -> None:
    sim, kv = _world()
    fleet = FleetProvisioner(kv, sleep=sim.advance)
    first = fleet.provision(Camera("gate", retention_hours=48, tags={"site": "hq"}))
    before = kv.describe_stream(StreamARN=first)["StreamInfo"]["Version"]
    second = fleet.provision(Camera("gate", retention_hours=12, tags={"role": "entry"}))
    info = kv.describe_stream(StreamARN=second)["StreamInfo"]
    assert second == first
    assert info["DataRetentionInHours"] == 12  # DECREASE_DATA_RETENTION by 36
    assert info["Version"] != before
    assert kv.list_tags_for_stream(StreamARN=first)["Tags"] == {"site": "hq", "role": "entry"}


def test_provision_waits_for_a_deleting_stream_then_creates_a_new_one() -> None:
    sim, kv = _world(timings=kvsim.Timings(delete_delay=3.0))
    fleet = FleetProvisioner(kv, sleep=sim.advance)
    old = fleet.provision(Camera("dock"))
    kv.delete_stream(StreamARN=old)
    new = fleet.provision(Camera("dock"))
    assert new != old  # a new incarnation: the ARN carries the creation time
    with pytest.raises(kv.exceptions.ResourceNotFoundException):
        kv.describe_stream(StreamARN=old)
    assert kv.describe_stream(StreamARN=new)["StreamInfo"]["Status"] == "ACTIVE"


def test_provision_backs_off_exponentially_when_throttled() -> None:
    # One DescribeStream per stream per second: polling every 0.2 s gets throttled.
    sim, kv = _world(limits=kvsim.Limits(rates={"DescribeStream": (300, 1)}))
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        sim.advance(seconds)

    fleet = FleetProvisioner(kv, sleep=sleep)
    fleet.provision(Camera("lobby"))
    assert fleet.retries["ClientLimitExceededException"] > 0
    assert sleeps[sleeps.index(0.1) :][:3] == [0.1, 0.2, 0.4]


def test_provision_lets_a_tag_limit_error_through() -> None:
    sim, kv = _world(limits=kvsim.Limits(max_tags_per_resource=2))
    fleet = FleetProvisioner(kv, sleep=sim.advance)
    arn = fleet.provision(Camera("lobby", tags={"a": "1", "b": "2"}))
    with pytest.raises(kv.exceptions.TagsPerResourceExceededLimitException):
        fleet.provision(Camera("lobby", tags={"c": "3"}))
    assert kv.list_tags_for_stream(StreamARN=arn)["Tags"] == {"a": "1", "b": "2"}


def test_provision_gives_up_after_max_steps() -> None:
    sim, kv = _world(timings=kvsim.Timings(create_delay=3600))
    fleet = FleetProvisioner(kv, sleep=sim.advance, max_steps=5)
    with pytest.raises(ProvisioningError, match="fleet-lobby was not ready after 5 steps"):
        fleet.provision(Camera("lobby"))


# -- 2. the state machine ---------------------------------------------------------------------

CAMERAS = ("lobby", "gate", "dock")


class CameraFleetMachine(KinesisVideoStateMachine):
    """The shipped machine plus one rule that provisions a camera with the user's code."""

    def make_limits(self) -> kvsim.Limits:
        # Room for the base rules' streams and the three cameras' (the hook in use).
        return dataclasses.replace(super().make_limits(), max_streams_per_account=12)

    def __init__(self) -> None:
        super().__init__()
        # The user's code gets the checked client and the virtual clock.
        self.fleet = FleetProvisioner(self.kv, sleep=self.sim.advance)

    @rule(
        targets=(KinesisVideoStateMachine.names, KinesisVideoStateMachine.refs),
        device=st.sampled_from(CAMERAS),
    )
    def fleet_stream_name(self, device: str) -> str:
        """Let the base rules touch the fleet's streams too (update, tag, delete them)."""
        return self.fleet.stream_name(Camera(device))

    @rule(
        device=st.sampled_from(CAMERAS),
        retention=st.sampled_from((0, 24, 168)) | kvs.retention_hours(max_value=720),
        tags=kvs.tag_maps(
            min_size=0,
            max_size=3,
            keys=st.sampled_from(("site", "role", "env")),
            values=kvs.tag_values(max_size=8),
        ),
    )
    def provision(self, device: str, retention: int, tags: dict[str, str]) -> None:
        """Provision a camera; afterwards its stream must be exactly as asked."""
        camera = Camera(device, retention, tags)
        name = self.fleet.stream_name(camera)
        try:
            arn = self.fleet.provision(camera)
        except self.kv.exceptions.TagsPerResourceExceededLimitException:
            # Base rules tagged the stream; the camera's tags would not fit.
            held = self.model.streams[name].tags
            assert len(held.keys() | tags.keys()) > self.sim.limits.max_tags_per_resource
            self.record("fleet:too many tags")
            return
        stream = self.model.streams[name]  # kept up to date by the checked client
        assert (stream.arn, stream.status, stream.retention) == (arn, "ACTIVE", retention)
        assert stream.tags.items() >= tags.items()
        self.record("fleet:provisioned")
        for code, count in self.fleet.retries.items():
            self.coverage[f"fleet:retried {code}"] += count
        self.fleet.retries.clear()


def test_camera_fleet_machine() -> None:
    CameraFleetMachine.reset_coverage()
    run_state_machine_as_test(
        CameraFleetMachine, settings=settings(stateful_step_count=30, deadline=None)
    )
    reached = CameraFleetMachine.coverage
    assert reached["fleet:provisioned"] > 0
    assert reached["fleet:retried ClientLimitExceededException"] > 0
