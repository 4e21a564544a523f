"""The request-rate gate of one call: token buckets per account and per resource.

Throttled calls answer `ClientLimitExceededException` with the real service's
messages: ``Limit exceeded on number of requests for <Op> API`` for the
account rate, with `` for resource '<name>'`` appended for a resource's own rate.

A bucket is checked on the way in and its token taken only when the call
succeeds (:meth:`Admission.commit`), so a failed call leaves the buckets as
they were. Rates come from ``world.limits`` (the declarations' defaults with
``Limits(rates=...)`` overrides).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from ..model.errors import ClientLimitExceededException
from .state import Bucket, Region

if TYPE_CHECKING:
    from .world import World

__all__ = ["Admission", "RateLimited", "tokens"]


class RateLimited(Protocol):
    """A resource with its own request-rate buckets (None until the first call)."""

    name: str
    buckets: dict[str, Bucket] | None


def tokens(buckets: dict[str, Bucket], op: str, now_ms: int, tps: float) -> float:
    """Tokens in the bucket after refilling to now (without taking any). O(1)."""
    bucket = buckets.get(op)
    if bucket is None:
        return tps
    return min(tps, bucket[0] + (now_ms - bucket[1]) * tps / 1000)


class Admission:
    """The rate-limit gate of one call: checks buckets on the way in, takes the
    tokens only when the call succeeds (:meth:`commit`)."""

    __slots__ = ("_account", "_op", "_region", "_resource", "_resource_tps", "_world")

    def __init__(self, world: World, region: Region, op: str) -> None:
        self._world = world
        self._region = region
        self._op = op
        self._account: float | None = None
        self._resource: RateLimited | None = None
        self._resource_tps: float | None = None
        limits = world.limits
        if not limits.throttling:
            return
        account_tps, self._resource_tps = limits.rate(op)
        if account_tps is not None:
            left = tokens(region.buckets, op, world.now_ms, account_tps)
            if left < 1:
                raise ClientLimitExceededException(
                    f"Limit exceeded on number of requests for {op} API"
                )
            self._account = left

    def resource(self, resource: RateLimited) -> None:
        """Check the per-resource bucket of ``resource`` (where the operation has one)."""
        tps = self._resource_tps
        if tps is None:
            return
        buckets = resource.buckets
        if buckets is not None and tokens(buckets, self._op, self._world.now_ms, tps) < 1:
            raise ClientLimitExceededException(
                f"Limit exceeded on number of requests for {self._op} API "
                f"for resource '{resource.name}'"
            )
        self._resource = resource

    def commit(self) -> None:
        """Take this call's tokens. O(1)."""
        now = self._world.now_ms
        if self._account is not None:
            self._region.buckets[self._op] = [self._account - 1, now]
        resource = self._resource
        if resource is not None:
            tps = self._resource_tps
            assert tps is not None
            if resource.buckets is None:
                resource.buckets = {}
            resource.buckets[self._op] = [tokens(resource.buckets, self._op, now, tps) - 1, now]
