"""The call pipeline of one world, and the internal interface kvsim's adapters use.

A :class:`Runtime` holds a simulator's mutable machinery: the world, its lock,
the trace, the fault rules, the credentials and the call counter. Clients,
the HTTP layer, snapshots and the state machine reach the simulator only
through ``sim.runtime``, never through its private attributes.

One call (:meth:`Runtime.call`), under the lock: catch up on changes due now
→ validate → authorize → injected faults → the handler (its preamble
throttles) → trace → request id → ``call_latency`` (plus injected latency)
of virtual time.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from typing import Any

from ..core.constants import check_account_region
from ..core.ids import request_id
from ..core.trace import Trace
from ..model.errors import (
    ClientError,
    InvalidArgumentException,
    ParamValidationError,
    UnsupportedOperationException,
)
from ..services.data_hosts import endpoint_problem
from ..services.declarations import Operation
from ..services.registry import Service
from ..services.state import Region
from ..services.world import World
from .faults import Faults
from .permissions import Principal, denial

__all__ = ["STREAMED", "Runtime", "actions_tuple", "unsupported"]

#: What the trace records for a streamed payload (the caller reads it, once).
STREAMED = "<streamed payload>"


def unsupported(service: Service, operation: str) -> UnsupportedOperationException:
    """The answer to an operation of ``service``'s model that kvsim does not simulate yet."""
    spec = service.spec.operations[operation]
    simulated = service.simulated
    what = (
        f"it simulates {len(simulated)} {service.name} operations: {', '.join(simulated)}"
        if simulated
        else f"it simulates none of {service.name} yet"
    )
    return UnsupportedOperationException(
        f"kvsim does not simulate {operation} ({spec.http_method} {spec.path}) yet; {what}."
    )


class Runtime:
    """The mutable machinery of one simulator; every method takes the lock."""

    __slots__ = ("calls", "credentials", "faults", "latency_ms", "lock", "trace", "world")

    def __init__(self, world: World, trace: Trace, faults: Faults, latency_ms: int) -> None:
        self.world = world
        self.trace = trace
        self.faults = faults
        self.latency_ms = latency_ms
        #: How many calls got a request id (the next one's id is derived from it).
        self.calls = 0
        #: Access-key id → the principal it signs as.
        self.credentials: dict[str, Principal] = {}
        self.lock = threading.RLock()

    def region(self, account_id: str, region_name: str) -> Region:
        """The (account, region) partition, made on first use (names checked first)."""
        with self.lock:
            found = self.world.regions.get((account_id, region_name))
            if found is None:
                check_account_region(account_id, region_name)
                found = self.world.region(account_id, region_name)
            return found

    def call(
        self,
        region: Region,
        operation: Operation,
        params: Mapping[str, Any],
        allowed: frozenset[str] | None = None,
        identity: str | None = None,
    ) -> dict[str, Any]:
        """Validate and run one API call at the current virtual time, then let
        ``call_latency`` (plus any injected latency) pass. A
        ``ParamValidationError`` never reached the service: it takes no time
        and no request id. A caller whose ``allowed`` operations lack this one
        is denied as ``identity`` (None: the account's default identity)."""
        name = operation.name
        with self.lock:
            world = self.world
            trace = self.trace
            extra_ms = 0
            # A call sees every change due by now: step() runs one change at a
            # time and may leave another due at the same instant.
            world.catch_up()
            try:
                operation.input.validate(params)
                if allowed is not None and name not in allowed:
                    raise denial(operation, region.name, region.account_id, params, identity)
                if self.faults.rules:
                    injected, extra_ms = self.faults.decide(
                        operation, region.account_id, region.name, params
                    )
                    if injected is not None:
                        raise injected
                result = operation.handler(world, region, params)
            except ParamValidationError as error:
                trace.call(
                    world.now_ms,
                    region,
                    operation,
                    params,
                    None,
                    "ParamValidationError",
                    error.report,
                )
                raise
            except ClientError as error:
                self.calls += 1
                error.bind(error.message, name, request_id(self.calls))
                trace.call(world.now_ms, region, operation, params, None, error.code, error.message)
                world.advance_ms(self.latency_ms + extra_ms)
                raise
            self.calls += 1
            rid = request_id(self.calls)
            payload = operation.payload
            # A streamed payload is read once, by the caller: the trace keeps a marker.
            traced = result if payload is None else {**result, payload: STREAMED}
            if payload is not None:
                # A payload that waits on the clock (GetMedia's live tail) needs the lock.
                attach = getattr(result.get(payload), "attach", None)
                if attach is not None:
                    attach(self)
            trace.call(world.now_ms, region, operation, params, traced, None, None)
            world.advance_ms(self.latency_ms + extra_ms)
        result["ResponseMetadata"] = {
            "RequestId": rid,
            "HTTPStatusCode": 200,
            "HTTPHeaders": {"x-amzn-requestid": rid, "content-type": "application/json"},
            "RetryAttempts": 0,
        }
        return result

    def handle(
        self,
        account_id: str,
        region_name: str,
        service: Service,
        operation: str,
        params: Mapping[str, Any],
        principal: Principal | None = None,
        host: str | None = None,
    ) -> dict[str, Any]:
        """Serve one request that reached the service over the wire (:mod:`kvsim.http.rest`),
        signed by ``principal`` (None: a caller allowed every action), sent to
        ``host`` (None: not checked); a data-plane call on a data host that is
        not its stream's own is refused at the door
        (:func:`kvsim.services.data_hosts.endpoint_problem`).

        As a facade call, except for input botocore would have refused to send
        (missing or unknown member, wrong JSON type, below ``min``): kvsim rule,
        it answers ``InvalidArgumentException`` (400) with botocore's report as
        the message. As a facade ``ParamValidationError`` it changes nothing and
        takes no virtual time (the trace records it as one), but it is given a
        request id. An operation kvsim does not simulate answers
        ``UnsupportedOperationException``.
        """
        with self.lock:
            declared = service.simulated.get(operation)
            if declared is None:
                raise self.reject(unsupported(service, operation), operation)
            region = self.world.regions.get((account_id, region_name))
            known = region is not None
            if region is None:
                region = self.region(account_id, region_name)
            elif host is not None:
                problem = endpoint_problem(region, service.name, operation, params, host)
                if problem is not None:
                    raise self.reject(problem, operation)
            try:
                if principal is None:
                    return self.call(region, declared, params)
                return self.call(region, declared, params, principal.allowed, principal.identity)
            except ParamValidationError as problem:
                lines = problem.report.split("\n")
                noun = "error" if len(lines) == 1 else "errors"
                error = InvalidArgumentException(
                    f"{len(lines)} validation {noun} detected: " + "; ".join(lines)
                )
                raise self.reject(error, operation) from None
            finally:
                if not known:
                    # A request that left nothing in a region it named first
                    # (refused, or a read of nothing) leaves no region behind.
                    self.world.forget_if_empty(region)

    def reject(self, error: ClientError, operation: str) -> ClientError:
        """Give ``error`` of a request that never reached the service (a front-door
        refusal) its operation and a fresh request id; no virtual time passes."""
        error.bind(error.message, operation, self.next_request_id())
        return error

    def next_request_id(self) -> str:
        """A fresh request id for a request rejected before it reached the service
        (unknown path, no credentials, unreadable body): no virtual time passes."""
        with self.lock:
            self.calls += 1
            return request_id(self.calls)

    def check(self) -> None:
        """Assert every invariant of the world (for tests; O(n log n))."""
        with self.lock:
            self.world.check()

    def dump(self) -> dict[str, Any]:
        """The whole world except the clock, JSON-ready (for tests comparing states)."""
        with self.lock:
            return self.world.dump()

    def register_credentials(
        self,
        access_key_id: str,
        account_id: str,
        allowed_actions: Iterable[str] | None = None,
        identity: str | None = None,
    ) -> Principal:
        """Map an access-key id to a principal (replacing any earlier one), for
        adapters that read credentials; checked before anything changes."""
        actions = None if allowed_actions is None else actions_tuple(allowed_actions)
        principal = Principal(access_key_id, account_id, actions, identity)
        with self.lock:
            self.credentials[access_key_id] = principal
        return principal

    def principal_for(self, access_key_id: str | None) -> Principal | None:
        """The principal registered for ``access_key_id``, or None. O(1)."""
        with self.lock:
            return self.credentials.get(access_key_id) if access_key_id else None


def actions_tuple(allowed_actions: Iterable[str]) -> tuple[str, ...]:
    """``allowed_actions`` as a tuple; ``TypeError`` for a lone str (a common slip)."""
    if isinstance(allowed_actions, str):
        raise TypeError("allowed_actions must be a collection of action names, not one str")
    return tuple(allowed_actions)
