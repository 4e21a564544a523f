"""GetHLSStreamingSessionURL and GetDASHStreamingSessionURL: streaming sessions and their tokens.

A call checks its parameters as AWS documents them, finds the fragments the
session starts with, and answers a URL on the stream's ``b-`` data endpoint
(drawn as GetDataEndpoint draws it, if not drawn yet)::

    https://b-1a2b3c4d.kinesisvideo.us-east-1.amazonaws.com/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=Ci...~
    https://b-1a2b3c4d.kinesisvideo.us-east-1.amazonaws.com/dash/v1/getDASHManifest.mpd?SessionToken=Ci...~

The documents and media behind them are served by :mod:`kvsim.services.playback`.

Parameters (AWS's rules; every member of both models is honoured):

- ``PlaybackMode``: ``LIVE`` (default), ``LIVE_REPLAY``, ``ON_DEMAND``.
- The selector (``HLSFragmentSelector`` / ``DASHFragmentSelector``):
  ``FragmentSelectorType`` defaults to ``SERVER_TIMESTAMP``. ``ON_DEMAND`` and
  ``LIVE_REPLAY`` need the selector with its type and a ``TimestampRange``;
  ``ON_DEMAND`` needs its ``EndTimestamp`` (``LIVE_REPLAY`` without one keeps
  adding fragments until the session expires); ``LIVE`` must not have a range.
  Ranges follow :mod:`.selection`'s rules.
- ``ContainerFormat`` (HLS): ``FRAGMENTED_MP4`` (default) or ``MPEG_TS``.
- ``DiscontinuityMode`` (HLS): ``ALWAYS`` / ``NEVER`` / ``ON_DISCONTINUITY``;
  default ``ALWAYS`` with ``SERVER_TIMESTAMP``, ``NEVER`` with ``PRODUCER_TIMESTAMP``.
- ``DisplayFragmentTimestamp`` (both), ``DisplayFragmentNumber`` (DASH): default ``NEVER``.
- ``Expires``: 300 to 43,200 seconds, default 300 (the model's bounds are checked
  with every other constraint before the call).
- ``MaxMediaPlaylistFragmentResults`` / ``MaxManifestFragmentResults``: 1 to
  5,000; default 5 for ``LIVE`` and ``LIVE_REPLAY``, 1,000 for ``ON_DEMAND``.

Errors, in this order: parameter rules (``InvalidArgumentException``), the
stream's 25 TPS (``ClientLimitExceededException``), the stream
(``ResourceNotFoundException``), retention 0 (``NoDataRetentionException``),
no fragment (``ResourceNotFoundException``, AWS's ``No fragments found in the
stream for the streaming request.``: ``ON_DEMAND``/``LIVE_REPLAY`` with none in
the range; ``LIVE`` with none whose server timestamp lies in the last 30
seconds, kvsim's reading of "ingested in the last 30 seconds"), then the
codecs of the fragments the session starts with (:func:`.selection.codec_problem`).

Tokens (kvsim rule): opaque, URL-safe and deterministic: the URL-safe base64
of 32 bytes drawn from the world's seeded source plus the session's place
(account, region, a 48-bit session number drawn from the same source) and
expiry, starting ``Ci`` and ending ``~`` like AWS's. A token names its expiry, so an expired session is told from an unknown
token even after it was forgotten. Sessions live in their stream's region
(:class:`SessionBook`), expire on the virtual clock and are forgotten, at the
latest, when another session is made in the region after their expiry.

Sessions are part of snapshots (:mod:`.sessions_state`): a restored or
forked world serves the same URLs as the original.

>>> token = encode_token(b"\\x00" * 32, "123456789012", "us-east-1", 7, 1767225900000)
>>> token[:2], token[-1], decode_token(token)[1:]
('Ci', '~', ('123456789012', 'us-east-1', 7, 1767225900000))
"""

from __future__ import annotations

import base64
import binascii
import heapq
from array import array
from bisect import bisect_right
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from ...core.ids import data_endpoint
from ...model.errors import InvalidArgumentException, ResourceNotFoundException
from ..declarations import Declarations
from ..media_reads import admit_data
from .selection import (
    NO_FRAGMENTS,
    check_codecs,
    check_range,
    kind_of,
    parse_range,
    retained,
    retained_start,
    select_rows,
    selector_key,
)

if TYPE_CHECKING:
    from ..fragments import FragmentStore
    from ..state import Region, Stream
    from ..world import World

__all__ = [
    "LIVE_WINDOW_MS",
    "Session",
    "SessionBook",
    "declare",
    "decode_token",
    "encode_token",
    "open_session",
]

declare = Declarations("kinesis-video-archived-media")

#: A LIVE session needs a fragment from the last 30 seconds.
LIVE_WINDOW_MS: Final = 30_000
#: The per-stream request rate of both operations (AWS's 25 TPS).
SESSION_URL_RATE: Final = 25

_PATHS: Final = {
    "HLS": "/hls/v1/getHLSMasterPlaylist.m3u8",
    "DASH": "/dash/v1/getDASHManifest.mpd",
}


class Session:
    """One HLS or DASH streaming session (see the module's text).

    ``listed`` holds the sequence numbers of the fragments the session has
    listed so far, in its order; a fragment's place there is its session
    sequence number (HLS ``#EXT-X-MEDIA-SEQUENCE``, DASH ``$Number$``).
    """

    __slots__ = (
        "buckets",
        "container",
        "created_ms",
        "cursor",
        "discontinuity",
        "display_number",
        "display_timestamp",
        "end_ms",
        "expires_ms",
        "high",
        "index",
        "inits",
        "kind",
        "listed",
        "max_results",
        "mode",
        "number",
        "protocol",
        "replay_at",
        "start_ms",
        "stream",
        "token",
    )

    def __init__(
        self,
        stream: Stream,
        protocol: str,
        mode: str,
        kind: str,
        start_ms: int,
        end_ms: int | None,
        *,
        container: str,
        discontinuity: str,
        display_timestamp: bool,
        display_number: bool,
        created_ms: int,
        expires_ms: int,
        max_results: int,
    ) -> None:
        self.stream = stream
        self.protocol = protocol  # "HLS" | "DASH"
        self.mode = mode  # "LIVE" | "LIVE_REPLAY" | "ON_DEMAND"
        self.kind = kind  # "S" (server timestamps) | "P" (producer timestamps)
        self.start_ms = start_ms
        self.end_ms = end_ms
        self.container = container
        self.discontinuity = discontinuity
        self.display_timestamp = display_timestamp
        self.display_number = display_number
        self.created_ms = created_ms
        self.expires_ms = expires_ms
        self.max_results = max_results
        self.token = ""
        self.number = 0
        self.listed = array("q")
        #: Sequence number -> place in ``listed``.
        self.index: dict[int, int] = {}
        #: LIVE: the last sequence number looked at (None before the first playlist).
        self.cursor: int | None = None
        #: LIVE, LIVE_REPLAY: ``(timestamp, seq)`` of the newest listed fragment.
        self.high: tuple[int, int] | None = None
        #: LIVE_REPLAY: when the newest listed fragment was added.
        self.replay_at = created_ms
        #: Request-rate buckets of the session's resources.
        self.buckets: dict[str, list[float]] = {}
        #: Packaged init segments by header (the same tracks package once).
        self.inits: dict[Any, bytes] = {}

    def add(self, seq: int) -> None:
        """List fragment ``seq`` next."""
        self.index[seq] = len(self.listed)
        self.listed.append(seq)

    def refresh(self, world: World) -> None:
        """Bring ``listed`` up to the current virtual time (LIVE and LIVE_REPLAY;
        ON_DEMAND lists are fixed). O(new fragments + log n)."""
        store = self.stream.fragments
        if store is None or self.mode == "ON_DEMAND":
            return
        if self.mode == "LIVE":
            self._refresh_live(world, store)
        else:
            self._refresh_replay(world, store)

    def _refresh_live(self, world: World, store: FragmentStore) -> None:
        # The newest fragments, in arrival order; one older (by the selector's
        # time) than the newest already listed is skipped: gaps are never filled.
        low = retained_start(world, self.stream)
        if self.cursor is None:
            first = max(low, len(store.seqs) - self.max_results)
        else:
            first = max(low, _after(store, self.cursor))
        for row in range(first, len(store.seqs)):
            key = selector_key(store, self.kind, row)
            if self.high is None or key[0] >= self.high[0]:
                self.add(store.seqs[row])
                self.high = key
            self.cursor = store.seqs[row]

    def _refresh_replay(self, world: World, store: FragmentStore) -> None:
        # One more fragment each time the next one's duration has elapsed.
        while True:
            rows = select_rows(
                world, self.stream, self.kind, self.start_ms, self.end_ms, limit=1, after=self.high
            )
            if not rows:
                return
            row = rows[0]
            due = self.replay_at + store.durations[row]
            if due > world.now_ms:
                return
            self.add(store.seqs[row])
            self.high = selector_key(store, self.kind, row)
            self.replay_at = due

    def ended(self, world: World) -> bool:
        """Whether the session lists nothing more: ON_DEMAND, or LIVE_REPLAY with an
        end whose every fragment is listed."""
        if self.mode == "ON_DEMAND":
            return True
        if self.mode == "LIVE" or self.end_ms is None:
            return False
        return not select_rows(
            world, self.stream, self.kind, self.start_ms, self.end_ms, limit=1, after=self.high
        )


def _after(store: FragmentStore, seq: int) -> int:
    return bisect_right(store.seqs, seq, store.head)


class SessionBook:
    """A region's sessions by number, and their expiries in a heap (to forget them).

    Numbers are drawn from the world's seeded source (48 bits, never 0, never
    one in use), so a book needs no counter of its own: a restored world
    draws the same numbers as the original.
    """

    __slots__ = ("expiries", "sessions")

    def __init__(self) -> None:
        self.sessions: dict[int, Session] = {}
        self.expiries: list[tuple[int, int]] = []

    def add(self, session: Session, now_ms: int, rng: Any) -> None:
        """Keep ``session``, numbered by a draw of ``rng``, forgetting sessions
        expired by ``now_ms``. O(log n) amortised."""
        expiries = self.expiries
        while expiries and expiries[0][0] <= now_ms:
            _due, number = heapq.heappop(expiries)
            self.sessions.pop(number, None)
        number = 0
        while not number or number in self.sessions:
            number = rng.getrandbits(48)
        session.number = number
        self.sessions[number] = session
        heapq.heappush(expiries, (session.expires_ms, number))

    def keep(self, session: Session) -> None:
        """Keep a restored ``session`` under its own number. O(log n)."""
        self.sessions[session.number] = session
        heapq.heappush(self.expiries, (session.expires_ms, session.number))


def encode_token(
    secret: bytes, account_id: str, region_name: str, number: int, expires_ms: int
) -> str:
    """A session token: URL-safe base64 of ``0x0a 0x20 <32 secret bytes> 0x12 <len> <place>``
    (so it begins ``Ci``), its ``=`` padding dropped and ``~`` appended."""
    place = f"{account_id}/{region_name}/{number}/{expires_ms}".encode("ascii")
    raw = b"\x0a\x20" + secret + b"\x12" + bytes([len(place)]) + place
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii") + "~"


def decode_token(token: str) -> tuple[bytes, str, str, int, int]:
    """``(secret, account, region, number, expires_ms)`` of a token
    :func:`encode_token` made; ``ValueError`` for anything else."""
    if not token.endswith("~") or len(token) > 400:
        raise ValueError(token)
    text = token[:-1]
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise ValueError(token) from None
    if len(raw) < 36 or raw[:2] != b"\x0a\x20" or raw[34] != 0x12 or raw[35] != len(raw) - 36:
        raise ValueError(token)
    try:
        account, region, number, expires = raw[36:].decode("ascii").split("/")
        return raw[2:34], account, region, int(number), int(expires)
    except (UnicodeDecodeError, ValueError):
        raise ValueError(token) from None


def find_session(world: World, token: str) -> tuple[Session | None, int | None]:
    """``(session, None)`` for a live session's token; ``(None, expires_ms)`` for a
    well-formed token of a session that is gone (expired, or never in this
    world); ``(None, None)`` for anything else. O(1)."""
    try:
        _secret, account, region_name, number, expires_ms = decode_token(token)
    except ValueError:
        return None, None
    region = world.regions.get((account, region_name))
    book: SessionBook | None = None if region is None else region.sessions
    session = None if book is None else book.sessions.get(number)
    if session is None or session.token != token:
        return None, expires_ms
    return session, None


def _b_host(world: World, region: Region, stream: Stream) -> str:
    # The stream's b- endpoint, drawn as GetDataEndpoint draws it.
    if stream.endpoints is None:
        stream.endpoints = {}
    url = stream.endpoints.get("b")
    if url is None:
        url = stream.endpoints["b"] = data_endpoint(region.name, "b", world.rng)
    return url


def open_session(world: World, region: Region, p: Mapping[str, Any], protocol: str) -> str:
    """Make an HLS (``protocol="HLS"``) or DASH session from validated request
    members ``p``; its URL (see the module's text)."""
    operation = f"Get{protocol}StreamingSessionURL"
    mode = p.get("PlaybackMode", "LIVE")
    selector = p.get(f"{protocol}FragmentSelector")
    selector_type = (selector or {}).get("FragmentSelectorType")
    span = (selector or {}).get("TimestampRange")
    if mode == "LIVE":
        if span is not None:
            raise InvalidArgumentException(
                f"{protocol}FragmentSelector must not have a TimestampRange when PlaybackMode is LIVE."
            )
        start_ms, end_ms = 0, None
    else:
        if selector_type is None or span is None:
            raise InvalidArgumentException(
                f"{protocol}FragmentSelector with its FragmentSelectorType and TimestampRange is "
                f"required when PlaybackMode is {mode}."
            )
        start_ms, end_ms = parse_range(span)
        if mode == "ON_DEMAND" and end_ms is None:
            raise InvalidArgumentException(
                "The TimestampRange needs an EndTimestamp when PlaybackMode is ON_DEMAND."
            )
    selector_type = selector_type or "SERVER_TIMESTAMP"
    if mode != "LIVE":
        check_range(selector_type, start_ms, end_ms, now_ms=world.now_ms)
    kind = kind_of(selector_type)
    default_discontinuity = "ALWAYS" if kind == "S" else "NEVER"
    limit_name = (
        "MaxMediaPlaylistFragmentResults" if protocol == "HLS" else "MaxManifestFragmentResults"
    )
    max_results = p.get(limit_name, 1000 if mode == "ON_DEMAND" else 5)
    gate, stream = admit_data(world, region, operation, p.get("StreamName"), p.get("StreamARN"))
    retained(stream)
    store = stream.fragments
    if mode == "LIVE":
        newest = len(store.seqs) - 1 if store is not None and len(store) else -1
        rows = (
            [newest]
            if store is not None
            and newest >= retained_start(world, stream)
            and store.server[newest] >= world.now_ms - LIVE_WINDOW_MS
            else []
        )
    else:
        rows = select_rows(
            world,
            stream,
            kind,
            start_ms,
            end_ms,
            limit=max_results if mode == "ON_DEMAND" else 1,
        )
    if store is None or not rows:
        raise ResourceNotFoundException(NO_FRAGMENTS)
    check_codecs(store, rows, operation=operation)
    gate.commit()
    now = world.now_ms
    session = Session(
        stream,
        protocol,
        mode,
        kind,
        start_ms,
        end_ms,
        container=p.get("ContainerFormat", "FRAGMENTED_MP4"),
        discontinuity=p.get("DiscontinuityMode", default_discontinuity),
        display_timestamp=p.get("DisplayFragmentTimestamp") == "ALWAYS",
        display_number=p.get("DisplayFragmentNumber") == "ALWAYS",
        created_ms=now,
        expires_ms=now + 1000 * p.get("Expires", 300),
        max_results=max_results,
    )
    if mode == "ON_DEMAND":
        for row in rows:
            session.add(store.seqs[row])
    elif mode == "LIVE_REPLAY":
        session.add(store.seqs[rows[0]])
        session.high = selector_key(store, kind, rows[0])
    host = _b_host(world, region, stream)
    book = region.sessions
    if book is None:
        book = region.sessions = SessionBook()
    book.add(session, now, world.rng)
    secret = world.rng.getrandbits(256).to_bytes(32, "big")
    session.token = encode_token(
        secret, region.account_id, region.name, session.number, session.expires_ms
    )
    return f"{host}{_PATHS[protocol]}?SessionToken={session.token}"


@declare("GetHLSStreamingSessionURL", rate=(None, SESSION_URL_RATE), resource="stream")
def _get_hls_streaming_session_url(
    world: World, region: Region, p: Mapping[str, Any]
) -> dict[str, Any]:
    """GetHLSStreamingSessionURL: ``{"HLSStreamingSessionURL": "https://b-.../hls/v1/..."}``."""
    return {"HLSStreamingSessionURL": open_session(world, region, p, "HLS")}


@declare("GetDASHStreamingSessionURL", rate=(None, SESSION_URL_RATE), resource="stream")
def _get_dash_streaming_session_url(
    world: World, region: Region, p: Mapping[str, Any]
) -> dict[str, Any]:
    """GetDASHStreamingSessionURL: ``{"DASHStreamingSessionURL": "https://b-.../dash/v1/..."}``."""
    return {"DASHStreamingSessionURL": open_session(world, region, p, "DASH")}
