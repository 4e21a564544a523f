"""The resource protocol of snapshots: how each family of resources is saved and found.

A snapshot stores every region's resources family by family, and each queued
change as ``(transition name, family, key)``, so the snapshot format knows no
resource kind: a service adds a family (streams today; channels and
sessions next) by implementing :class:`Family`.
"""

from __future__ import annotations

from typing import Any, Protocol, TypeVar

__all__ = ["Family"]

R = TypeVar("R", contravariant=True)


class Family(Protocol[R]):
    """How the resources of one kind in a region are dumped, loaded and found."""

    #: The family's key in a snapshot's region, e.g. ``"streams"``.
    name: str

    def dump(self, region: Any) -> list[dict[str, Any]]:
        """Every resource of this family in ``region``, JSON-ready, in a stable order."""

    def load(self, region: Any, items: list[Any]) -> None:
        """Recreate the resources :meth:`dump` wrote into ``region``."""

    def key(self, resource: R) -> str:
        """The resource's key within its region (what a queued change refers to)."""

    def find(self, region: Any, key: str) -> Any:
        """The resource of ``region`` with ``key`` (``KeyError`` if none)."""
