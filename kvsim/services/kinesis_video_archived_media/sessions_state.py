"""HLS and DASH sessions in snapshots: the ``sessions`` family of a region.

A snapshot keeps every session of the region whose stream is still the
incarnation it was made on (kvsim rule: a session of a deleted stream, which
answers 404, is left out, so its URL answers 403 in the restored world), with
what it has listed so far, its rate buckets and its token, so a restored or
forked world serves the same playlists and segments to the same URLs. The
packaged init segments it cached are not kept (they are made again).
"""

from __future__ import annotations

from itertools import pairwise
from typing import TYPE_CHECKING, Any, Final

from ...core.resources import (
    Corrupt,
    Item,
    Place,
    need_bucket,
    need_fields,
    need_int,
    need_list,
    need_map,
    need_one_of,
    need_str,
)
from .sessions import Session, SessionBook, decode_token

if TYPE_CHECKING:
    from ..state import Region

__all__ = ["SESSIONS", "SessionFamily"]

_FIELDS: Final = (
    "number",
    "token",
    "stream",
    "protocol",
    "mode",
    "kind",
    "start_ms",
    "end_ms",
    "container",
    "discontinuity",
    "display_timestamp",
    "display_number",
    "created_ms",
    "expires_ms",
    "max_results",
    "listed",
    "cursor",
    "high",
    "replay_at",
    "buckets",
)
_RESOURCES: Final = (
    "GetHLSMasterPlaylist",
    "GetHLSMediaPlaylist",
    "GetDASHManifest",
    "GetMP4InitFragment",
    "GetMP4MediaFragment",
    "GetTSFragment",
)
_LIVE: Final = ("ACTIVE", "UPDATING", "CREATING", "DELETING")
_MAX_MS: Final = 253_402_300_799_999


def _dump(session: Session) -> dict[str, Any]:
    return {
        "number": session.number,
        "token": session.token,
        "stream": session.stream.name,
        "protocol": session.protocol,
        "mode": session.mode,
        "kind": session.kind,
        "start_ms": session.start_ms,
        "end_ms": session.end_ms,
        "container": session.container,
        "discontinuity": session.discontinuity,
        "display_timestamp": session.display_timestamp,
        "display_number": session.display_number,
        "created_ms": session.created_ms,
        "expires_ms": session.expires_ms,
        "max_results": session.max_results,
        "listed": list(session.listed),
        "cursor": session.cursor,
        "high": None if session.high is None else list(session.high),
        "replay_at": session.replay_at,
        "buckets": {k: list(v) for k, v in sorted(session.buckets.items())},
    }


def _bool(value: object, where: Any) -> bool:
    if type(value) is not bool:
        raise Corrupt(where, f"expected true or false, got {value!r:.40}")
    return value


def _time(value: object, where: Any) -> int:
    return need_int(value, where, low=0, high=_MAX_MS)


class SessionFamily:
    """The streaming sessions of a region (:class:`kvsim.core.resources.Family`)."""

    name = "sessions"

    def dump(self, region: Region) -> list[dict[str, Any]]:
        """Every session whose stream is still its own, by number."""
        book: SessionBook | None = region.sessions
        if book is None:
            return []
        return [
            _dump(session)
            for _number, session in sorted(book.sessions.items())
            if region.streams.get(session.stream.name) is session.stream
        ]

    def check(self, items: object, place: Place) -> dict[str, Item]:
        """Refuse what :meth:`dump` could not have written; the sessions by number."""
        checked: dict[str, Item] = {}
        for index, value in enumerate(need_list(items, place.where)):
            where = f"{place.where}[{index}]"
            data = need_fields(value, where, _FIELDS)
            number = need_int(data["number"], (where, "number"), low=1, high=2**48 - 1)
            token = need_str(data["token"], (where, "token"))
            try:
                _secret, account, region_name, token_number, expires = decode_token(token)
            except ValueError:
                raise Corrupt((where, "token"), "not a session token kvsim made") from None
            expires_ms = _time(data["expires_ms"], (where, "expires_ms"))
            if (account, region_name, token_number, expires) != (
                place.account_id,
                place.region_name,
                number,
                expires_ms,
            ):
                raise Corrupt((where, "token"), "names another session than this one")
            if str(number) in checked:
                raise Corrupt((where, "number"), f"{number} appears twice")
            stream = need_str(data["stream"], (where, "stream"))
            need_one_of(data["protocol"], (where, "protocol"), ("HLS", "DASH"))
            mode = need_one_of(data["mode"], (where, "mode"), ("LIVE", "LIVE_REPLAY", "ON_DEMAND"))
            need_one_of(data["kind"], (where, "kind"), ("S", "P"))
            _time(data["start_ms"], (where, "start_ms"))
            if data["end_ms"] is not None:
                _time(data["end_ms"], (where, "end_ms"))
            need_one_of(data["container"], (where, "container"), ("FRAGMENTED_MP4", "MPEG_TS"))
            need_one_of(
                data["discontinuity"],
                (where, "discontinuity"),
                ("ALWAYS", "NEVER", "ON_DISCONTINUITY"),
            )
            _bool(data["display_timestamp"], (where, "display_timestamp"))
            _bool(data["display_number"], (where, "display_number"))
            created = _time(data["created_ms"], (where, "created_ms"))
            if created > place.now_ms or expires_ms <= created:
                raise Corrupt((where, "created_ms"), "made after now_ms or not before it expires")
            need_int(data["max_results"], (where, "max_results"), low=1, high=5000)
            listed = need_list(data["listed"], (where, "listed"))
            for position, seq in enumerate(listed):
                need_int(seq, (f"{where}.listed", position))
            if len(set(listed)) != len(listed) or (
                mode != "LIVE" and any(b <= a for a, b in pairwise(listed))
            ):
                raise Corrupt((where, "listed"), "fragments listed twice or out of order")
            if data["cursor"] is not None:
                need_int(data["cursor"], (where, "cursor"))
            if data["high"] is not None:
                high = need_list(data["high"], (where, "high"), 2)
                _time(high[0], (f"{where}.high", 0))
                need_int(high[1], (f"{where}.high", 1))
            _time(data["replay_at"], (where, "replay_at"))
            for resource, bucket in need_map(data["buckets"], (where, "buckets")).items():
                if resource not in _RESOURCES:
                    raise Corrupt((f"{where}.buckets", resource), "not a session resource")
                need_bucket(bucket, (f"{where}.buckets", resource), place.now_ms)
            checked[str(number)] = Item(where, None, {}, ("streams", stream, _LIVE))
        return checked

    def load(self, region: Region, items: list[Any]) -> None:
        """Recreate the sessions :meth:`dump` wrote."""
        if not items:
            return
        book = region.sessions = SessionBook()
        for data in items:
            session = Session(
                region.streams[data["stream"]],
                data["protocol"],
                data["mode"],
                data["kind"],
                data["start_ms"],
                data["end_ms"],
                container=data["container"],
                discontinuity=data["discontinuity"],
                display_timestamp=data["display_timestamp"],
                display_number=data["display_number"],
                created_ms=data["created_ms"],
                expires_ms=data["expires_ms"],
                max_results=data["max_results"],
            )
            session.number = data["number"]
            session.token = data["token"]
            for seq in data["listed"]:
                session.add(seq)
            session.cursor = data["cursor"]
            session.high = None if data["high"] is None else (data["high"][0], data["high"][1])
            session.replay_at = data["replay_at"]
            session.buckets = {k: [float(v[0]), int(v[1])] for k, v in data["buckets"].items()}
            book.keep(session)

    def key(self, resource: Session) -> str:
        """A session's key: its number."""
        return str(resource.number)

    def find(self, region: Region, key: str) -> Session:
        """The session numbered ``key``."""
        book: SessionBook | None = region.sessions
        if book is None:
            raise KeyError(key)
        return book.sessions[int(key)]


#: The session family.
SESSIONS = SessionFamily()
