"""How an operation is declared: once, with its handler and kvsim's metadata.

Everything else about an operation comes from the generated model tables:
the client method name, the HTTP route, the input shape, the modeled errors
and the paginator. Clients, routes, permissions, fault targets, scenario call
names, rates and the state machine's operation list all derive from the
declarations gathered in :mod:`kvsim.services.registry`.

A resource family module declares its operations with a :class:`Declarations`::

    declare = Declarations("kinesisvideo")

    @declare("DescribeStream", rate=(300, 5), resource="stream")
    def describe_stream(world, region, params):
        ...

    OPERATIONS = declare.operations
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ..model.catalog import OperationSpec, service_spec
from ..model.shapes import input_shape
from ..model.validation import Structure

if TYPE_CHECKING:
    from .state import Region
    from .world import World

__all__ = ["Declarations", "Handler", "Operation", "Rate", "ResumeToken"]

#: ``(per account per region TPS, per resource TPS)``; ``None`` means no limit.
Rate = tuple[float | None, float | None]

#: A handler: validated request members in, the response members out.
Handler = Callable[["World", "Region", Mapping[str, Any]], dict[str, Any]]

#: Makes a paginator's resume token from the last item it returned.
ResumeToken = Callable[[Mapping[str, Any]], str]


@dataclass(frozen=True, slots=True)
class Operation:
    """One simulated operation: the model's facts and kvsim's declaration.

    ``name``, ``service``, ``method`` and ``payload`` repeat ``spec``'s as plain
    fields: the call pipeline reads them on every call.
    """

    #: The model's facts: method name, route, input, errors, paginator.
    spec: OperationSpec
    handler: Handler = field(repr=False)
    #: The default request-rate quota (``Limits(rates=...)`` overrides it).
    rate: Rate
    #: The kind of resource the per-resource rate and the fault filters apply to.
    resource: str | None
    #: The error code answered to a caller without the IAM right to call it.
    denial: str
    #: The validation shape of the input (from the tables, with kvsim's deviations).
    input: Structure = field(repr=False)
    #: For paginated operations: the continuation token after a given item.
    resume_token: ResumeToken | None = field(default=None, repr=False)
    #: The API name, e.g. ``"CreateStream"``.
    name: str = field(init=False)
    #: The botocore service name, e.g. ``"kinesisvideo"``.
    service: str = field(init=False, repr=False)
    #: botocore's method name, e.g. ``"create_stream"``.
    method: str = field(init=False, repr=False)
    #: The output member holding a streamed payload, or None.
    payload: str | None = field(init=False, repr=False)

    def __post_init__(self) -> None:
        spec = self.spec
        for name, value in (
            ("name", spec.name),
            ("service", spec.service),
            ("method", spec.method),
            ("payload", spec.payload),
        ):
            object.__setattr__(self, name, value)


class Declarations:
    """Collects the operations a module of service ``service`` declares."""

    def __init__(self, service: str) -> None:
        self.service = service
        self._spec = service_spec(service)
        self.operations: list[Operation] = []

    def __call__(
        self,
        name: str,
        *,
        rate: Rate,
        resource: str | None = None,
        denial: str | None = None,
        resume_token: ResumeToken | None = None,
    ) -> Callable[[Handler], Handler]:
        """Declare operation ``name`` of the model with the decorated handler.

        ``denial`` defaults to ``AccessDeniedException`` (HTTP 403), what the
        real service answers a caller without the IAM right, even where the
        model lists ``NotAuthorizedException``.
        """
        spec = self._spec.operations.get(name)
        if spec is None:
            raise ValueError(f"{self.service} has no operation {name!r} in its model")

        def register(handler: Handler) -> Handler:
            refusal = "AccessDeniedException" if denial is None else denial
            self.operations.append(
                Operation(
                    spec,
                    handler,
                    rate,
                    resource,
                    refusal,
                    input_shape(self.service, name),
                    resume_token,
                )
            )
            return handler

        return register
