"""Genuine boto3 / botocore clients of the five Kinesis Video services served by a :class:`~kvsim.Simulator`.

Every request still goes through botocore's own parameter validation,
serialization, signing, response parsing, error factory and retry handler:
kvsim only answers at the point where botocore would send the HTTP request
(its ``before-send`` event), with the HTTP response :mod:`kvsim.http.rest` builds.
Requests of other AWS services never reach kvsim.

>>> import kvsim, kvsim.boto
>>> sim = kvsim.Simulator(seed=0)
>>> kv = kvsim.boto.client(sim, region_name="eu-west-1")
>>> type(kv).__module__, kv.create_stream(StreamName="cam-1")["StreamARN"]
('botocore.client', 'arn:aws:kinesisvideo:eu-west-1:123456789012:stream/cam-1/1767225600000')
>>> try:
...     kv.create_stream(StreamName="cam-1")
... except kv.exceptions.ResourceInUseException as e:
...     print(e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
ResourceInUseException 400

:func:`mock` serves *every* client of the five Kinesis Video services
(``kinesisvideo``, ``kinesis-video-archived-media``, ``kinesis-video-media``,
``kinesis-video-signaling``, ``kinesis-video-webrtc-storage``) of the process
while it is active, including clients created before it started::

    with kvsim.boto.mock(sim):
        boto3.client("kinesisvideo", region_name="us-east-1").list_streams()

The region is the client's (the SigV4 credential scope); a client of a
region where Kinesis Video has no endpoint fails as a real one does, with
botocore's ``EndpointConnectionError`` (after botocore's retries). The caller
is the principal :meth:`~kvsim.Simulator.register_credentials` registered for
the client's access-key id (its account, allowed actions and identity), else
a caller in ``123456789012`` allowed every action; ``account_id``, if given,
overrides the account. Clients need credentials of some kind (any dummy
values), as botocore signs before sending.

Side by side with moto: kvsim answers every Kinesis Video request alone while
it serves it, even under moto's ``mock_aws``. Its handler is registered for the
Kinesis Video events, which botocore calls before moto's catch-all
``before-send`` handler; once kvsim has answered, the request's URL is marked
(``kvsim-answered:`` + the URL) so that moto, which matches requests by AWS
URL, leaves it alone and its backends never see it. Other services' requests
go to moto as usual.

How it reaches every client: the first :func:`mock` adds kvsim's ``before-send``
handler to ``botocore.handlers.BUILTIN_HANDLERS`` (so every botocore session
made afterwards carries it) and registers it on every botocore session and
Kinesis Video client already alive. The handler answers only while a mock is
active; otherwise it returns ``None`` and botocore sends the request as usual.
"""

from __future__ import annotations

import gc
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import ContextDecorator
from types import TracebackType
from typing import Any

import boto3  # type: ignore[import-untyped]
import botocore.handlers  # type: ignore[import-untyped]
from botocore.awsrequest import AWSResponse  # type: ignore[import-untyped]
from botocore.client import BaseClient  # type: ignore[import-untyped]
from botocore.exceptions import EndpointConnectionError  # type: ignore[import-untyped]
from botocore.session import Session as BotocoreSession  # type: ignore[import-untyped]

from .core.constants import DEFAULT_ACCOUNT_ID, DEFAULT_REGION_NAME, is_account_id
from .core.ids import SERVED_REGIONS
from .core.streaming import StreamingBody
from .engine.permissions import Principal
from .engine.runtime import actions_tuple
from .engine.simulator import Simulator
from .http import endpoints, rest
from .model.catalog import SERVICE_NAMES, service_spec
from .services.registry import service

__all__ = ["ANSWERED_PREFIX", "EVENTS", "Mock", "client", "mock"]

SERVICE_NAME = "kinesisvideo"
#: botocore's event for sending a request of each service (its service id hyphenized).
EVENTS: dict[str, str] = {
    name: f"before-send.{service_spec(name).event_id}" for name in SERVICE_NAMES
}
#: The event of ``kinesisvideo`` requests.
EVENT = EVENTS[SERVICE_NAME]
_UNIQUE_ID = "kvsim.boto"
# Dummy credentials of kvsim.boto.client(): botocore signs, kvsim never checks.
_ACCESS_KEY_ID = "AKIAKVSIMEXAMPLE0000"
_SECRET_ACCESS_KEY = "kvsim-does-not-check-signatures"

#: What a request kvsim answered has its URL prefixed with, so that later
#: ``before-send`` handlers that match AWS URLs (moto's) leave it alone.
ANSWERED_PREFIX = "kvsim-answered:"
_SERVED = frozenset(SERVED_REGIONS)
# The region of a SigV4 credential scope: Credential=<key>/<date>/<region>/...
_SCOPE_REGION = re.compile(r"Credential=[^/,\s]*/[^/,\s]*/([^/,\s]*)/")

#: (simulator, account override) of each active mock, innermost last.
_active: list[tuple[Simulator, str | None]] = []
_state_lock = threading.Lock()
_installed = False
_session: Any = None


class _Body(StreamingBody):
    """The ``raw`` of an :class:`AWSResponse`: botocore reads a JSON answer with
    ``stream()`` and wraps a streamed payload in its own ``StreamingBody``,
    which reads this one with ``read(amt)``."""

    __slots__ = ()

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        # A JSON answer is one bytes object: hand it over whole, no re-chunking.
        return self.chunks()


def _serve(
    sim: Simulator, account_id: str | None, request: Any, principal: Principal | None = None
) -> AWSResponse:
    """Answer one prepared botocore request with the wire layer's HTTP response."""
    url = request.url
    _check_region(request)
    body = request.body
    if hasattr(body, "read"):
        body = body.read()
    # The host and path of "https://host/path": what urlsplit(url) gives, cheaper.
    start = url.find("//") + 2
    slash = url.find("/", start)
    path = url[slash:] if slash >= 0 else "/"
    host = url[start:slash] if slash >= 0 else url[start:]
    if path.startswith(endpoints.PREFIX):
        # An endpoint a kvsim server returned: the AWS host it stands for.
        served_host, path = endpoints.split(path)
        host = served_host or host
    answer = rest.handle(
        sim,
        request.method,
        path,
        request.headers,
        body,
        account_id=account_id,
        principal=principal,
        host=host,
    )
    # Answered: handlers after kvsim's (moto's catch-all) must not serve it too.
    request.url = ANSWERED_PREFIX + url
    return AWSResponse(url, answer.status, answer.headers, _Body(answer.body))


def _check_region(request: Any) -> None:
    """A real client of a region without Kinesis Video cannot resolve its host:
    botocore's ``EndpointConnectionError``, as users see it."""
    authorization = request.headers.get("Authorization")
    if isinstance(authorization, bytes):
        authorization = authorization.decode("latin-1")
    found = _SCOPE_REGION.search(authorization or "")
    if found is not None and found.group(1) not in _SERVED:
        raise EndpointConnectionError(endpoint_url=request.url)


def _before_send(request: Any, **kwargs: Any) -> AWSResponse | None:
    """The process-wide handler: serve from the innermost active mock, if any."""
    try:
        sim, account_id = _active[-1]
    except IndexError:
        return None
    return _serve(sim, account_id, request)


class _Binding:
    """The handler of a :func:`client`: always served by its own simulator, as
    its own principal if it was given one."""

    __slots__ = ("account_id", "principal", "sim")

    def __init__(self, sim: Simulator, account_id: str | None, principal: Principal | None) -> None:
        self.sim = sim
        self.account_id = account_id
        self.principal = principal

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse:
        return _serve(self.sim, self.account_id, request, self.principal)


def _register(events: Any, handler: Callable[..., Any], event: str) -> None:
    # A unique id makes registering twice a no-op.
    # One unique id per event: botocore keeps one handler per unique id and
    # emitter, so a shared id would register a session for the first event only.
    events.register(event, handler, unique_id=f"{_UNIQUE_ID}:{event}")


def _install() -> None:
    """Give every botocore session and Kinesis Video client kvsim's handler (once)."""
    global _installed
    with _state_lock:
        if _installed:
            return
        for event in EVENTS.values():
            botocore.handlers.BUILTIN_HANDLERS.append((event, _before_send))
        # Sessions and clients made before now: each client holds its own copy
        # of its session's handlers, so both need the handler.
        # type() rather than isinstance(): proxies may answer __class__ oddly.
        for obj in gc.get_objects():
            kind = type(obj)
            if issubclass(kind, BotocoreSession):
                for event in EVENTS.values():
                    _register(obj, _before_send, event)
            elif issubclass(kind, BaseClient):
                served = EVENTS.get(obj.meta.service_model.service_name)
                if served is not None:
                    _register(obj.meta.events, _before_send, served)
        _installed = True


def _shared_session() -> Any:
    """The boto3 session :func:`client` makes its clients from (its model cache makes
    every client after the first cheap). It ignores ``AWS_PROFILE``: no environment needed."""
    global _session
    if _session is None:
        isolated = BotocoreSession(session_vars={"profile": (None, None, None, None)})
        _session = boto3.session.Session(botocore_session=isolated)
    return _session


def _check_account(account_id: str | None) -> None:
    if account_id is not None and (
        not isinstance(account_id, str) or not is_account_id(account_id)
    ):
        raise ValueError(f"account_id must be 12 digits, got {account_id!r}")


def _check_sim(sim: object) -> None:
    if not isinstance(sim, Simulator):
        raise TypeError(f"sim must be a kvsim.Simulator, not {type(sim).__name__}")


class Mock(ContextDecorator):
    """What :func:`mock` returns: a context manager and a decorator (reusable, nestable).

    Entering returns the simulator. While nested, the innermost active mock
    serves; exiting restores the one around it.
    """

    def __init__(self, sim: Simulator, account_id: str | None = None) -> None:
        _check_sim(sim)
        _check_account(account_id)
        self.sim = sim
        self.account_id = account_id
        self._entries: list[tuple[Simulator, str | None]] = []

    def __repr__(self) -> str:
        return f"<kvsim.boto.Mock sim={self.sim!r} account_id={self.account_id!r}>"

    def __enter__(self) -> Simulator:
        _install()
        entry = (self.sim, self.account_id)
        with _state_lock:
            self._entries.append(entry)
            _active.append(entry)
        return self.sim

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        with _state_lock:
            entry = self._entries.pop()
            # Remove exactly the entry this enter pushed (mocks may exit out of order).
            for i in range(len(_active) - 1, -1, -1):
                if _active[i] is entry:
                    del _active[i]
                    break


def mock(sim: Simulator, *, account_id: str | None = None) -> Mock:
    """Serve every botocore / boto3 client of the five Kinesis Video services by ``sim``.

    Use as ``with kvsim.boto.mock(sim):`` or ``@kvsim.boto.mock(sim)``. With
    ``account_id``, every request acts in that account whatever its credentials.

    >>> import boto3, kvsim, kvsim.boto
    >>> sim = kvsim.Simulator(seed=0)
    >>> kv = boto3.client("kinesisvideo", region_name="us-west-2",
    ...                   aws_access_key_id="AKIDEXAMPLE", aws_secret_access_key="secret")
    >>> with kvsim.boto.mock(sim, account_id="111122223333"):
    ...     kv.create_stream(StreamName="cam")["StreamARN"]
    'arn:aws:kinesisvideo:us-west-2:111122223333:stream/cam/1767225600000'
    """
    return Mock(sim, account_id)


def client(
    sim: Simulator,
    service_name: str = SERVICE_NAME,
    *,
    region_name: str = DEFAULT_REGION_NAME,
    account_id: str | None = None,
    config: Any = None,
    allowed_actions: Iterable[str] | None = None,
    identity: str | None = None,
    aws_access_key_id: str = _ACCESS_KEY_ID,
    endpoint_url: str | None = None,
) -> Any:
    """A real boto3 client of ``service_name`` (any of the five) that ``sim`` always serves.

    It has dummy credentials and needs no environment (``AWS_PROFILE`` is
    ignored) and no network. It signs with ``aws_access_key_id`` and acts as
    the principal :meth:`~kvsim.Simulator.register_credentials` registered for
    that key, if any. ``account_id`` overrides the account (else the
    principal's, else ``123456789012``). ``allowed_actions`` (IAM actions,
    ``*`` wildcards) and ``identity`` (an IAM or STS ARN) make this client a
    least-privilege principal of its own: other calls answer
    ``AccessDeniedException`` (HTTP 403) naming the identity.
    ``config`` is passed on as boto3's ``botocore.config.Config``, and
    ``endpoint_url`` as boto3's: the data-plane clients need their stream's
    endpoint from ``GetDataEndpoint``, as in AWS (a media call on the
    control-plane host answers HTTP 403).

    >>> import kvsim, kvsim.boto
    >>> sim = kvsim.Simulator()
    >>> reader = kvsim.boto.client(sim, allowed_actions=["kinesisvideo:List*"])
    >>> reader.list_streams()["StreamInfoList"]
    []
    >>> try:
    ...     reader.create_stream(StreamName="cam")
    ... except reader.exceptions.AccessDeniedException as e:
    ...     print(e.response["ResponseMetadata"]["HTTPStatusCode"], e.response["Error"]["Message"])
    403 User: arn:aws:iam::123456789012:user/kvsim is not authorized to perform: kinesisvideo:CreateStream on resource: cam
    """
    _check_sim(sim)
    _check_account(account_id)
    service(service_name)  # a ValueError naming the five for any other
    principal = None
    if allowed_actions is not None or identity is not None:
        registered = sim.principal_for(aws_access_key_id)
        principal = Principal(
            aws_access_key_id,
            account_id or (registered.account_id if registered else DEFAULT_ACCOUNT_ID),
            None if allowed_actions is None else actions_tuple(allowed_actions),
            identity,
        )
    with _state_lock:
        kv = _shared_session().client(
            service_name,
            region_name=region_name,
            aws_access_key_id=aws_access_key_id,
            aws_secret_access_key=_SECRET_ACCESS_KEY,
            config=config,
            endpoint_url=endpoint_url,
        )
    events = kv.meta.events
    event = EVENTS[service_name]
    # Replace the process-wide handler (if this client has it) by this client's own.
    events.unregister(event, unique_id=f"{_UNIQUE_ID}:{event}")
    events.unregister(event, _before_send)
    _register(events, _Binding(sim, account_id, principal), event)
    return kv
