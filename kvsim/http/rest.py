"""The rest-json wire protocol of the five Kinesis Video services: an HTTP request in, an HTTP response out.

:func:`handle` turns one request (method, path, headers, body) into a call on a
:class:`~kvsim.Simulator` and the outcome into the response AWS would send:

- success: ``200``, ``Content-Type: application/json``, ``x-amzn-RequestId``,
  the output members as a JSON object (timestamps as epoch seconds with a
  millisecond fraction, a JSON number);
- a service error: the status the model gives the code, ``x-amzn-ErrorType:
  <Code>``, ``x-amzn-RequestId`` and ``{"Message": "..."}``.

Both :mod:`kvsim.boto` (in process, from botocore's ``before-send`` event) and
:mod:`kvsim.http.server` (``kvsim serve``) answer through this one function.

Routing follows the models' ``requestUri``: every operation of the five
services is a ``POST`` to a path of its own (:data:`ROUTES`, from the
generated tables), so one port serves them all. An operation whose output is
a streamed binary payload (GetMedia, GetClip, GetMediaForFragmentList)
answers its payload as the body, with its other output members as headers
(:class:`HttpResponse` ``body`` is then an iterator of chunks, which
``kvsim serve`` sends with chunked transfer encoding). Who is calling comes from the SigV4
``Authorization`` header: the access-key id picks the principal, its account
and allowed actions (:meth:`~kvsim.Simulator.register_credentials`; else
``123456789012`` with every action) and the credential scope the region; kvsim
does not verify signatures.

kvsim rules for requests that never reach the simulated service (each gets a
request id, but no virtual time passes and nothing changes):

====================================================  ======  ==========================================
request                                               status  ``x-amzn-ErrorType``
====================================================  ======  ==========================================
path that is no Kinesis Video operation               404     ``UnknownOperationException``
an operation's path with another method than POST     405     ``UnknownOperationException``
an operation kvsim does not simulate yet              400     ``UnsupportedOperationException``
no ``Authorization`` header                           403     ``MissingAuthenticationTokenException``
an ``Authorization`` header without a credential      403     ``IncompleteSignatureException``
credential scoped to another service, or a region     403     ``InvalidSignatureException``
without Kinesis Video
body larger than :data:`MAX_BODY_BYTES`               413     ``RequestEntityTooLargeException``
body that is not a JSON object                        400     ``SerializationException``
a call after the virtual clock's last call instant     400     ``BadRequestException``
a media call off a data host (``host`` given)         403     none: AWS's XML body (botocore: ``"403"``)
GetMedia on a ``b-`` host or another stream's         400     ``InvalidEndpointException``
archived media on another stream's ``b-`` host        400     ``InvalidArgumentException``
====================================================  ======  ==========================================

A JSON object that breaks the input shape where botocore would have refused
to send it (missing required member, unknown member, wrong JSON type, below a
``min``) answers ``InvalidArgumentException`` (400) with botocore's report as
the message; like a facade ``ParamValidationError`` it takes no virtual time
(see :meth:`kvsim.engine.runtime.Runtime.handle`).

>>> import kvsim
>>> sim = kvsim.Simulator(seed=0)
>>> auth = {"Authorization": "AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/kinesisvideo/aws4_request"}
>>> r = handle(sim, "POST", "/createStream", auth, b'{"StreamName": "cam-1"}')
>>> r.status, r.body
(200, b'{"StreamARN":"arn:aws:kinesisvideo:eu-west-1:123456789012:stream/cam-1/1767225600000"}')
>>> r = handle(sim, "POST", "/describeStream", auth, b'{"StreamName": "nope"}')
>>> r.status, r.headers["x-amzn-ErrorType"], r.body
(404, 'ResourceNotFoundException', b'{"Message":"The requested stream is not found or not active."}')
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from ..core.constants import DEFAULT_ACCOUNT_ID, REGION_NAME_PATTERN
from ..core.ids import SERVED_REGIONS
from ..engine.runtime import unsupported
from ..model.catalog import OperationSpec
from ..model.errors import ClientError
from ..services import data_hosts
from ..services.registry import SERVICES, Service
from . import endpoints

if TYPE_CHECKING:
    from ..engine.permissions import Principal
    from ..engine.simulator import Simulator

__all__ = [
    "DEFAULT_ACCOUNT_ID",
    "MAX_BODY_BYTES",
    "ROUTES",
    "Body",
    "Headers",
    "HttpResponse",
    "caller",
    "encode_json",
    "error_response",
    "handle",
    "unauthorizable",
]

#: The largest request body kvsim reads (1 MiB; the largest valid request is ~25 KB).
MAX_BODY_BYTES = 1 << 20

#: Every operation of the five models by its path (all are ``POST``): ``(service, spec)``.
ROUTES: Mapping[str, tuple[Service, OperationSpec]] = {
    spec.path: (service, spec)
    for service in SERVICES.values()
    for spec in service.spec.operations.values()
}

#: The services' common SigV4 signing name.
_SERVICE = "kinesisvideo"
_REGION = re.compile(REGION_NAME_PATTERN).fullmatch
_CREDENTIAL = re.compile(r"Credential=([^,\s]*)")


class Headers(Protocol):
    """Request headers: anything with ``get(name)``, e.g. ``http.client.HTTPMessage``,
    botocore's ``HTTPHeaders`` (both case-insensitive) or a plain dict."""

    def get(self, name: str, /) -> Any:
        """The value of header ``name`` (str or bytes), or None."""


#: A response body: bytes, or an iterator of chunks for a streamed payload.
Body = bytes | Iterator[bytes]


@dataclass(frozen=True, slots=True)
class HttpResponse:
    """An HTTP response: status code, headers (in sending order) and body: bytes,
    or (a streamed payload, without ``Content-Length``) an iterator of chunks."""

    status: int
    headers: dict[str, str]
    body: Body

    @property
    def streamed(self) -> bool:
        """Whether the body is a stream of chunks rather than bytes."""
        return not isinstance(self.body, bytes)


def _encode_default(value: object) -> float:
    # The only non-JSON value in a response: a timestamp, sent as epoch seconds.
    if isinstance(value, datetime):
        # kvsim's times are whole milliseconds: round away float noise.
        return round(value.timestamp() * 1000) / 1000
    raise TypeError(f"cannot encode {type(value).__name__} as JSON")


_ENCODER = json.JSONEncoder(separators=(",", ":"), default=_encode_default)


def encode_json(value: Mapping[str, Any]) -> bytes:
    """Compact JSON as AWS sends it; datetimes become epoch seconds (ms precision).

    >>> from datetime import UTC
    >>> encode_json({"CreationTime": datetime(2026, 1, 1, 0, 0, 0, 50000, tzinfo=UTC)})
    b'{"CreationTime":1767225600.05}'
    """
    return _ENCODER.encode(value).encode()


def _response(status: int, request_id: str, body: bytes, error: str | None) -> HttpResponse:
    headers = {"Content-Type": "application/json", "x-amzn-RequestId": request_id}
    if error is not None:
        headers["x-amzn-ErrorType"] = error
    headers["Content-Length"] = str(len(body))
    return HttpResponse(status, headers, body)


def error_response(status: int, code: str, message: str, request_id: str) -> HttpResponse:
    """An AWS error response: ``x-amzn-ErrorType: code`` and ``{"Message": message}``."""
    return _response(status, request_id, encode_json({"Message": message}), code)


def unauthorizable(request_id: str) -> HttpResponse:
    """AWS's answer to a media call on a host that does not serve it: HTTP 403
    with an XML body and no ``x-amzn-ErrorType`` (botocore reports code ``"403"``)."""
    body = data_hosts.UNAUTHORIZABLE
    return HttpResponse(
        403,
        {
            "Content-Type": "application/xml",
            "x-amzn-RequestId": request_id,
            "Content-Length": str(len(body)),
        },
        body,
    )


def _header(headers: Headers, name: str) -> str | None:
    # http.client.HTTPMessage and botocore's HTTPHeaders look names up without
    # regard to case; a plain dict is searched for any spelling.
    value = headers.get(name)
    if value is None and isinstance(headers, dict):
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    if isinstance(value, bytes):
        return value.decode("latin-1")
    return value if isinstance(value, str) else None


class _Rejected(Exception):
    """A request the front door turns away before it reaches the service."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def _credential(value: str | None) -> tuple[str, str]:
    if not value:
        raise _Rejected(403, "MissingAuthenticationTokenException", "Missing Authentication Token")
    scheme, _, rest = value.strip().partition(" ")
    if scheme != "AWS4-HMAC-SHA256":
        raise _Rejected(
            403,
            "IncompleteSignatureException",
            f"Unsupported Authorization scheme {scheme[:40]!r}: kvsim reads AWS4-HMAC-SHA256 "
            "(SigV4) headers only.",
        )
    match = _CREDENTIAL.search(rest)
    parts = match.group(1).split("/") if match else []
    if len(parts) != 5 or not parts[0] or parts[4] != "aws4_request":
        raise _Rejected(
            403,
            "IncompleteSignatureException",
            "Authorization header requires a 'Credential' parameter of the form "
            "<access key id>/<date>/<region>/kinesisvideo/aws4_request.",
        )
    access_key, _date, region, service, _ = parts
    if service != _SERVICE:
        raise _Rejected(
            403,
            "InvalidSignatureException",
            f"Credential should be scoped to correct service: '{_SERVICE}', not {service[:40]!r}.",
        )
    if not _REGION(region) or region not in SERVED_REGIONS:
        # Kinesis Video has no endpoint there: nothing is made for such a region.
        raise _Rejected(
            403,
            "InvalidSignatureException",
            f"Credential should be scoped to a valid region, not {region[:40]!r}.",
        )
    return access_key, region


def caller(sim: Simulator, headers: Headers) -> tuple[str, str] | HttpResponse:
    """``(access key id, region)`` of a request's SigV4 ``Authorization`` header, or
    the 403 answer to send (for requests that are no model operation: PutMedia)."""
    try:
        return _credential(_header(headers, "Authorization"))
    except _Rejected as rejected:
        return error_response(
            rejected.status, rejected.code, rejected.message, sim.runtime.next_request_id()
        )


def _route(method: str, path: str) -> tuple[Service, OperationSpec]:
    path = path.partition("?")[0]
    found = ROUTES.get(path)
    if found is None:
        raise _Rejected(
            404,
            "UnknownOperationException",
            f"No kinesisvideo operation at {method} {path[:200]}.",
        )
    service, spec = found
    if method != spec.http_method:
        raise _Rejected(
            405,
            "UnknownOperationException",
            f"{spec.name} is {spec.http_method} {path}, not {method}.",
        )
    if spec.name not in service.simulated:
        error = unsupported(service, spec.name)
        raise _Rejected(400, error.code, error.message)
    return service, spec


_JSON_KINDS = {
    list: "an array",
    str: "a string",
    int: "a number",
    float: "a number",
    bool: "a boolean",
    type(None): "null",
}


def _params(body: bytes | str | None) -> dict[str, Any]:
    if not body:
        return {}
    if len(body) > MAX_BODY_BYTES:
        raise _Rejected(
            413,
            "RequestEntityTooLargeException",
            f"The request body has {len(body)} bytes; kvsim reads at most {MAX_BODY_BYTES}.",
        )
    try:
        params = json.loads(body.decode() if isinstance(body, bytes) else body)
    except (ValueError, RecursionError) as error:
        # ValueError covers JSONDecodeError and bytes that are not UTF-8.
        raise _Rejected(
            400, "SerializationException", f"The request body is not valid JSON: {error}"
        ) from None
    if not isinstance(params, dict):
        raise _Rejected(
            400,
            "SerializationException",
            f"The request body must be a JSON object, not {_JSON_KINDS[type(params)]}.",
        )
    return params


def _payload(
    result: dict[str, Any], spec: OperationSpec, service: Service
) -> tuple[dict[str, str], Body]:
    """Split a streamed output into headers (its header members) and the payload body."""
    shape = service.spec.shapes[spec.output or ""]
    payload = spec.payload or ""
    headers: dict[str, str] = {}
    for member, info in shape["members"].items():
        if info.get("location") == "header" and member in result:
            headers[info["location_name"]] = str(result[member])
    body = result.get(payload, b"")
    if isinstance(body, bytes | bytearray):
        return headers, bytes(body)
    if isinstance(body, Iterable):
        return headers, iter(body)
    raise TypeError(f"{spec.name} payload must be bytes or an iterable of bytes")


def handle(
    sim: Simulator,
    method: str,
    path: str,
    headers: Headers,
    body: bytes | str | None,
    *,
    account_id: str | None = None,
    principal: Principal | None = None,
    endpoint_base: str | None = None,
    host: str | None = None,
) -> HttpResponse:
    """Serve one rest-json request of any of the five services on ``sim``.

    ``path`` may carry a query string (ignored). ``headers`` only needs to
    find ``Authorization`` (see :class:`Headers`; values may be bytes). The
    caller is the principal its access key is registered as
    (:meth:`~kvsim.Simulator.register_credentials`), or ``principal`` if
    given; ``account_id``, if given, overrides the account either maps to.
    ``endpoint_base`` (a server's base URL) makes the endpoints an answer names
    point at that server (:mod:`kvsim.http.endpoints`). ``host`` is the host
    the request was sent to (an AWS host, with the server's prefix taken
    away): data-plane calls must use their stream's data endpoint
    (:mod:`kvsim.services.data_hosts`); None checks nothing.
    Never raises for anything a client sends; a bug in kvsim propagates.
    """
    runtime = sim.runtime
    try:
        service, spec = _route(method, path)
        access_key, region_name = _credential(_header(headers, "Authorization"))
        wrong = None if host is None else data_hosts.kind_problem(service.name, spec.name, host)
        if isinstance(wrong, bytes):
            return unauthorizable(runtime.next_request_id())
        if wrong is not None:
            raise _Rejected(wrong.http_status, wrong.code, wrong.message)
        params = _params(body)
    except _Rejected as rejected:
        return error_response(
            rejected.status, rejected.code, rejected.message, runtime.next_request_id()
        )
    if principal is None:
        principal = runtime.principal_for(access_key)
    account = account_id or (principal.account_id if principal else DEFAULT_ACCOUNT_ID)
    try:
        result = runtime.handle(
            account, region_name, service, spec.name, params, principal, host=host
        )
    except ClientError as error:
        rid = error.response["ResponseMetadata"]["RequestId"]
        return error_response(error.http_status, error.code, error.message, rid)
    except ValueError as error:
        # The simulator refused the call before it started (the virtual clock
        # has reached its end): the client's request, not a kvsim failure.
        return error_response(400, "BadRequestException", str(error), runtime.next_request_id())
    rid = result.pop("ResponseMetadata")["RequestId"]
    if endpoint_base is not None:
        result = endpoints.rewrite(spec.name, params, result, endpoint_base)
    if spec.payload is not None:
        extra, payload = _payload(result, spec, service)
        sent = {"Content-Type": "application/octet-stream", **extra, "x-amzn-RequestId": rid}
        if isinstance(payload, bytes):
            sent["Content-Length"] = str(len(payload))
        return HttpResponse(200, sent, payload)
    return _response(200, rid, encode_json(result), None)
