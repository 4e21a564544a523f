"""Typed views of the generated model tables: services, operations, routes, paginators.

>>> spec = service_spec("kinesis-video-archived-media")
>>> op = spec.operations["GetHLSStreamingSessionURL"]
>>> op.method, op.http_method, op.request_uri
('get_hls_streaming_session_url', 'POST', '/getHLSStreamingSessionURL')
>>> spec.by_method["get_clip"].streaming_output
True
>>> service_spec("kinesisvideo").paginators["ListStreams"]["result_key"]
'StreamInfoList'
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import import_module
from types import MappingProxyType
from typing import Any

from .tables import MODULES, SERVICE_NAMES

__all__ = ["SERVICE_NAMES", "OperationSpec", "ServiceSpec", "service_spec"]


@dataclass(frozen=True, slots=True)
class OperationSpec:
    """What the model says of one operation."""

    service: str
    name: str
    #: botocore's method name (``xform_name``), e.g. ``get_hls_streaming_session_url``.
    method: str
    http_method: str
    request_uri: str
    input: str | None
    output: str | None
    errors: tuple[str, ...]
    paginator: Mapping[str, Any] | None
    #: The output member that is a streamed binary payload (GetMedia, GetClip,
    #: ...), or None.
    payload: str | None

    @property
    def streaming_output(self) -> bool:
        """Whether the output is a streamed binary payload."""
        return self.payload is not None

    @property
    def path(self) -> str:
        """The request path without its query part."""
        return self.request_uri.partition("?")[0]


class ServiceSpec:
    """What the model says of one service: its operations, shapes and errors."""

    __slots__ = (
        "by_method",
        "errors",
        "event_id",
        "metadata",
        "name",
        "operations",
        "paginators",
        "shapes",
    )

    def __init__(self, name: str, table: Any) -> None:
        self.name: str = name
        #: The model's metadata: ``service_id``, ``api_version``, ``protocol``,
        #: ``signing_name``, ``endpoint_prefix``.
        self.metadata: Mapping[str, str] = MappingProxyType(table.SERVICE)
        #: The hyphenized service id of botocore's event names (``before-send.<event_id>``).
        self.event_id: str = table.SERVICE["event_id"]
        self.shapes: Mapping[str, Mapping[str, Any]] = table.SHAPES
        #: Error code → HTTP status.
        self.errors: Mapping[str, int] = table.ERRORS
        self.paginators: Mapping[str, Mapping[str, Any]] = table.PAGINATORS
        operations = {
            op: OperationSpec(
                service=name,
                name=op,
                method=data["method"],
                http_method=data["http_method"],
                request_uri=data["request_uri"],
                input=data["input"],
                output=data["output"],
                errors=tuple(data["errors"]),
                paginator=table.PAGINATORS.get(op),
                payload=self._streamed_payload(data["output"]),
            )
            for op, data in table.OPERATIONS.items()
        }
        self.operations: Mapping[str, OperationSpec] = MappingProxyType(operations)
        self.by_method: Mapping[str, OperationSpec] = MappingProxyType(
            {spec.method: spec for spec in operations.values()}
        )

    def _streamed_payload(self, output: str | None) -> str | None:
        payload = None if output is None else self.shapes[output].get("payload")
        if payload is None:
            return None
        member = self.shapes[output or ""]["members"][payload]["shape"]
        return payload if self.shapes[member].get("streaming", False) else None

    def __repr__(self) -> str:
        return f"<ServiceSpec {self.name}: {len(self.operations)} operations>"


@functools.cache
def service_spec(name: str) -> ServiceSpec:
    """The model of service ``name`` (one of :data:`SERVICE_NAMES`), loaded once."""
    if name not in MODULES:
        raise ValueError(
            f"kvsim does not simulate service {name!r}; it simulates: "
            + ", ".join(repr(n) for n in SERVICE_NAMES)
        )
    return ServiceSpec(name, import_module(f"{__package__}.tables.{MODULES[name]}"))
