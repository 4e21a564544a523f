"""The state machine's rules for media: ingest, expire, read.

:class:`MediaRules` is a mixin of
:class:`~kvsim.testing.stateful.machine.KinesisVideoStateMachine`: rules that
put generated fragments in the machine's streams (at once, or as a producer
on the clock), wait for retention to expire them, and read them back with
ListFragments (every page, sorted: their order is shuffled) and
GetMediaForFragmentList, each checked at once against
:class:`~kvsim.testing.stateful.media_model.ExpectedMedia`. Nothing runs
per step before the first put; after it, one wrapped call per successful
API call notes retention changes and deletions.

``coverage`` counts ``media:<event>`` (puts, reads with and without
fragments, expiry batches that dropped fragments, retention changes that
dropped some, reads of expired fragments) and
``error:<Operation>:<Code>`` of the media calls.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import rule

from ...model.errors import ClientError
from .media_model import ExpectedFragment, ExpectedMedia

if TYPE_CHECKING:
    from ...engine.simulator import Simulator
    from .checked import CheckedClient
    from .reference import ReferenceModel

__all__ = ["MediaRules"]

_READABLE = ("ACTIVE", "UPDATING")
_COUNTS = st.integers(1, 4)
_DURATIONS = st.sampled_from((1.0, 2.0, 1.5))
_PAGES = st.sampled_from((1, 3, 100))
_ACTIONS = st.sampled_from(("put", "put", "put", "list", "read", "shorten", "expire"))
_REFS = st.sampled_from(("cam-1", "cam-2", "Cam-1"))
_SELECTOR_KINDS = st.sampled_from((None, "SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP"))
_NUMBER_PICKS = st.lists(st.integers(0, 3) | st.integers(0, 63), min_size=1, max_size=3)
_FLOORS = st.sampled_from((0, 1))
_PAST = st.sampled_from((0, 1, 59_000))
_SPANS = st.sampled_from((0, 1_500, 4_000, 10**9))
# Mostly a live stream (see the machine's ``choose``), sometimes the drawn name.
_PICKS = st.one_of(st.integers(0, 15), st.integers(0, 15), st.integers(0, 15), st.none())


def _ms(value: Any) -> int:
    return round(float(value.timestamp()) * 1000)


def _fragment_tags(payload: Any) -> list[int]:
    # The fragment-number tags of a media body: one segment per run of fragments
    # that share their tracks, each starting with a head chunk (the EBML header).
    from ...media.mkv import read_mkv

    segments: list[list[bytes]] = []
    for piece in payload.chunks():
        if piece.startswith(b"\x1a\x45\xdf\xa3") or not segments:
            segments.append([])
        segments[-1].append(piece)
    return [
        int(dict(cluster.tags)["AWS_KINESISVIDEO_FRAGMENT_NUMBER"])
        for segment in segments
        for cluster in read_mkv(b"".join(segment))[1]
    ]


class MediaRules:
    """Rules for put_fragments / ListFragments / GetMediaForFragmentList and expiry
    (a mixin of :class:`~kvsim.testing.stateful.machine.KinesisVideoStateMachine`)."""

    _media: dict[str, ExpectedMedia] | None = None

    if TYPE_CHECKING:  # provided by the machine
        sim: Simulator
        kv: CheckedClient
        model: ReferenceModel
        account_id: ClassVar[str]
        region_name: ClassVar[str]

        def record(self, outcome: str) -> None: ...

        def now_ms(self) -> int: ...

        def choose(self, ref: str, pick: int | None) -> str: ...

        def ref_args(self, ref: str) -> dict[str, str]: ...

    # -- the model ------------------------------------------------------------------------

    @property
    def media(self) -> dict[str, ExpectedMedia]:
        """The expected fragments of each stream (by ARN), made on first use; from
        then on the reference model's successful calls are watched for
        retention changes and deletions."""
        found = self._media
        if found is None:
            found = self._media = {}
            model = self.model
            noted: Callable[[str, str | None, int], None] = model.record_success

            def record_success(op: str, arn: str | None, now: int) -> None:
                noted(op, arn, now)
                if arn is None or arn not in found:
                    return
                if op == "DeleteStream":
                    del found[arn]
                elif op == "UpdateDataRetention":
                    expected = found[arn]
                    expected.retention_changed(model.streams[model.by_arn[arn]].retention, now)
                    self._media_events(expected)

            model.record_success = record_success  # type: ignore[method-assign,assignment]
        return found

    def _media_events(self, expected: ExpectedMedia) -> None:
        for event in expected.events:
            self.record(event)
        expected.events.clear()

    def _media_settled(self, ref: str) -> tuple[Any, ExpectedMedia | None, int]:
        # The reference stream ``ref`` names, its media (settled) and the time.
        self.sim.advance(0)  # what is due now runs, as before any call
        now = self.now_ms()
        self.model.settle(now)
        stream = self.model.lookup(ref)
        expected = None if stream is None else self.media.get(stream.arn)
        if expected is not None:
            expected.settle(now)
            self._media_events(expected)
        return stream, expected, now

    def _media_refused(self, op: str, error: ClientError, want: str | None) -> None:
        code = error.response["Error"]["Code"]
        self.record(f"error:{op}:{code}")
        assert code == want, f"{op}: kvsim answered {code}, the model expected {want or 'success'}"

    # -- rules ----------------------------------------------------------------------------

    @rule(action=_ACTIONS, ref=_REFS, pick=_PICKS, data=st.data())
    def media_step(self, action: str, ref: str, pick: int | None, data: st.DataObject) -> None:
        """One media action (a single rule, so that the machine's other rules keep
        their share of the steps): put fragments, list them, read some, shorten
        a stream's retention or wait for the next expiry (the shipped machine
        runs it in about one step in fifty)."""
        draw = data.draw
        ref = self._media_ref(ref, pick)
        if action == "put":
            # Put, then read back at once: every read path gets fragments to find.
            self.put_fragments(
                ref,
                pick,
                draw(_COUNTS),
                draw(_DURATIONS),
                draw(st.booleans()),
                draw(st.booleans()),
                draw(st.booleans()),
            )
            self.list_fragments(
                ref,
                pick,
                draw(_PAGES),
                draw(_SELECTOR_KINDS),
                draw(st.integers(0, 7)),
                draw(_SPANS),
            )
            self.get_media_for_fragment_list(ref, pick, draw(_NUMBER_PICKS))
        elif action == "list":
            self.list_fragments(
                ref,
                pick,
                draw(_PAGES),
                draw(_SELECTOR_KINDS),
                draw(st.integers(0, 7)),
                draw(_SPANS),
            )
        elif action == "read":
            self.get_media_for_fragment_list(ref, pick, draw(_NUMBER_PICKS))
        elif not self._media:
            return
        elif action == "shorten":
            self.shorten_retention(draw(st.integers(0, 15)), draw(_FLOORS), draw(st.integers(0, 2)))
        else:
            self.wait_for_expiry(draw(_PAST))

    def _media_ref(self, ref: str, pick: int | None) -> str:
        # As the machine's choose(), but an odd pick names a stream that holds media.
        if pick is not None and pick % 2 and self._media:
            self.model.settle(self.now_ms())
            held = [arn for arn in sorted(self._media) if self.model.lookup(arn) is not None]
            if held:
                arn = held[pick // 2 % len(held)]
                return arn if pick >= 8 else self.model.streams[self.model.by_arn[arn]].name
        chosen = self.choose(ref, pick)
        stream = self.model.lookup(chosen)
        if stream is not None and stream.status == "CREATING" and stream.due_ms is not None:
            # As an application does: wait for the new stream to become ACTIVE.
            self.sim.advance(max(0, stream.due_ms - self.now_ms()) / 1000)
        return chosen

    def put_fragments(
        self,
        ref: str,
        pick: int | None,
        count: int,
        duration: float,
        realtime: bool,
        earlier: bool,
        again: bool,
    ) -> None:
        """``sim.put_fragments``: at once or as a producer on the clock, producer time
        now or an hour back (so that producer time goes back across puts); ``again``:
        then once more at once (refused while a producer on the clock sends)."""
        self._media_put(ref, count, duration, realtime, earlier)
        if again:
            self._media_put(ref, 1, duration, False, False)

    def _media_put(
        self, ref: str, count: int, duration: float, realtime: bool, earlier: bool
    ) -> None:
        stream, expected, now = self._media_settled(ref)
        producer = now - 3_600_000 if earlier else now
        want = None
        if stream is None or stream.status not in _READABLE:
            want = "ResourceNotFoundException"
        elif expected is not None and expected.busy(now):
            want = "ConnectionLimitExceededException"
        try:
            batch = self.sim.put_fragments(
                ref,
                count=count,
                duration=duration,
                frame_rate=1.0,
                frame_size=8,
                producer_start=producer / 1000,
                realtime=realtime,
                account_id=self.account_id,
                region_name=self.region_name,
            )
        except ClientError as error:
            self._media_refused("PutMedia", error, want)
            return
        assert want is None, f"put_fragments: kvsim stored them, the model expected {want}"
        assert stream is not None
        self.record("media:put-realtime" if realtime else "media:put")
        first, last = int(batch.first_fragment_number), int(batch.last_fragment_number)
        assert batch.count == count and _ms(batch.server_start) == now
        assert len(batch.first_fragment_number) == 47
        if expected is None:
            expected = self.media[stream.arn] = ExpectedMedia(stream.retention)
        assert not expected.numbers or first > expected.numbers[-1], "numbers must grow"
        step = (last - first) // (count - 1) if count > 1 else 0
        assert first + step * (count - 1) == last
        ms = round(duration * 1000)
        fragments = [
            ExpectedFragment(first + i * step, now + i * ms, producer + i * ms, ms)
            for i in range(count)
        ]
        if realtime:
            expected.store(fragments[:1], now)
            expected.arriving = fragments[1:]
            expected.busy_until_ms = now + count * ms
        else:
            expected.store(fragments, now)

    def list_fragments(
        self, ref: str, pick: int | None, page: int, kind: str | None, at: int, span: int
    ) -> None:
        """Every page of ListFragments (all, or a range around a stored fragment's
        time), sorted by number: exactly the readable fragments in the range."""
        stream, expected, now = self._media_settled(ref)
        want = None
        if stream is None or stream.status not in _READABLE:
            want = "ResourceNotFoundException"
        elif stream.retention == 0:
            want = "NoDataRetentionException"
        readable = [] if expected is None else expected.readable(now)
        params: dict[str, Any] = {**self.ref_args(ref), "MaxResults": page}
        if kind is not None:
            stored = [] if expected is None else expected.fragments
            middle = stored[at % len(stored)] if stored else None
            start = (
                now
                if middle is None
                else (middle.server_ms if kind == "SERVER_TIMESTAMP" else middle.producer_ms)
            )
            start -= span // 3
            params["FragmentSelector"] = {
                "FragmentSelectorType": kind,
                "TimestampRange": {
                    "StartTimestamp": start / 1000,
                    "EndTimestamp": (start + span) / 1000,
                },
            }
            field = "server_ms" if kind == "SERVER_TIMESTAMP" else "producer_ms"
            readable = [f for f in readable if start <= getattr(f, field) <= start + span]
        archive = self.sim.client(
            "kinesis-video-archived-media", region_name=self.region_name, account_id=self.account_id
        )
        found: list[tuple[int, int, int, int]] = []
        try:
            while True:
                answer = archive.list_fragments(**params)
                found += [
                    (
                        int(f["FragmentNumber"]),
                        _ms(f["ServerTimestamp"]),
                        _ms(f["ProducerTimestamp"]),
                        f["FragmentLengthInMilliseconds"],
                    )
                    for f in answer["Fragments"]
                ]
                if "NextToken" not in answer:
                    break
                params = {
                    **self.ref_args(ref),
                    "MaxResults": page,
                    "NextToken": answer["NextToken"],
                }
        except ClientError as error:
            self._media_refused("ListFragments", error, want)
            return
        assert want is None, f"ListFragments: kvsim answered, the model expected {want}"
        want_rows = [(f.number, f.server_ms, f.producer_ms, f.duration_ms) for f in readable]
        assert sorted(found) == want_rows, f"ListFragments: {sorted(found)} != model {want_rows}"
        self.record("media:listed" if found else "media:listed-none")

    def get_media_for_fragment_list(self, ref: str, pick: int | None, picks: list[int]) -> None:
        """GetMediaForFragmentList of numbers the stream was given (expired or not):
        the MKV's fragment-number tags in the order asked, or ResourceNotFound."""
        stream, expected, now = self._media_settled(ref)
        numbers = [] if expected is None else expected.numbers
        if not numbers:
            return
        asked = [numbers[-1 - p % len(numbers)] for p in picks]
        readable = {f.number for f in expected.readable(now)} if expected is not None else set()
        want = None
        if stream is None or stream.status not in _READABLE:
            want = "ResourceNotFoundException"
        elif stream.retention == 0:
            want = "NoDataRetentionException"
        elif any(n not in readable for n in asked):
            want = "ResourceNotFoundException"
            self.record("media:read-expired")
        archive = self.sim.client(
            "kinesis-video-archived-media", region_name=self.region_name, account_id=self.account_id
        )
        try:
            answer = archive.get_media_for_fragment_list(
                **self.ref_args(ref), Fragments=[str(n) for n in asked]
            )
        except ClientError as error:
            self._media_refused("GetMediaForFragmentList", error, want)
            return
        assert want is None, f"GetMediaForFragmentList: kvsim answered, the model expected {want}"
        tags = _fragment_tags(answer["Payload"])
        assert tags == asked, f"GetMediaForFragmentList: {tags} != asked {asked}"
        self.record("media:read")

    def shorten_retention(self, pick: int, floor: int, hours: int) -> None:
        """Let ``hours`` (and a minute) pass, then lower a stream's retention to
        ``floor`` hours (0: the 5-minute buffer only GetMedia reads): what is
        older goes at once, as the model says (checked by the next reads)."""
        arns = sorted(self.media)
        self.sim.advance(hours * 3600 + 60)
        self.model.settle(self.now_ms())
        stream = self.model.lookup(arns[pick % len(arns)])
        if stream is None or stream.retention <= floor:
            return
        with contextlib.suppress(ClientError):
            self.kv.update_data_retention(
                StreamARN=stream.arn,
                CurrentVersion=stream.version,
                Operation="DECREASE_DATA_RETENTION",
                DataRetentionChangeInHours=stream.retention - floor,
            )

    def wait_for_expiry(self, past: int) -> None:
        """Let the clock reach the next planned batch expiry of a stream (plus ``past`` ms)."""
        self.model.settle(self.now_ms())
        due = [m.expiry_ms for m in self.media.values() if m.expiry_ms is not None]
        if due:
            self.sim.advance(max(0, min(due) + past - self.now_ms()) / 1000)
        now = self.now_ms()
        for expected in self.media.values():
            expected.settle(now)
            self._media_events(expected)
