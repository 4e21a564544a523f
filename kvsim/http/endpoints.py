"""Endpoints that point back at a serving kvsim: how ``kvsim serve`` rewrites the
data-plane and signaling endpoints it returns.

In process, GetSignalingChannelEndpoint answers AWS's endpoints
(``wss://m-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com``). Under ``kvsim
serve`` (and ``sim.serve()``) the same answer would send the client to AWS,
so the server rewrites each endpoint it returns to itself, keeping the AWS
host as a path prefix: ``https://r-…`` becomes
``http://127.0.0.1:4567/_endpoint/r-…`` and ``wss://m-…`` becomes
``ws://127.0.0.1:4567/_endpoint/m-…/MASTER`` (the role the request asked
for: a WebSocket client connecting there is that role; see
:mod:`kvsim.http.signaling`). A request under ``/_endpoint/<host>`` is
served as the same request without the prefix, so an SDK client built on
a returned endpoint (botocore appends the operation path to it) reaches
the same world.

>>> served("https://r-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com", "http://127.0.0.1:4567")
'http://127.0.0.1:4567/_endpoint/r-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com'
>>> split("/_endpoint/r-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com/v1/get-ice-server-config")
('r-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com', '/v1/get-ice-server-config')
>>> split("/describeStream")
(None, '/describeStream')
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = ["PREFIX", "REWRITES", "rewrite", "served", "split"]

#: The path prefix of a rewritten endpoint.
PREFIX = "/_endpoint/"


def served(url: str, base_url: str, suffix: str = "") -> str:
    """The endpoint ``url`` as served from ``base_url`` (``ws://`` for ``wss://``,
    ``http://`` for ``https://``; ``wss://`` where the base is ``https://``)."""
    scheme, _, host = url.partition("://")
    base_scheme, _, base = base_url.partition("://")
    secure = base_scheme == "https"
    if scheme in ("wss", "ws"):
        local = "wss" if secure else "ws"
    else:
        local = "https" if secure else "http"
    return f"{local}://{base}{PREFIX}{host}{suffix}"


def split(path: str) -> tuple[str | None, str]:
    """``(AWS host, the rest of the path)`` of a path under :data:`PREFIX`, else
    ``(None, path)``."""
    if not path.startswith(PREFIX):
        return None, path
    host, slash, rest = path[len(PREFIX) :].partition("/")
    if not slash:
        host, mark, query = host.partition("?")
        return host, "/" + mark + query
    return host, "/" + rest


def _signaling(params: Mapping[str, Any], result: dict[str, Any], base_url: str) -> dict[str, Any]:
    configuration = params.get("SingleMasterChannelEndpointConfiguration") or {}
    role = configuration.get("Role") or "MASTER"
    entries = []
    for entry in result.get("ResourceEndpointList", ()):
        suffix = f"/{role}" if entry.get("Protocol") == "WSS" else ""
        entries.append(
            {**entry, "ResourceEndpoint": served(entry["ResourceEndpoint"], base_url, suffix)}
        )
    return {**result, "ResourceEndpointList": entries}


def _data(params: Mapping[str, Any], result: dict[str, Any], base_url: str) -> dict[str, Any]:
    return {**result, "DataEndpoint": served(result["DataEndpoint"], base_url)}


def _hls(params: Mapping[str, Any], result: dict[str, Any], base_url: str) -> dict[str, Any]:
    # https://b-…/hls/v1/getHLSMasterPlaylist.m3u8?SessionToken=… → http://127.0.0.1:PORT/_endpoint/b-…/hls/v1/…
    url = result["HLSStreamingSessionURL"]
    return {**result, "HLSStreamingSessionURL": served(url, base_url)}


def _dash(params: Mapping[str, Any], result: dict[str, Any], base_url: str) -> dict[str, Any]:
    url = result["DASHStreamingSessionURL"]
    return {**result, "DASHStreamingSessionURL": served(url, base_url)}


#: The operations whose answers name endpoints, and how each is rewritten.
REWRITES: dict[str, Callable[[Mapping[str, Any], dict[str, Any], str], dict[str, Any]]] = {
    "GetSignalingChannelEndpoint": _signaling,
    "GetDataEndpoint": _data,
    "GetHLSStreamingSessionURL": _hls,
    "GetDASHStreamingSessionURL": _dash,
}


def rewrite(
    operation: str, params: Mapping[str, Any], result: dict[str, Any], base_url: str
) -> dict[str, Any]:
    """``operation``'s ``result`` with the endpoints it names pointing at ``base_url``
    (a new dict; ``result`` itself, which the trace holds, is left as it is)."""
    found = REWRITES.get(operation)
    return result if found is None else found(params, result, base_url)
