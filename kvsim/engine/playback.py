"""HLS and DASH session requests on a simulator: the pipeline around :mod:`kvsim.services.playback`.

One request (:func:`serve_target`), under the world's lock: catch up on
changes due now → the resource (:func:`kvsim.services.playback.serve`) → a
request id → ``call_latency`` of virtual time, as an API call takes (kvsim
rule: a player polling a LIVE playlist moves the clock as a polling loop
does; a refused request takes it too). Session requests are not botocore
operations: they are neither traced nor subject to ``sim.faults``.

:func:`fetch` takes a URL: the session URL an operation returned (its AWS
``b-`` host; the host is not checked, the token names the session), a URL a
player resolved against it (:func:`urllib.parse.urljoin` semantics), or the
same under a server's ``/_endpoint/<host>/`` prefix.

>>> import kvsim
>>> fetch(kvsim.Simulator().runtime, "https://b-00000000.kinesisvideo.us-east-1.amazonaws.com/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=x").status
403
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import parse_qsl, urlsplit

from ..services.playback import PlaybackError, is_playback_path, serve

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = ["PlaybackResponse", "fetch", "serve_target"]

_ENDPOINT_PREFIX = "/_endpoint/"


@dataclass(frozen=True, slots=True)
class PlaybackResponse:
    """One answer: HTTP ``status``, ``headers`` (with ``Content-Type``,
    ``Content-Length`` and ``x-amzn-RequestId``; errors add ``x-amzn-ErrorType``)
    and ``body``."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        """The body decoded as UTF-8 (undecodable bytes replaced)."""
        return self.body.decode("utf-8", errors="replace")


def _answer(status: int, content_type: str, body: bytes, rid: str) -> PlaybackResponse:
    return PlaybackResponse(
        status,
        {"Content-Type": content_type, "Content-Length": str(len(body)), "x-amzn-RequestId": rid},
        body,
    )


def _error(status: int, code: str, message: str, rid: str) -> PlaybackResponse:
    body = json.dumps({"Message": message}, separators=(",", ":")).encode()
    answer = _answer(status, "application/json", body, rid)
    answer.headers["x-amzn-ErrorType"] = code
    return answer


def serve_target(runtime: Runtime, target: str) -> PlaybackResponse:
    """Answer one session request: ``target`` is its path and query
    (``/hls/v1/getHLSMediaPlaylist.m3u8?SessionToken=...``). O(1) for a
    segment, O(listed fragments) for a playlist or manifest."""
    path, _, query_text = target.partition("?")
    query = dict(parse_qsl(query_text, keep_blank_values=True))
    with runtime.lock:
        world = runtime.world
        try:
            world.catch_up()
        except ValueError as error:
            return _error(400, "BadRequestException", str(error), runtime.next_request_id())
        try:
            content_type, body = serve(world, path, query)
        except PlaybackError as error:
            answer = _error(error.status, error.code, error.message, runtime.next_request_id())
        else:
            answer = _answer(200, content_type, body, runtime.next_request_id())
        world.advance_ms(runtime.latency_ms)
        return answer


def fetch(runtime: Runtime, url: str) -> PlaybackResponse:
    """Answer a GET of ``url`` (see the module's text); a URL that names no
    session resource answers 404 ``ResourceNotFoundException`` (no virtual time)."""
    parts = urlsplit(url)
    path = parts.path
    if path.startswith(_ENDPOINT_PREFIX):
        _host, slash, rest = path[len(_ENDPOINT_PREFIX) :].partition("/")
        path = slash + rest
    if not is_playback_path(path):
        return _error(
            404,
            "ResourceNotFoundException",
            f"No streaming session resource at {url[:200]}.",
            runtime.next_request_id(),
        )
    return serve_target(runtime, path + ("?" + parts.query if parts.query else ""))
