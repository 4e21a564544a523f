"""The state machine's rules for playback: GetClip, HLS and DASH sessions, GetImages.

:class:`PlaybackRules` is a mixin of
:class:`~kvsim.testing.stateful.machine.KinesisVideoStateMachine`, beside
:class:`~kvsim.testing.stateful.media_rules.MediaRules` whose expected
fragments (:class:`~kvsim.testing.stateful.media_model.ExpectedMedia`) it
reads: one rule (one, so that the machine's other rules keep their share of
the steps; it first puts fragments in a stream that holds none) that

- calls GetClip over a range drawn around the stored fragments (by server or
  producer time; empty, reversed, longer than 24 hours, ending in the
  future) and checks the error, or the MP4's top-level boxes: ``ftyp``,
  ``moov``, then one ``moof`` and ``mdat`` per fragment the model says the
  clip holds;
- opens an HLS (fMP4 or MPEG-TS) or DASH session, ``ON_DEMAND`` over such a
  range or ``LIVE``, fetches its master playlist and media playlist (HLS) or
  its manifest (DASH) with ``sim.fetch``, checks the fragment numbers listed
  and the first one's place in the session, fetches the first segment, and
  lets the clock run to just before or past ``Expires`` (200, then 403).

The expectations are the model's own copies of the rules (kvsim's
:mod:`kvsim.services.kinesis_video_archived_media` says the same in its
texts): the range rules (end after start, at most 24 hours, by server time
not in the future), then the stream (ResourceNotFound), the sessions' 25
calls a second per stream (ClientLimitExceeded; GetClip has no such rate),
its status, retention 0 (NoDataRetention), and the fragments: those whose
start lies in the range (both ends inclusive) ordered by that time, at most
200 in a clip (cut before the first whose producer time lies before the first
one's: generated fragments all share their tracks and their few bytes never
reach 100 MB) or ``MaxMediaPlaylistFragmentResults`` /
``MaxManifestFragmentResults`` in an ON_DEMAND session; a LIVE session needs
a fragment stored in the last 30 seconds, and lists the newest ones in
arrival order, skipping one that starts before the newest listed.

It also calls GetImages (a second ahead, so that the stream's fragment
point budgets are full: other reads may have taken some this second) over a
range drawn around the stored fragments or now (by server or producer time;
empty, reversed, longer than 300 s), a drawn ``SamplingInterval`` (below 200,
absent: 1000), ``MaxResults`` (absent: 25) and format, and, sometimes,
follows ``NextToken`` through every page. The model: an end before the start,
a range over 300 s or an interval below 200 are InvalidArgument (before the
stream is looked at); then ResourceNotFound, NoDataRetention, and the points
(``400 + MaxResults`` metadata and ``MaxResults`` media points a call, both
or neither; a throttled page is asked again a second later). The samples are
the start plus whole intervals up to the end; a page holds the next
``min(MaxResults, 25)`` of them, each ``MEDIA_ERROR`` when a retained
fragment's span ``[start, start + duration)`` (by the selector's time) holds
it (generated fragments hold filler frames: a keyframe at their start with no
coded slice, which kvsim knows without decoding, so without PyAV), else
``NO_MEDIA``.

``coverage`` counts ``playback:<event>`` (``images``: a first page,
``images-media``: a page with a ``MEDIA_ERROR`` entry, ``images-paged``:
every page followed) and ``error:<Operation>:<Code>``.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import parse_qs, urljoin, urlsplit

from hypothesis import strategies as st
from hypothesis.stateful import rule

from ...core.constants import EPOCH
from ...model.errors import ClientError
from .media_model import ExpectedFragment, ExpectedMedia
from .playback_model import (
    DAY_MS,
    INVALID,
    SERVER,
    ExpectedSession,
    fragment_start,
    holding,
    in_range,
    points_left,
    range_error,
    top_level_boxes,
)

if TYPE_CHECKING:
    from ...engine.simulator import Simulator
    from .reference import ReferenceModel

__all__ = ["PlaybackRules", "top_level_boxes"]

_READABLE = ("ACTIVE", "UPDATING")
_CLIP_MAX = 200
_LIVE_WINDOW_MS = 30_000
_SESSION_OPS = {"HLS": "GetHLSStreamingSessionURL", "DASH": "GetDASHStreamingSessionURL"}
_NOT_FOUND = "ResourceNotFoundException"

_ACTIONS = st.sampled_from(("clip", "hls", "dash", "images"))
_REFS = st.sampled_from(("cam-1", "cam-2", "Cam-1"))
_PICKS = st.one_of(st.integers(0, 15), st.integers(0, 15), st.none())
_PUT_FIRST = st.sampled_from((False, False, True))
_COUNTS = st.integers(1, 4)
_DURATIONS = st.sampled_from((1.0, 2.0, 1.5))
_REALTIME = st.sampled_from((False, False, True))
_EARLIER = st.sampled_from((False, False, True))
_KINDS = st.sampled_from((SERVER, "PRODUCER_TIMESTAMP"))
# The range: from a stored fragment's start (or now) plus an offset, for a span
# (None: up to now).
_ANCHORS = st.integers(0, 7)
_OFFSETS = st.sampled_from((0, 0, -1, 1, -1_500, -600_000, -3_600_000))
_SPANS = st.sampled_from(
    (None, None, None, 1_500, 4_000, 3_600_000, 1, 0, -1_000, DAY_MS, DAY_MS + 1)
)
_MODES = st.sampled_from(("ON_DEMAND", "ON_DEMAND", "LIVE"))
_MAX_RESULTS = st.sampled_from((None, 1, 2, 5))
_CONTAINERS = st.sampled_from((None, "MPEG_TS"))
_EXPIRES = st.sampled_from((None, 300, 301))
# Where the clock goes after the documents, relative to Expires (None: stays).
_AFTER = st.sampled_from((None, None, None, -1, 0, 60_000))

# GetImages: the range (from a stored fragment's start or now, plus an offset, for
# a span), the interval (None: 1000), MaxResults (None: 25), the format, all pages.
_IMAGE_OFFSETS = st.sampled_from((0, 0, -1, 1, -700, -1_500, -30_000))
_IMAGE_SPANS = st.sampled_from((0, 1, 1_500, 4_000, 30_000, 300_000, 300_001, -1))
_INTERVALS = st.sampled_from((None, None, 200, 500, 1_500, 199, 60_000))
_IMAGE_RESULTS = st.sampled_from((None, 1, 3, 25, 26, 100))
_FORMATS = st.sampled_from(("JPEG", "PNG"))
_IMAGES_RANGE_MS = 300_000
_IMAGES_PAGE = 25
_IMAGES_METADATA_BASE = 400
_THROTTLED = "ClientLimitExceededException"
_MS = timedelta(milliseconds=1)

_NUMBER = re.compile(r"FragmentNumber=(\d+)")
_DASH_FN = re.compile(r'<S t="\d+" d="\d+" kvs:fn="(\d+)"/>')
_START_NUMBER = re.compile(r'startNumber="(\d+)"')


class PlaybackRules:
    """The playback rule (a mixin of the machine, after
    :class:`~kvsim.testing.stateful.media_rules.MediaRules`, whose model it reads)."""

    _session_buckets: dict[tuple[str, str], list[float]] | None = None

    if TYPE_CHECKING:  # provided by the machine and MediaRules
        sim: Simulator
        model: ReferenceModel
        account_id: ClassVar[str]
        region_name: ClassVar[str]
        _media: dict[str, ExpectedMedia] | None

        def record(self, outcome: str) -> None: ...

        def now_ms(self) -> int: ...

        def ref_args(self, ref: str) -> dict[str, str]: ...

        def _media_ref(self, ref: str, pick: int | None) -> str: ...

        def _media_settled(self, ref: str) -> tuple[Any, ExpectedMedia | None, int]: ...

        def _media_put(
            self, ref: str, count: int, duration: float, realtime: bool, earlier: bool
        ) -> None: ...

        def _media_refused(self, op: str, error: ClientError, want: str | None) -> None: ...

    # -- helpers --------------------------------------------------------------------------

    def _archive(self) -> Any:
        return self.sim.client(
            "kinesis-video-archived-media", region_name=self.region_name, account_id=self.account_id
        )

    def _drawn_range(
        self,
        expected: ExpectedMedia | None,
        now: int,
        kind: str,
        anchor: int,
        offset: int,
        span: int | None,
    ) -> tuple[int, int]:
        # A start around a stored fragment's (expired or not) or now, and an end ``span`` later.
        stored = [] if expected is None else expected.fragments
        base = (
            now if anchor == 7 or not stored else fragment_start(stored[anchor % len(stored)], kind)
        )
        start = max(0, base + offset)
        return start, now if span is None else start + span

    def _rate_refused(self, stream: Any, op: str, now: int, commit: bool) -> bool:
        # The model of the sessions' per-stream rate: True when this call is throttled;
        # ``commit`` takes a token (a successful call).
        limits = self.sim.runtime.world.limits
        tps = limits.rate(op)[1] if limits.throttling else None
        if tps is None:
            return False
        buckets = self._session_buckets
        if buckets is None:
            buckets = self._session_buckets = {}
        bucket = buckets.get((stream.arn, op))
        left = tps if bucket is None else min(tps, bucket[0] + (now - bucket[1]) * tps / 1000)
        if commit:
            buckets[(stream.arn, op)] = [left - 1, now]
        return left < 1

    def _live_refresh(self, session: ExpectedSession, expected: ExpectedMedia, now: int) -> None:
        # A LIVE session's list at ``now``: the newest fragments at first, then arrivals.
        readable = expected.readable(now)
        if session.cursor is None:
            new = readable[-session.max_results :]
        else:
            new = [f for f in readable if f.number > session.cursor]
        for fragment in new:
            start = fragment_start(fragment, session.kind)
            if session.high is None or start >= session.high:
                session.listed.append(fragment.number)
                session.high = start
            session.cursor = fragment.number

    def _window(
        self, ref: str, session: ExpectedSession
    ) -> tuple[list[int], int, ExpectedMedia | None]:
        # Settle, refresh a LIVE list; the numbers a document lists now and the first's place.
        _stream, expected, now = self._media_settled(ref)
        assert expected is not None
        if session.mode == "LIVE":
            self._live_refresh(session, expected, now)
        listed = session.listed
        first = 0 if session.mode == "ON_DEMAND" else max(0, len(listed) - session.max_results)
        readable = {f.number for f in expected.readable(now)}
        window = [n for n in listed[first:] if n in readable]
        place = listed.index(window[0]) if window else len(listed)
        return window, place, expected

    def _fetch(self, url: str, status: int = 200) -> Any:
        answer = self.sim.fetch(url)
        assert answer.status == status, f"fetch {urlsplit(url).path}: {answer.status} {answer.text}"
        return answer

    # -- the rule -------------------------------------------------------------------------

    @rule(action=_ACTIONS, ref=_REFS, pick=_PICKS, data=st.data())
    def playback_step(self, action: str, ref: str, pick: int | None, data: st.DataObject) -> None:
        """One playback action on a stream that (most often) holds media: GetClip, an
        HLS or DASH session and its documents, or GetImages (see the module's text). A stream
        without media first gets some (as ``media_step``'s put), and so, sometimes,
        does one with media."""
        draw = data.draw
        ref = self._media_ref(ref, pick)
        stream = self.model.lookup(ref)
        held = stream is not None and stream.arn in (self._media or {})
        if not held or draw(_PUT_FIRST):
            self._media_put(ref, draw(_COUNTS), draw(_DURATIONS), draw(_REALTIME), draw(_EARLIER))
        if action == "images":
            self.get_images(
                ref,
                draw(_KINDS),
                (draw(_ANCHORS), draw(_IMAGE_OFFSETS), draw(_IMAGE_SPANS)),
                draw(_INTERVALS),
                draw(_IMAGE_RESULTS),
                draw(_FORMATS),
                draw(st.booleans()),
            )
            return
        kind, anchor, offset, span = draw(_KINDS), draw(_ANCHORS), draw(_OFFSETS), draw(_SPANS)
        if action == "clip":
            self.get_clip(ref, kind, anchor, offset, span)
            return
        self.streaming_session(
            ref,
            "HLS" if action == "hls" else "DASH",
            draw(_MODES),
            kind,
            (anchor, offset, span),
            draw(_MAX_RESULTS),
            draw(_CONTAINERS) if action == "hls" else None,
            draw(_EXPIRES),
            draw(_AFTER),
        )

    def get_clip(self, ref: str, kind: str, anchor: int, offset: int, span: int | None) -> None:
        """GetClip over a drawn range: the model's error, or an MP4 with one ``moof``
        per fragment the model says the clip holds."""
        stream, expected, now = self._media_settled(ref)
        start, end = self._drawn_range(expected, now, kind, anchor, offset, span)
        want = range_error(kind, start, end, now)
        count = 0
        if want is None:
            if stream is None or stream.status not in _READABLE:
                want = _NOT_FOUND
            elif stream.retention == 0:
                want = "NoDataRetentionException"
            else:
                readable = [] if expected is None else expected.readable(now)
                rows = in_range(readable, kind, start, end)[:_CLIP_MAX]
                if not rows:
                    want = _NOT_FOUND
                for row in rows:
                    if row.producer_ms < rows[0].producer_ms:
                        self.record("playback:clip-cut")
                        break
                    count += 1
        selector = {
            "FragmentSelectorType": kind,
            "TimestampRange": {"StartTimestamp": start / 1000, "EndTimestamp": end / 1000},
        }
        try:
            answer = self._archive().get_clip(**self.ref_args(ref), ClipFragmentSelector=selector)
        except ClientError as error:
            self._media_refused("GetClip", error, want)
            return
        assert want is None, f"GetClip: kvsim answered, the model expected {want}"
        assert answer["ContentType"] == "video/mp4"
        boxes = top_level_boxes(answer["Payload"].read())
        assert boxes[:2] == [b"ftyp", b"moov"], f"GetClip: boxes {boxes[:4]}"
        assert boxes[2:] == [b"moof", b"mdat"] * count, (
            f"GetClip: {boxes.count(b'moof')} fragments, the model expected {count}"
        )
        self.record("playback:clip")

    def get_images(
        self,
        ref: str,
        kind: str,
        drawn: tuple[int, int, int],
        interval: int | None,
        max_results: int | None,
        image_format: str,
        follow: bool,
    ) -> None:
        """GetImages over a drawn range, a second ahead (full point budgets); with
        ``follow``, every page: the model's error, or each page's samples (the
        next ``min(MaxResults, 25)``, ``TimeStamp`` exact), each ``MEDIA_ERROR``
        where a retained fragment holds it (filler frames), else ``NO_MEDIA``.
        A throttled page is asked again a second later."""
        self.sim.advance(1)
        stream, expected, now = self._media_settled(ref)
        start, end = self._drawn_range(expected, now, kind, *drawn)
        step = 1000 if interval is None else interval
        limit = _IMAGES_PAGE if max_results is None else max_results
        invalid = end < start or end - start > _IMAGES_RANGE_MS or step < 200
        samples = [] if invalid else list(range(start, end + 1, step))
        params: dict[str, Any] = {
            **self.ref_args(ref),
            "ImageSelectorType": kind,
            "StartTimestamp": start / 1000,
            "EndTimestamp": end / 1000,
            "Format": image_format,
        }
        if interval is not None:
            params["SamplingInterval"] = interval
        if max_results is not None:
            params["MaxResults"] = max_results
        limits = self.sim.runtime.world.limits
        budgets = [
            (name, count, per_second)
            for name, count, per_second in (
                ("metadata", _IMAGES_METADATA_BASE + limit, limits.fragment_metadata_points),
                ("media", limit, limits.fragment_media_points),
            )
            if per_second is not None and limits.throttling
        ]
        buckets: dict[str, list[float]] = {}  # full after the second ahead
        got: list[dict[str, Any]] = []
        archive = self._archive()
        # (Each page once, and again after each throttled try.)
        for attempt in range(2 * len(samples) + 1):
            if attempt:
                stream, expected, now = self._media_settled(ref)
            want = INVALID if invalid else None
            if want is None:
                if stream is None or stream.status not in _READABLE:
                    want = _NOT_FOUND
                elif stream.retention == 0:
                    want = "NoDataRetentionException"
                elif expected is not None and any(
                    # (A stream never put to has no fragment store: it takes no points.)
                    points_left(buckets.get(name), per_second, now) < count
                    for name, count, per_second in budgets
                ):
                    want = _THROTTLED
            try:
                answer = archive.get_images(**params)
            except ClientError as error:
                self._media_refused("GetImages", error, want)
                if want != _THROTTLED:
                    return
                self.sim.advance(1)
                continue
            assert want is None, f"GetImages: kvsim answered, the model expected {want}"
            for name, count, per_second in budgets if expected is not None else ():
                left = points_left(buckets.get(name), per_second, now)
                buckets[name] = [left - count, now]
            held = holding([] if expected is None else expected.readable(now), kind)
            first = len(got)
            page = samples[first : first + min(limit, _IMAGES_PAGE)]
            wanted = [
                {"TimeStamp": EPOCH + t * _MS, "Error": "MEDIA_ERROR" if held(t) else "NO_MEDIA"}
                for t in page
            ]
            images = answer["Images"]
            assert images == wanted, f"GetImages page at sample {first}: {images} != {wanted}"
            got += images
            more = len(got) < len(samples)
            assert ("NextToken" in answer) == more, f"GetImages: NextToken {answer.keys()}"
            if first == 0:
                self.record("playback:images")
            if any(image["Error"] == "MEDIA_ERROR" for image in images):
                self.record("playback:images-media")
            if not more or not follow:
                break
            params["NextToken"] = answer["NextToken"]
        else:
            raise AssertionError(f"GetImages: {len(samples)} samples, still paging")
        if follow and len(got) > len(images):
            want_times = [EPOCH + t * _MS for t in samples]
            assert [image["TimeStamp"] for image in got] == want_times, "GetImages: the pages"
            self.record("playback:images-paged")

    def streaming_session(
        self,
        ref: str,
        protocol: str,
        mode: str,
        kind: str,
        drawn: tuple[int, int, int | None],
        max_results: int | None,
        container: str | None,
        expires: int | None,
        after: int | None,
    ) -> None:
        """Get{protocol}StreamingSessionURL, then its documents through ``sim.fetch``:
        the fragment numbers listed are the model's; then (``after`` not None) the
        clock runs to ``after`` ms past ``Expires`` and the session answers 200 before
        it, 403 from then on."""
        op = _SESSION_OPS[protocol]
        stream, expected, now = self._media_settled(ref)
        limit = max_results if max_results is not None else 1000 if mode == "ON_DEMAND" else 5
        selector: dict[str, Any] = {"FragmentSelectorType": kind}
        session = ExpectedSession(mode, kind, limit)
        want = None
        rows: list[ExpectedFragment] = []
        if mode == "ON_DEMAND":
            start, end = self._drawn_range(expected, now, kind, *drawn)
            selector["TimestampRange"] = {
                "StartTimestamp": start / 1000,
                "EndTimestamp": end / 1000,
            }
            want = range_error(kind, start, end, now)
        if want is None:
            readable = [] if expected is None else expected.readable(now)
            if mode == "ON_DEMAND":
                rows = in_range(readable, kind, start, end)[:limit]
            elif readable and readable[-1].server_ms >= now - _LIVE_WINDOW_MS:
                rows = readable[-1:]
            if stream is None:
                want = _NOT_FOUND
            elif self._rate_refused(stream, op, now, commit=False):
                want = "ClientLimitExceededException"
            elif stream.status not in _READABLE:
                want = _NOT_FOUND
            elif stream.retention == 0:
                want = "NoDataRetentionException"
            elif not rows:
                want = _NOT_FOUND
        params: dict[str, Any] = {
            **self.ref_args(ref),
            "PlaybackMode": mode,
            f"{protocol}FragmentSelector": selector,
        }
        if max_results is not None:
            name = (
                "MaxMediaPlaylistFragmentResults"
                if protocol == "HLS"
                else "MaxManifestFragmentResults"
            )
            params[name] = max_results
        if container is not None:
            params["ContainerFormat"] = container
        if expires is not None:
            params["Expires"] = expires
        if protocol == "DASH":
            params["DisplayFragmentNumber"] = "ALWAYS"
        method = getattr(self._archive(), f"get_{protocol.lower()}_streaming_session_url")
        try:
            url = method(**params)[f"{protocol}StreamingSessionURL"]
        except ClientError as error:
            self._media_refused(op, error, want)
            return
        assert want is None, f"{op}: kvsim answered, the model expected {want}"
        self._rate_refused(stream, op, now, commit=True)
        if mode == "ON_DEMAND":
            session.listed = [f.number for f in rows]
        expires_ms = now + 1000 * (expires or 300)
        self.record(f"playback:{protocol.lower()}-{mode.lower().replace('_', '-')}")
        if protocol == "HLS":
            documents = self._hls_documents(ref, url, session, container)
        else:
            documents = self._dash_documents(ref, url, session)
        if after is not None:
            self._past_expiry(url, expires_ms, after, documents)

    def _hls_documents(
        self, ref: str, url: str, session: ExpectedSession, container: str | None
    ) -> list[str]:
        # The master playlist, the media playlist (checked against the model), a segment.
        self._window(ref, session)  # the master playlist refreshes a LIVE list first
        master = self._fetch(url)
        media_url = urljoin(url, master.text.splitlines()[-1])
        assert master.headers["Content-Type"] == "application/x-mpegURL"
        assert urlsplit(media_url).path.endswith("/getHLSMediaPlaylist.m3u8"), master.text
        window, place, _expected = self._window(ref, session)
        playlist = self._fetch(media_url).text
        lines = [line for line in playlist.splitlines() if line and not line.startswith("#")]
        listed = [int(_NUMBER.findall(line)[0]) for line in lines]
        assert listed == window, f"HLS {session.mode}: listed {listed}, the model {window}"
        assert f"#EXT-X-MEDIA-SEQUENCE:{place}\n" in playlist, f"place {place}: {playlist}"
        assert ("#EXT-X-ENDLIST" in playlist) == (session.mode == "ON_DEMAND"), playlist
        if lines:
            self._segment(ref, session, urljoin(url, lines[0]), listed[0], container == "MPEG_TS")
        return [url, media_url]

    def _dash_documents(self, ref: str, url: str, session: ExpectedSession) -> list[str]:
        # The manifest (checked against the model) and its first segment.
        window, place, _expected = self._window(ref, session)
        answer = self._fetch(url)
        manifest = answer.text
        assert answer.headers["Content-Type"] == "application/dash+xml"
        listed = [int(n) for n in _DASH_FN.findall(manifest)]
        assert listed == window, f"DASH {session.mode}: listed {listed}, the model {window}"
        assert _START_NUMBER.findall(manifest) == [str(place)], f"place {place}: {manifest}"
        static = 'type="static"' in manifest
        assert static == (session.mode == "ON_DEMAND"), manifest
        if listed:
            segment = urljoin(url, f"getMP4MediaFragment.mp4?SequenceNumber={place}&SessionToken=")
            token = parse_qs(urlsplit(url).query)["SessionToken"][0]
            self._segment(ref, session, segment + token, listed[0], False)
        return [url]

    def _segment(
        self, ref: str, session: ExpectedSession, url: str, number: int, mpegts: bool
    ) -> None:
        # The first listed fragment as a media segment: 200 while the model keeps it.
        _stream, expected, now = self._media_settled(ref)
        assert expected is not None
        kept = any(f.number == number for f in expected.readable(now))
        answer = self._fetch(url, 200 if kept else 404)
        if not kept:
            self.record("playback:segment-expired")
            return
        body = answer.body
        if mpegts:
            assert body[:1] == b"\x47" and len(body) % 188 == 0, "not MPEG-TS packets"
            assert answer.headers["Content-Type"] == "video/MP2T"
        else:
            assert top_level_boxes(body)[-2:] == [b"moof", b"mdat"], top_level_boxes(body)
        self.record("playback:segment-ts" if mpegts else "playback:segment")

    def _past_expiry(self, url: str, expires_ms: int, after: int, documents: list[str]) -> None:
        # Run the clock to ``after`` ms past Expires; a document answers 200 before, 403 after.
        self.sim.advance(max(0, expires_ms + after - self.now_ms()) / 1000)
        expired = self.now_ms() >= expires_ms
        answer = self.sim.fetch(documents[-1] if expired else url)
        if expired:
            assert answer.status == 403, f"{answer.status} {answer.text} past Expires"
            assert answer.headers.get("x-amzn-ErrorType") == "NotAuthorizedException"
            assert "expired" in answer.text, answer.text
            self.record("playback:expired")
        else:
            assert answer.status == 200, f"{answer.status} {answer.text} before Expires"
            self.record("playback:before-expiry")
