"""Which host serves which data-plane call: the stream's own data endpoint, as in AWS.

GetDataEndpoint gives each stream an ``s-`` host (PutMedia, GetMedia) and a
``b-`` host (the archived-media operations), drawn once per stream
(:func:`kvsim.services.kinesisvideo.streams.get_data_endpoint`). A request
that reaches kvsim with a URL (:mod:`kvsim.boto`, ``kvsim serve``) is checked
against them; the facade (``sim.client``) has no host and is never checked.

kvsim rules (AWS documents only the first):

- a ``kinesis-video-media`` or ``kinesis-video-archived-media`` call on a
  host that is no data host (the control-plane host, ``localhost``, a
  signaling ``r-`` host...) answers HTTP 403 with AWS's XML body
  (:data:`UNAUTHORIZABLE`), which botocore reports as code ``"403"``;
- an archived-media call on an ``s-`` host answers the same 403 (that host
  does not serve the archive);
- GetMedia (and PutMedia) on a ``b-`` host, or on the ``s-`` host of another
  stream, answers ``InvalidEndpointException`` (400), the models' error for
  this case;
- an archived-media call on the ``b-`` host of another stream answers
  ``InvalidArgumentException`` (400): its model has no endpoint error;
- a call naming a stream that does not resolve, or that is not ``ACTIVE``
  or ``UPDATING``, is left to the operation (``ResourceNotFoundException``): only a stream that exists has a host to
  compare with (one that never had its endpoint drawn has none: any host
  is then wrong).

>>> host_of("https://s-1a2b3c4d.kinesisvideo.us-east-1.amazonaws.com/getMedia")
's-1a2b3c4d.kinesisvideo.us-east-1.amazonaws.com'
>>> host_kind("s-1a2b3c4d.kinesisvideo.us-east-1.amazonaws.com"), host_kind("kinesisvideo.us-east-1.amazonaws.com")
('s', None)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from ..model.errors import ClientError, InvalidArgumentException, service_errors
from .kinesisvideo.resolve import resolve_stream
from .state import ACTIVE, UPDATING, Region

__all__ = [
    "DATA_HOSTS",
    "UNAUTHORIZABLE",
    "endpoint_problem",
    "host_kind",
    "host_of",
    "invalid_endpoint",
    "kind_problem",
]

#: The data host kind each data-plane service is served on.
DATA_HOSTS: Mapping[str, str] = {"kinesis-video-media": "s", "kinesis-video-archived-media": "b"}

#: AWS's answer (HTTP 403, XML) to a media call on a host that cannot serve it.
UNAUTHORIZABLE = (
    b"<AccessDeniedException><Message>Unable to determine service/operation name to be "
    b"authorized</Message></AccessDeniedException>"
)

# s-1a2b3c4d.kinesisvideo.us-east-1.amazonaws.com (.cn in China), any case, any port.
_DATA_HOST = re.compile(
    r"([a-z])-[0-9a-f]{8}\.kinesisvideo\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?::[0-9]+)?",
    re.IGNORECASE | re.ASCII,
)
#: The API name GetDataEndpoint takes for each data-plane operation.
_API_NAMES = {
    "GetMedia": "GET_MEDIA",
    "PutMedia": "PUT_MEDIA",
    "ListFragments": "LIST_FRAGMENTS",
    "GetMediaForFragmentList": "GET_MEDIA_FOR_FRAGMENT_LIST",
    "GetClip": "GET_CLIP",
    "GetHLSStreamingSessionURL": "GET_HLS_STREAMING_SESSION_URL",
    "GetDASHStreamingSessionURL": "GET_DASH_STREAMING_SESSION_URL",
    "GetImages": "GET_IMAGES",
}


def host_of(url: str) -> str:
    """The host (with any port) of an absolute URL; ``""`` if it has none."""
    start = url.find("//")
    if start < 0:
        return ""
    start += 2
    end = len(url)
    for mark in "/?#":
        found = url.find(mark, start)
        if 0 <= found < end:
            end = found
    return url[start:end]


def host_kind(host: str | None) -> str | None:
    """``"s"``, ``"b"`` (or another letter) for a data host, None for any other host."""
    found = _DATA_HOST.fullmatch(host or "")
    return found.group(1).lower() if found else None


def _bare(host: str) -> str:
    return host.rpartition(":")[0].lower() if ":" in host else host.lower()


def invalid_endpoint(operation: str, host: str, stream: str | None = None) -> ClientError:
    """``InvalidEndpointException`` for ``operation`` sent to ``host``."""
    error = service_errors("kinesis-video-media")["InvalidEndpointException"]
    whose = f" of the stream {stream}" if stream else ""
    return error(
        f"{_bare(host)} is not the {operation} endpoint{whose}: call GetDataEndpoint with "
        f"APIName {_API_NAMES.get(operation, operation)} and send the request there."
    )


def kind_problem(service: str, operation: str, host: str) -> ClientError | bytes | None:
    """What a ``service`` call sent to ``host`` answers whatever its stream: None
    (go on), :data:`UNAUTHORIZABLE` (HTTP 403) or an ``InvalidEndpointException``."""
    wanted = DATA_HOSTS.get(service)
    if wanted is None:
        return None
    kind = host_kind(host)
    if kind == wanted:
        return None
    if kind is None or wanted == "b":
        return UNAUTHORIZABLE
    return invalid_endpoint(operation, host)


def endpoint_problem(
    region: Region, service: str, operation: str, params: Mapping[str, Any], host: str
) -> ClientError | None:
    """The error of a call on a data host of the right kind that is not its
    stream's own (see the module's text), or None. O(1)."""
    wanted = DATA_HOSTS.get(service)
    if wanted is None or host_kind(host) != wanted:
        return None
    name, arn = params.get("StreamName"), params.get("StreamARN")
    if not isinstance(name, str | None) or not isinstance(arn, str | None):
        return None
    try:
        stream = resolve_stream(region, name, arn)
    except ClientError:
        return None  # the operation answers it
    if stream.status not in (ACTIVE, UPDATING):
        return None  # no data host serves it: the operation answers that too
    endpoint = (stream.endpoints or {}).get(wanted)
    if endpoint is not None and host_of(endpoint).lower() == _bare(host):
        return None
    if wanted == "s":
        return invalid_endpoint(operation, host, stream.name)
    return InvalidArgumentException(
        f"{_bare(host)} is not the {operation} endpoint of the stream {stream.name}: call "
        f"GetDataEndpoint with APIName {_API_NAMES.get(operation, operation)} and send the "
        "request there."
    )
