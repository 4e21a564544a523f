"""The state machine's GetImages (kvsim.testing.stateful.playback_rules) needs no PyAV:
generated fragments hold filler frames, MEDIA_ERROR without decoding."""

from __future__ import annotations

import sys

import pytest
from hypothesis import settings
from hypothesis.stateful import run_state_machine_as_test

from kvsim.stateful import KinesisVideoStateMachine

_SERVER, _PRODUCER = "SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP"


class NoPyAVMachine(KinesisVideoStateMachine):
    """The shipped machine (its own coverage counter), run with ``av`` blocked."""


def test_get_images_over_put_fragments_without_pyav(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)  # ``import av`` raises ImportError
    NoPyAVMachine.reset_coverage()
    machine = NoPyAVMachine()
    machine.kv.create_stream(StreamName="cam-1", DataRetentionInHours=2)
    machine.sim.advance(1)  # ACTIVE
    machine._media_put("cam-1", 4, 2.0, False, False)  # ends now
    machine._media_put("cam-1", 2, 1.5, False, True)  # producer time an hour back
    # (kind, (anchor, offset, span), SamplingInterval, MaxResults, Format, all pages)
    for kind, drawn, interval, max_results, image_format, follow in [
        (_PRODUCER, (0, -700, 4_000), None, None, "JPEG", False),
        (_SERVER, (1, 0, 30_000), 500, 3, "PNG", True),
        (_PRODUCER, (4, -1, 300_000), 200, 100, "JPEG", True),  # 61 pages, throttled
        (_PRODUCER, (0, 0, 300_000), 200, 1, "PNG", True),  # 1501 pages: metadata points
        (_SERVER, (7, 0, 0), 1_500, 1, "PNG", True),  # one sample, now: no media
        (_PRODUCER, (0, 0, 300_001), None, None, "JPEG", True),
        (_SERVER, (0, 0, -1), None, None, "JPEG", True),
        (_SERVER, (0, 0, 1_000), 199, None, "JPEG", True),
    ]:
        machine.get_images("cam-1", kind, drawn, interval, max_results, image_format, follow)
    machine.get_images("door.cam", _SERVER, (7, 0, 0), None, None, "JPEG", False)
    reached = NoPyAVMachine.coverage
    for event in (
        "playback:images",
        "playback:images-paged",
        "playback:images-media",
        "error:GetImages:InvalidArgumentException",
        "error:GetImages:ResourceNotFoundException",
        "error:GetImages:ClientLimitExceededException",
    ):
        assert reached[event] > 0, f"{event} not reached: {dict(reached)}"
    assert reached["error:GetImages:InvalidArgumentException"] == 3


def test_the_machine_runs_without_pyav(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "av", None)
    NoPyAVMachine.reset_coverage()
    run_state_machine_as_test(
        NoPyAVMachine,
        settings=settings(max_examples=40, stateful_step_count=50, deadline=None),
    )
    assert NoPyAVMachine.coverage["playback:images"] > 0, dict(NoPyAVMachine.coverage)
