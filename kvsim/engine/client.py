"""boto3-shaped clients of a simulated world: ``sim.client(service_name, ...)``.

One client class per botocore service, with one method per operation of its
model, named as botocore names it (``get_hls_streaming_session_url``). The
methods derive from the generated tables and the operation declarations:
a simulated operation runs through the call pipeline
(:meth:`kvsim.engine.runtime.Runtime.call`); any other answers
``UnsupportedOperationException`` naming it. Each call is validated as
botocore would (client side) and as AWS would (service side), runs at the
current virtual time, and then moves the clock by ``Timings.call_latency``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from ..core.ids import partition
from ..core.streaming import StreamingBody
from ..model.catalog import OperationSpec
from ..model.errors import ClientError, ParamValidationError, service_errors
from ..services.declarations import Operation, ResumeToken
from ..services.registry import SERVICES, Service, service
from .runtime import unsupported

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = [
    "KinesisVideoClient",
    "KinesisVideoOperations",
    "Operations",
    "PageIterator",
    "Paginator",
    "ServiceClient",
    "client_class",
]

#: A client method: keyword arguments in, the response dict out.
Method = Callable[..., dict[str, Any]]


class Operations:
    """The boto3-named methods of one service's client, each taking keyword
    arguments only; subclasses say how a call is made (:meth:`_make_api_call`).
    The methods are added from the model by :func:`_add_methods`."""

    #: The botocore service whose operations the methods are.
    service_name = "kinesisvideo"

    def _make_api_call(self, operation_name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    if TYPE_CHECKING:
        # The methods are made at import time; type checkers see them through this.
        def __getattr__(self, name: str) -> Method: ...


def _method(operation: OperationSpec, declared: Operation | None) -> Method:
    name = operation.name

    def method(self: Operations, **kwargs: Any) -> dict[str, Any]:
        return self._make_api_call(name, kwargs)

    method.__name__ = method.__qualname__ = operation.method
    summary = (declared.handler.__doc__ or name).strip() if declared else None
    method.__doc__ = summary or (
        f"{name}: not simulated yet (answers UnsupportedOperationException)."
    )
    return method


def _add_methods(cls: type[Operations], service_name: str) -> None:
    """Give ``cls`` one method per operation of ``service_name``'s model."""
    found = SERVICES[service_name]
    cls.service_name = service_name
    for spec in found.spec.operations.values():
        setattr(cls, spec.method, _method(spec, found.simulated.get(spec.name)))


class KinesisVideoOperations(Operations):
    """The 32 boto3-named methods of a ``kinesisvideo`` client."""


_add_methods(KinesisVideoOperations, "kinesisvideo")


class PageIterator:
    """The pages of one ``paginate()`` call, as botocore's ``PageIterator``.

    Iterate it for the response pages; :meth:`build_full_result` merges them;
    :attr:`resume_token` (after iterating) continues where ``MaxItems`` stopped.
    Because kvsim's tokens are continuation keys, a resume token is an ordinary
    ``NextToken`` that starts exactly after the last item returned.
    """

    def __init__(
        self,
        paginator: Paginator,
        kwargs: dict[str, Any],
        max_items: int | None,
    ) -> None:
        self._paginator = paginator
        self._kwargs = kwargs
        self._max_items = max_items
        #: A token to pass as ``StartingToken`` to continue, or None when done.
        self.resume_token: str | None = None

    def __iter__(self) -> Iterator[dict[str, Any]]:
        paginator = self._paginator
        config = paginator.config
        input_token, output_token = config["input_token"], config["output_token"]
        result_key = config["result_key"]
        kwargs, seen, max_items = dict(self._kwargs), 0, self._max_items
        self.resume_token = None
        while True:
            # A copy: the trace keeps the response the simulator returned.
            page = dict(paginator.client._make_api_call(paginator.operation.name, kwargs))
            items = page[result_key]
            token = page.get(output_token)
            if max_items is not None and seen + len(items) >= max_items:
                kept = items[: max_items - seen]
                page[result_key] = kept
                page.pop(output_token, None)
                resume = paginator.resume
                if len(kept) < len(items) and resume is not None:
                    self.resume_token = resume(kept[-1])
                else:
                    self.resume_token = token
                yield page
                return
            seen += len(items)
            yield page
            if not token:
                return
            kwargs[input_token] = token

    def build_full_result(self) -> dict[str, Any]:
        """Every item of every page in one response, with ``NextToken`` if truncated."""
        config = self._paginator.config
        items: list[dict[str, Any]] = []
        for page in self:
            items.extend(page[config["result_key"]])
        result: dict[str, Any] = {config["result_key"]: items}
        if self.resume_token is not None:
            result[config["output_token"]] = self.resume_token
        return result


class Paginator:
    """``client.get_paginator(method)``: iterate an operation's pages, as botocore's.

    ``PaginationConfig`` takes ``MaxItems``, ``PageSize`` and ``StartingToken``
    as botocore's paginators do.

    >>> import kvsim
    >>> kv = kvsim.Simulator().client()
    >>> for name in ("a", "b", "c"):
    ...     _ = kv.create_stream(StreamName=name)
    >>> pages = kv.get_paginator("list_streams").paginate(PaginationConfig={"MaxItems": 2})
    >>> [s["StreamName"] for s in pages.build_full_result()["StreamInfoList"]]
    ['a', 'b']
    >>> rest = kv.get_paginator("list_streams").paginate(
    ...     PaginationConfig={"StartingToken": pages.resume_token})
    >>> [s["StreamName"] for page in rest for s in page["StreamInfoList"]]
    ['c']
    """

    def __init__(
        self, client: Operations, operation: OperationSpec, resume: ResumeToken | None
    ) -> None:
        assert operation.paginator is not None, operation.name
        self.client = client
        self.operation = operation
        #: botocore's paginator configuration: input/output token, limit and result keys.
        self.config: Mapping[str, Any] = operation.paginator
        self.resume = resume

    def paginate(self, **kwargs: Any) -> PageIterator:
        """The pages of the operation for these arguments, up to ``MaxItems`` items."""
        config = dict(kwargs.pop("PaginationConfig", None) or {})
        unknown = set(config) - {"MaxItems", "PageSize", "StartingToken"}
        if unknown:
            raise ParamValidationError(
                report=f"Unknown PaginationConfig keys: {', '.join(sorted(unknown))}"
            )
        max_items = config.get("MaxItems")
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1
        ):
            raise ParamValidationError(report=f"MaxItems must be an int >= 1, got {max_items!r}")
        if config.get("PageSize") is not None:
            kwargs[self.config["limit_key"]] = config["PageSize"]
        if config.get("StartingToken") is not None:
            kwargs[self.config["input_token"]] = config["StartingToken"]
        return PageIterator(self, kwargs, max_items)


def paginator_for(client: Operations, operation_name: str) -> Paginator:
    """The paginator of method ``operation_name`` of ``client``'s service, as botocore's
    ``get_paginator``; ``ValueError`` for a method the model does not paginate."""
    found = SERVICES[client.service_name]
    spec = found.spec.by_method.get(operation_name)
    if spec is None or spec.paginator is None:
        paginated = ", ".join(s.method for s in found.spec.operations.values() if s.paginator)
        raise ValueError(
            f"Operation cannot be paginated: {operation_name}; "
            f"{found.name} paginates {paginated or 'nothing'}"
        )
    declared = found.simulated.get(spec.name)
    return Paginator(client, spec, declared.resume_token if declared else None)


def can_paginate(client: Operations, operation_name: str) -> bool:
    """Whether the model paginates method ``operation_name`` (botocore's answer)."""
    spec = SERVICES[client.service_name].spec.by_method.get(operation_name)
    return spec is not None and spec.paginator is not None


@functools.cache
def _service_model(service: Service) -> SimpleNamespace:
    """What code reads of boto3's ``client.meta.service_model``: the model's names
    and metadata (one shared, read-only-by-convention namespace per service)."""
    metadata = service.spec.metadata
    return SimpleNamespace(
        service_name=service.name,
        service_id=metadata["service_id"],
        api_version=metadata["api_version"],
        protocol=metadata["protocol"],
        signing_name=metadata["signing_name"],
        endpoint_prefix=metadata["endpoint_prefix"],
        operation_names=sorted(service.spec.operations),
    )


class ServiceClient(Operations):
    """A client of one service bound to one account and region of a :class:`Simulator`."""

    def __init__(
        self,
        simulator: Simulator,
        region_name: str,
        account_id: str,
        allowed: frozenset[str] | None = None,
        identity: str | None = None,
    ) -> None:
        found = SERVICES[self.service_name]
        self._service: Service = found
        self._runtime = simulator.runtime
        self._region = self._runtime.region(account_id, region_name)
        self._allowed = allowed
        self._identity = identity
        self._operations: Mapping[str, Operation] = found.simulated
        self.account_id = account_id
        #: Like boto3's ``client.meta``: ``region_name``, ``service_name``,
        #: ``partition`` and a ``service_model`` with the model's names.
        self.meta = SimpleNamespace(
            region_name=region_name,
            service_name=self.service_name,
            partition=partition(region_name),
            service_model=_service_model(found),
        )
        #: Error classes by code, plus ``ClientError``, as ``client.exceptions`` in boto3.
        self.exceptions = SimpleNamespace(
            ClientError=ClientError, **service_errors(self.service_name)
        )

    def __repr__(self) -> str:
        return (
            f"<{type(self).__name__} account_id={self.account_id!r} "
            f"region_name={self.meta.region_name!r}>"
        )

    def _make_api_call(self, operation_name: str, params: Mapping[str, Any]) -> dict[str, Any]:
        operation = self._operations.get(operation_name)
        if operation is None:
            raise self._runtime.reject(unsupported(self._service, operation_name), operation_name)
        result = self._runtime.call(self._region, operation, params, self._allowed, self._identity)
        payload = operation.payload
        if payload is not None:
            # A streamed payload reads as botocore's StreamingBody does.
            result[payload] = StreamingBody(result.get(payload, b""))
        return result

    def can_paginate(self, operation_name: str) -> bool:
        """Whether ``get_paginator`` supports the method (as the model says)."""
        return can_paginate(self, operation_name)

    def get_paginator(self, operation_name: str) -> Paginator:
        """A paginator for a paginated method, e.g. ``list_streams``, as botocore's."""
        return paginator_for(self, operation_name)

    @property
    def waiter_names(self) -> list[str]:
        """The waiters of this client, as botocore's: none (the Kinesis Video
        models define no waiters)."""
        return []

    def get_waiter(self, waiter_name: str) -> Any:
        """As botocore's: ``ValueError("Waiter does not exist: <name>")`` (no waiters)."""
        raise ValueError(f"Waiter does not exist: {waiter_name}")

    def close(self) -> None:
        """As botocore's ``close()``; a simulated client holds no connection, so
        this does nothing and the client stays usable."""


class KinesisVideoClient(ServiceClient, KinesisVideoOperations):
    """A ``kinesisvideo`` client bound to one account and region of a :class:`Simulator`.

    >>> import kvsim
    >>> sim = kvsim.Simulator(seed=1)
    >>> kv = sim.client("kinesisvideo", region_name="eu-west-1")
    >>> kv.create_stream(StreamName="cam-1")["StreamARN"]
    'arn:aws:kinesisvideo:eu-west-1:123456789012:stream/cam-1/1767225600000'
    >>> kv.describe_stream(StreamName="cam-1")["StreamInfo"]["Status"]
    'CREATING'
    >>> try:
    ...     kv.create_stream(StreamName="cam-1")
    ... except kv.exceptions.ResourceInUseException as e:
    ...     print(e.response["Error"]["Code"], e.response["ResponseMetadata"]["HTTPStatusCode"])
    ResourceInUseException 400
    """


def _direct_method(operation: Operation, generic: Method) -> Method:
    # A simulated operation without a streamed payload goes straight to the
    # pipeline: one call frame fewer on the hot path than _make_api_call.
    def method(self: ServiceClient, **kwargs: Any) -> dict[str, Any]:
        return self._runtime.call(self._region, operation, kwargs, self._allowed, self._identity)

    method.__name__ = method.__qualname__ = generic.__name__
    method.__doc__ = generic.__doc__
    return method


def _add_direct_methods(cls: type[ServiceClient]) -> None:
    """Give a client class direct methods for its simulated, non-streaming operations."""
    for operation in SERVICES[cls.service_name].simulated.values():
        if operation.payload is None:
            setattr(
                cls, operation.method, _direct_method(operation, getattr(cls, operation.method))
            )


_add_direct_methods(KinesisVideoClient)


def _class_name(service_name: str) -> str:
    # "kinesis-video-archived-media" -> "KinesisVideoArchivedMediaClient"
    return "".join(part.title() for part in service_name.split("-")) + "Client"


@functools.cache
def client_class(service_name: str) -> type[ServiceClient]:
    """The client class of ``service_name`` (``ValueError`` for another service)."""
    service(service_name)  # names the five on a typo
    if service_name == "kinesisvideo":
        return KinesisVideoClient
    operations = type(_class_name(service_name).replace("Client", "Operations"), (Operations,), {})
    _add_methods(operations, service_name)
    cls: type[ServiceClient] = type(
        _class_name(service_name),
        (ServiceClient, operations),
        {"__module__": __name__, "__doc__": f"A ``{service_name}`` client of a simulated world."},
    )
    _add_direct_methods(cls)
    return cls
