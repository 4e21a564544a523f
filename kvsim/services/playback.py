"""What an HLS or DASH session serves: playlists, the manifest, init and media segments.

:func:`serve` answers one session resource at the current virtual time, from
its path and query (``SessionToken`` and, for segments, ``FragmentNumber`` or
``SequenceNumber``), as ``(content type, body)``, or raises
:class:`PlaybackError` with the HTTP status, code and message to answer.

Resources (relative to the session URL, as players resolve them)::

    /hls/v1/getHLSMasterPlaylist.m3u8    5 TPS per session
    /hls/v1/getHLSMediaPlaylist.m3u8     5 TPS; fragment-metadata points = max results
    /hls/v1/getMP4InitFragment.mp4       5 TPS
    /hls/v1/getMP4MediaFragment.mp4      20 TPS; 1 fragment-media point
    /hls/v1/getTSFragment.ts             20 TPS; 1 fragment-media point (ContainerFormat MPEG_TS)
    /dash/v1/getDASHManifest.mpd         5 TPS; fragment-metadata points = max results
    /dash/v1/getMP4InitFragment.mp4      5 TPS
    /dash/v1/getMP4MediaFragment.mp4     20 TPS; 1 fragment-media point

kvsim rules where AWS is silent:

- Errors are JSON ``{"Message": ...}`` with ``x-amzn-ErrorType``: a missing,
  malformed or unknown token (or one of the other protocol) answers 403
  ``NotAuthorizedException`` ``Streaming session token is invalid``; a
  session past its ``Expires`` 403 ``NotAuthorizedException`` ``Streaming
  session token is expired`` (AWS's message); a session whose stream was
  deleted 404 ``ResourceNotFoundException``; a fragment the session has not
  listed, or that retention removed, 404 ``ResourceNotFoundException``; a
  session's resource past its rate, or a stream past its fragment points, 400
  ``ClientLimitExceededException`` (the code the archived-media model has for
  rates); another resource under ``/hls/v1/`` or ``/dash/v1/`` 404.
  ``throttling=False`` lifts the rates and points.
- Media playlists: ``#EXT-X-VERSION:7`` (3 for MPEG-TS),
  ``#EXT-X-TARGETDURATION`` the longest listed fragment rounded up,
  ``#EXT-X-MEDIA-SEQUENCE`` the first listed fragment's place in the session,
  ``#EXT-X-PLAYLIST-TYPE:VOD`` and ``#EXT-X-ENDLIST`` for ON_DEMAND
  (``#EXT-X-ENDLIST`` too for a LIVE_REPLAY that listed its range's last
  fragment); each fragment is ``#EXT-X-DISCONTINUITY`` (ALWAYS: every
  fragment; ON_DISCONTINUITY: where it starts more than 50 ms away from the
  previous fragment's end), ``#EXT-X-MAP`` (fMP4: at the first fragment and
  wherever the tracks change), ``#EXT-X-PROGRAM-DATE-TIME`` (the selector's
  timestamp, with ``DisplayFragmentTimestamp`` ALWAYS), ``#EXTINF`` (its
  duration) and its URL, ``getMP4MediaFragment.mp4?FragmentNumber=<n>&SessionToken=<t>``.
  With ALWAYS, ``#EXT-X-DISCONTINUITY-SEQUENCE`` equals the media sequence.
- Media segments carry the producer timestamps of their frames (ms; fMP4
  ``tfdt`` and ``mfhd`` sequence number = the session place + 1); the init
  segment the tracks of the fragment named (``FragmentNumber``), else of the
  first fragment of the current list.
- DASH manifests: ``type="static"`` (ON_DEMAND, ``mediaPresentationDuration``)
  or ``"dynamic"`` (LIVE, LIVE_REPLAY; ``availabilityStartTime`` the epoch,
  ``publishTime`` now); one video ``Representation`` with a
  ``SegmentTemplate`` (``timescale="1000"``, ``startNumber`` the first
  fragment's place, ``media="getMP4MediaFragment.mp4?SequenceNumber=$Number$&SessionToken=<t>"``)
  and a ``SegmentTimeline`` of ``S t= d=`` per fragment (producer ms), with
  ``kvs:ts`` (the selector's timestamp, epoch seconds with milliseconds) and
  ``kvs:fn`` (the fragment number) when asked, in the namespace
  :data:`KVS_NAMESPACE`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final
from xml.sax.saxutils import quoteattr

from ..model.errors import ClientError
from .fragments import FragmentStore, take_points
from .gate import tokens
from .kinesis_video_archived_media.selection import retained_start
from .kinesis_video_archived_media.sessions import Session, find_session
from .kinesisvideo.resolve import NOT_FOUND
from .media_reads import retimed, seconds_text
from .state import ACTIVE, UPDATING

if TYPE_CHECKING:
    from .world import World

__all__ = [
    "CONTENT_TYPES",
    "KVS_NAMESPACE",
    "RESOURCES",
    "SESSION_RATES",
    "PlaybackError",
    "is_playback_path",
    "serve",
]

#: Each resource's name, by path.
RESOURCES: Final = {
    "/hls/v1/getHLSMasterPlaylist.m3u8": ("HLS", "GetHLSMasterPlaylist"),
    "/hls/v1/getHLSMediaPlaylist.m3u8": ("HLS", "GetHLSMediaPlaylist"),
    "/hls/v1/getMP4InitFragment.mp4": ("HLS", "GetMP4InitFragment"),
    "/hls/v1/getMP4MediaFragment.mp4": ("HLS", "GetMP4MediaFragment"),
    "/hls/v1/getTSFragment.ts": ("HLS", "GetTSFragment"),
    "/dash/v1/getDASHManifest.mpd": ("DASH", "GetDASHManifest"),
    "/dash/v1/getMP4InitFragment.mp4": ("DASH", "GetMP4InitFragment"),
    "/dash/v1/getMP4MediaFragment.mp4": ("DASH", "GetMP4MediaFragment"),
}
#: AWS's per-session request rates (TPS) of each resource.
SESSION_RATES: Final = {
    "GetHLSMasterPlaylist": 5,
    "GetHLSMediaPlaylist": 5,
    "GetDASHManifest": 5,
    "GetMP4InitFragment": 5,
    "GetMP4MediaFragment": 20,
    "GetTSFragment": 20,
}
#: The content type of each resource.
CONTENT_TYPES: Final = {
    "GetHLSMasterPlaylist": "application/x-mpegURL",
    "GetHLSMediaPlaylist": "application/x-mpegURL",
    "GetDASHManifest": "application/dash+xml",
    "GetMP4InitFragment": "video/mp4",
    "GetMP4MediaFragment": "video/mp4",
    "GetTSFragment": "video/MP2T",
}
#: The XML namespace of the ``kvs:ts`` and ``kvs:fn`` attributes (kvsim rule).
KVS_NAMESPACE: Final = "urn:aws:kinesisvideo:dash:2018"
#: ON_DISCONTINUITY marks a gap or overlap of more than this many ms.
_GAP_MS: Final = 50
_PREFIXES: Final = ("/hls/v1/", "/dash/v1/")


class PlaybackError(Exception):
    """A session resource's error answer: HTTP ``status``, ``code`` and ``message``."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def is_playback_path(path: str) -> bool:
    """Whether ``path`` (query allowed) is under ``/hls/v1/`` or ``/dash/v1/``.

    >>> is_playback_path("/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=x"), is_playback_path("/getClip")
    (True, False)
    """
    return path.startswith(_PREFIXES)


def _invalid() -> PlaybackError:
    return PlaybackError(403, "NotAuthorizedException", "Streaming session token is invalid")


def _fragment_missing(what: str) -> PlaybackError:
    return PlaybackError(
        404, "ResourceNotFoundException", f"The fragment {what} is not in the streaming session."
    )


def serve(world: World, path: str, query: Mapping[str, str]) -> tuple[str, bytes]:
    """Answer the session resource at ``path`` (no query) for ``query`` at the
    current virtual time: ``(content type, body)``, or :class:`PlaybackError`.
    A refused request changes nothing."""
    found = RESOURCES.get(path)
    if found is None:
        raise PlaybackError(
            404, "ResourceNotFoundException", f"No streaming session resource at {path[:200]}."
        )
    protocol, resource = found
    session, expires_ms = find_session(world, query.get("SessionToken", ""))
    if session is None or session.expires_ms <= world.now_ms:
        expiry = expires_ms if session is None else session.expires_ms
        if expiry is not None and expiry <= world.now_ms:
            raise PlaybackError(403, "NotAuthorizedException", "Streaming session token is expired")
        raise _invalid()
    if session.protocol != protocol:
        raise _invalid()
    stream = session.stream
    if stream.region.streams.get(stream.name) is not stream or stream.status not in (
        ACTIVE,
        UPDATING,
    ):
        raise PlaybackError(404, "ResourceNotFoundException", NOT_FOUND)
    throttled = world.limits.throttling
    rate = SESSION_RATES[resource]
    if throttled and tokens(session.buckets, resource, world.now_ms, rate) < 1:
        raise PlaybackError(
            400,
            "ClientLimitExceededException",
            f"Limit exceeded on number of requests for {resource} API for the streaming session",
        )
    store = stream.fragments
    assert store is not None  # a session starts with a fragment
    try:
        body = _resource(world, session, store, resource, query)
    except ClientError as error:  # fragment points
        raise PlaybackError(error.http_status, error.code, error.message) from None
    if throttled:
        left = tokens(session.buckets, resource, world.now_ms, rate)
        session.buckets[resource] = [left - 1, world.now_ms]
    return CONTENT_TYPES[resource], body


def _resource(
    world: World, session: Session, store: FragmentStore, resource: str, query: Mapping[str, str]
) -> bytes:
    if resource == "GetHLSMasterPlaylist":
        return _master(world, session, store).encode()
    if resource in ("GetHLSMediaPlaylist", "GetDASHManifest"):
        take_points(
            world,
            store,
            "metadata",
            session.max_results,
            world.limits.fragment_metadata_points,
            resource,
        )
        session.refresh(world)
        rows = _window(world, session, store)
        if resource == "GetDASHManifest":
            return _manifest(world, session, store, rows).encode()
        return _media_playlist(world, session, store, rows).encode()
    if resource == "GetMP4InitFragment":
        row = _row(world, session, store, query, init=True)
        header = store.media[row][0]
        init = session.inits.get(header)
        if init is None:
            from ..media.codecs import PackagingError
            from ..media.mp4 import init_segment

            try:
                init = session.inits[header] = init_segment(header)
            except PackagingError as error:
                raise PlaybackError(400, error.code, error.message) from None
        return init
    row = _row(world, session, store, query, init=False)
    body = _segment(session, store, row, resource)  # before the point: a refusal takes none
    take_points(world, store, "media", 1, world.limits.fragment_media_points, resource)
    return body


def _row(
    world: World, session: Session, store: FragmentStore, query: Mapping[str, str], *, init: bool
) -> int:
    """The live row of the fragment a segment request names (the first of the
    current list for an init segment without a number)."""
    number = query.get("FragmentNumber")
    sequence = query.get("SequenceNumber")
    if number is not None:
        seq = store.seq_of(number)
        place = None if seq is None else session.index.get(seq)
        what = number[:60]
    elif sequence is not None and sequence.isdigit() and len(sequence) < 12:
        place = int(sequence)
        what = f"at sequence number {place}"
        if place >= len(session.listed):
            place = None
    elif init:
        rows = _window(world, session, store)
        if not rows:
            raise _fragment_missing("of the current list")
        return rows[0]
    else:
        raise PlaybackError(
            400, "InvalidArgumentException", "FragmentNumber or SequenceNumber is required."
        )
    if place is None:
        raise _fragment_missing(what)
    row = store.position(session.listed[place])
    if row is None or row < retained_start(world, session.stream) or store.media[row] is None:
        raise _fragment_missing(what)
    return row


def _segment(session: Session, store: FragmentStore, row: int, resource: str) -> bytes:
    header, cluster = retimed(store, row)
    sequence_number = session.index[store.seqs[row]] + 1
    from ..media.codecs import PackagingError
    from ..media.mp4 import media_segment

    try:
        if resource == "GetTSFragment":
            from ..media.mpegts import ts_segment

            return ts_segment(header, [cluster], sequence_number=sequence_number)
        return media_segment(header, [cluster], sequence_number=sequence_number)
    except PackagingError as error:  # a fragment whose tracks changed mid-session
        raise PlaybackError(400, error.code, error.message) from None


def _window(world: World, session: Session, store: FragmentStore) -> list[int]:
    """The live rows the session lists now: ON_DEMAND all, else the newest max results."""
    listed = session.listed
    first = 0 if session.mode == "ON_DEMAND" else max(0, len(listed) - session.max_results)
    low = retained_start(world, session.stream)
    rows = []
    for seq in listed[first:]:
        row = store.position(seq)
        if row is not None and row >= low and store.media[row] is not None:
            rows.append(row)
    return rows


# -- documents -------------------------------------------------------------------------------


def _codecs(header: Any) -> str:
    """RFC 6381 codecs of the header's tracks: ``avc1.PPCCLL`` (from the ``avcC``
    record), ``mp4a.40.<object type>`` (from the AudioSpecificConfig)."""
    found = []
    for track in header.tracks:
        private = track.codec_private or b""
        if track.codec_id == "A_AAC":
            kind = private[0] >> 3 if private else 2
            found.append(f"mp4a.40.{kind}")
        elif len(private) >= 4:
            found.append(f"avc1.{private[1]:02x}{private[2]:02x}{private[3]:02x}")
    return ",".join(found)


def _bandwidth(store: FragmentStore, rows: list[int]) -> int:
    size = sum(store.sizes[row] for row in rows)
    duration = sum(store.durations[row] for row in rows)
    return max(1, size * 8000 // max(1, duration))


def _master(world: World, session: Session, store: FragmentStore) -> str:
    session.refresh(world)
    rows = _window(world, session, store)
    header = store.media[rows[0]][0] if rows else None
    track = header.tracks[0] if header is not None else None
    attributes = [f"BANDWIDTH={_bandwidth(store, rows)}"]
    if header is not None:
        attributes.append(f'CODECS="{_codecs(header)}"')
    if track is not None and track.pixel_width and track.pixel_height:
        attributes.append(f"RESOLUTION={track.pixel_width}x{track.pixel_height}")
    version = 3 if session.container == "MPEG_TS" else 7
    return (
        f"#EXTM3U\n#EXT-X-VERSION:{version}\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        f"#EXT-X-STREAM-INF:{','.join(attributes)}\n"
        f"getHLSMediaPlaylist.m3u8?SessionToken={session.token}\n"
    )


def _stamp(store: FragmentStore, kind: str, row: int) -> int:
    return store.server[row] if kind == "S" else store.producer[row]


def _iso(ms: int) -> str:
    moment = datetime.fromtimestamp(ms // 1000, UTC)
    return f"{moment:%Y-%m-%dT%H:%M:%S}.{ms % 1000:03d}Z"


def _media_playlist(world: World, session: Session, store: FragmentStore, rows: list[int]) -> str:
    token = session.token
    mp4 = session.container != "MPEG_TS"
    longest = max((store.durations[row] for row in rows), default=1000)
    sequence = session.index[store.seqs[rows[0]]] if rows else len(session.listed)
    lines = [
        "#EXTM3U",
        f"#EXT-X-VERSION:{7 if mp4 else 3}",
        f"#EXT-X-TARGETDURATION:{max(1, math.ceil(longest / 1000))}",
        f"#EXT-X-MEDIA-SEQUENCE:{sequence}",
    ]
    if session.discontinuity == "ALWAYS":
        lines.append(f"#EXT-X-DISCONTINUITY-SEQUENCE:{sequence}")
    if session.mode == "ON_DEMAND":
        lines.append("#EXT-X-PLAYLIST-TYPE:VOD")
    lines.append("#EXT-X-INDEPENDENT-SEGMENTS")
    previous_header = None
    previous_end: int | None = None
    for row in rows:
        header = store.media[row][0]
        start = _stamp(store, session.kind, row)
        number = store.number(store.seqs[row])
        if session.discontinuity == "ALWAYS" or (
            session.discontinuity == "ON_DISCONTINUITY"
            and previous_end is not None
            and abs(start - previous_end) > _GAP_MS
        ):
            lines.append("#EXT-X-DISCONTINUITY")
        if mp4 and (previous_header is None or header.tracks != previous_header.tracks):
            lines.append(
                f'#EXT-X-MAP:URI="getMP4InitFragment.mp4?FragmentNumber={number}'
                f'&SessionToken={token}"'
            )
        previous_header = header
        previous_end = start + store.durations[row]
        if session.display_timestamp:
            lines.append(f"#EXT-X-PROGRAM-DATE-TIME:{_iso(start)}")
        lines.append(f"#EXTINF:{store.durations[row] / 1000:.3f},")
        name = "getMP4MediaFragment.mp4" if mp4 else "getTSFragment.ts"
        lines.append(f"{name}?FragmentNumber={number}&SessionToken={token}")
    if session.ended(world):
        lines.append("#EXT-X-ENDLIST")
    return "\n".join(lines) + "\n"


def _duration(ms: int) -> str:
    return f"PT{ms // 1000}.{ms % 1000:03d}S"


def _manifest(world: World, session: Session, store: FragmentStore, rows: list[int]) -> str:
    token = session.token
    header = store.media[rows[0]][0] if rows else None
    track = header.tracks[0] if header is not None else None
    start_number = session.index[store.seqs[rows[0]]] if rows else len(session.listed)
    static = session.mode == "ON_DEMAND"
    total = sum(store.durations[row] for row in rows)
    longest = max((store.durations[row] for row in rows), default=1000)
    if static:
        kind = f'type="static" mediaPresentationDuration="{_duration(total)}"'
    else:
        kind = (
            'type="dynamic" availabilityStartTime="1970-01-01T00:00:00Z" '
            f'publishTime="{_iso(world.now_ms)}" minimumUpdatePeriod="{_duration(longest)}" '
            f'timeShiftBufferDepth="{_duration(max(total, longest))}"'
        )
    offset = store.producer[rows[0]] if rows and static else 0
    representation = ['id="1"', f'bandwidth="{_bandwidth(store, rows)}"']
    if header is not None:
        representation.append(f'codecs="{_codecs(header)}"')
    if track is not None and track.pixel_width and track.pixel_height:
        representation += [f'width="{track.pixel_width}"', f'height="{track.pixel_height}"']
    init = "getMP4InitFragment.mp4?" + (
        f"FragmentNumber={store.number(store.seqs[rows[0]])}&" if rows else ""
    )
    template = " ".join(
        (
            'timescale="1000"',
            f'presentationTimeOffset="{offset}"',
            f'startNumber="{start_number}"',
            f"initialization={quoteattr(init + 'SessionToken=' + token)}",
            "media="
            + quoteattr(f"getMP4MediaFragment.mp4?SequenceNumber=$Number$&SessionToken={token}"),
        )
    )
    lines = [
        '<?xml version="1.0" encoding="UTF-8"?>',
        f'<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" xmlns:kvs="{KVS_NAMESPACE}" '
        f'profiles="urn:mpeg:dash:profile:isoff-live:2011" {kind} '
        f'minBufferTime="{_duration(longest)}">',
        '  <Period id="0" start="PT0S">',
        '    <AdaptationSet id="0" contentType="video" mimeType="video/mp4" '
        'segmentAlignment="true" startWithSAP="1">',
        f"      <Representation {' '.join(representation)}>",
        f"        <SegmentTemplate {template}>",
        "          <SegmentTimeline>",
    ]
    for row in rows:
        extra = ""
        if session.display_timestamp:
            extra += f' kvs:ts="{seconds_text(_stamp(store, session.kind, row))}"'
        if session.display_number:
            extra += f' kvs:fn="{store.number(store.seqs[row])}"'
        lines.append(
            f'            <S t="{store.producer[row]}" d="{store.durations[row]}"{extra}/>'
        )
    lines += [
        "          </SegmentTimeline>",
        "        </SegmentTemplate>",
        "      </Representation>",
        "    </AdaptationSet>",
        "  </Period>",
        "</MPD>",
    ]
    return "\n".join(lines) + "\n"
