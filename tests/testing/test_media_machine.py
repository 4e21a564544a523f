"""The state machine's media rules (kvsim.testing.stateful.media_rules): the
reference model of fragments, and planted ingestion/expiry/read bugs found."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

import kvsim.services.fragments
import kvsim.services.kinesis_video_archived_media.fragments as archived
from kvsim.stateful import KinesisVideoStateMachine
from kvsim.testing.stateful.media_model import BUFFER_MS, ExpectedFragment, ExpectedMedia

_FIND_FIRST: dict[str, Any] = {
    "phases": [Phase.explicit, Phase.generate],
    "report_multiple_bugs": False,
    "database": None,
    "max_examples": 300,
    "stateful_step_count": 50,
    "deadline": None,
}
_HOUR = 3_600_000


def _fragments(start: int, count: int, ms: int = 2_000) -> list[ExpectedFragment]:
    return [ExpectedFragment(i, start + i * ms, start + i * ms, ms) for i in range(count)]


def test_the_model_expires_in_batches_at_whole_minutes() -> None:
    media = ExpectedMedia(retention=1)
    media.store(_fragments(10_000, 3), 10_000)
    assert media.expiry_ms == 3_660_000  # the minute after 10 s + 1 h
    media.settle(3_659_999)
    assert len(media.readable(3_609_999)) == 3 and media.dropped == 0
    media.settle(3_660_000)
    assert media.dropped == 3 and media.expiry_ms is None
    assert media.events == ["media:expired-batch"]


def test_the_model_drops_at_once_when_retention_shrinks_and_keeps_them_dropped() -> None:
    media = ExpectedMedia(retention=24)
    media.store(_fragments(0, 4, 1_000), 0)
    media.retention_changed(0, 301_500)  # the 5-minute buffer: 0 and 1 s go at once
    assert media.dropped == 2 and [f.number for f in media.readable(301_500)] == [2, 3]
    media.retention_changed(24, 301_600)  # raising it again brings nothing back
    assert [f.number for f in media.readable(301_600)] == [2, 3]
    assert BUFFER_MS == 300_000


def test_a_producer_on_the_clock_arrives_in_order_and_holds_the_connection() -> None:
    media = ExpectedMedia(retention=1)
    fragments = _fragments(0, 3)
    media.store(fragments[:1], 0)
    media.arriving = fragments[1:]
    media.busy_until_ms = 6_000
    media.settle(2_000)
    assert [f.number for f in media.readable(2_000)] == [0, 1] and media.busy(5_999)
    media.settle(6_000)
    assert not media.busy(6_000) and len(media.readable(6_000)) == 3


def _lists_one_short(mp: pytest.MonkeyPatch) -> None:
    original = archived.list_fragments

    def short(*args: Any) -> tuple[list[int], bool]:
        rows, more = original(*args)
        return rows[:-1] if len(rows) >= 2 else rows, more

    mp.setattr(archived, "list_fragments", short)


def _expires_one_too_many(mp: pytest.MonkeyPatch) -> None:
    # Retention cuts one fragment more than it should (reads and batches alike).
    original = kvsim.services.fragments.FragmentStore.expired_end

    def one_more(self: Any, now_ms: int, keep: int) -> int:
        return min(len(self.seqs), original(self, now_ms, keep) + 1)

    mp.setattr(kvsim.services.fragments.FragmentStore, "expired_end", one_more)


@pytest.mark.parametrize(
    "bug",
    [_lists_one_short, _expires_one_too_many],
    ids=lambda bug: bug.__name__.strip("_"),
)
def test_the_machine_finds_a_planted_media_bug(
    monkeypatch: pytest.MonkeyPatch, bug: Callable[[pytest.MonkeyPatch], None]
) -> None:
    class Planted(KinesisVideoStateMachine):
        pass

    bug(monkeypatch)
    with pytest.raises(
        AssertionError,
        match=r"ListFragments|GetMediaForFragmentList|GetClip|StreamingSessionURL|HLS |DASH ",
    ):
        run_state_machine_as_test(Planted, settings=settings(**_FIND_FIRST))
