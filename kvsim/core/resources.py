"""The resource protocol of snapshots: how each family of resources is checked, saved and found.

A snapshot stores every region's resources family by family, and each queued
change as ``(transition name, family, key)``, so the snapshot format knows no
resource kind: a service adds a family (streams today; channels and
sessions next) by implementing :class:`Family`.

Restoring checks a snapshot completely before building anything from it; the
helpers here raise :class:`Corrupt` naming the place of the defect:

>>> need_int(-3, at(at(at("regions", 0), "buckets"), "CreateStream"), low=0)
Traceback (most recent call last):
...
kvsim.core.resources.Corrupt: corrupt kvsim snapshot: regions[0].buckets.CreateStream: must be >= 0, got -3
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .constants import MAX_MS

__all__ = [
    "Corrupt",
    "Family",
    "Item",
    "Place",
    "Where",
    "at",
    "got",
    "need_bucket",
    "need_fields",
    "need_int",
    "need_list",
    "need_map",
    "need_number",
    "need_one_of",
    "need_str",
    "need_time",
    "path",
    "shown",
]

R = TypeVar("R", contravariant=True)

#: The largest count a snapshot may hold (a C ``ssize_t``).
COUNT_MAX = 2**63 - 1
# The bits of the largest int a float holds.
_FLOAT_BITS = 1023


#: A place in a snapshot: its path, or ``(path, key)`` for the path of ``key``
#: inside it, formatted only when a defect is found there (most checks pass).
Where = str | tuple[str, object]


class Corrupt(ValueError):
    """A snapshot defect: ``corrupt kvsim snapshot: <where>: <problem>``."""

    def __init__(self, where: Where, problem: str) -> None:
        self.where = path(where)
        self.problem = problem
        super().__init__(f"corrupt kvsim snapshot: {self.where}: {problem}")


def at(where: Where, key: object) -> str:
    """The path of ``key`` inside ``where``: ``streams[3]``, ``regions[0].buckets``,
    ``tags['cost:centre']``."""
    where = path(where)
    if isinstance(key, int):
        return f"{where}[{key}]"
    if isinstance(key, str) and key.isidentifier():
        return f"{where}.{key}" if where else key
    return f"{where}[{shown(key)}]"


def path(where: Where) -> str:
    """The path ``where`` names."""
    return where if isinstance(where, str) else at(*where)


def shown(value: object) -> str:
    """``value`` for a message: scalars as ``repr`` (shortened), containers by type
    (their ``repr`` could be huge, or recurse without end)."""
    if isinstance(value, str) and len(value) > 60:
        return f"{value[:40]!r}... ({len(value)} characters)"
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 200:
        return f"an int of {value.bit_length()} bits"
    if value is None or isinstance(value, bool | int | float | str):
        return repr(value)
    return f"a {type(value).__name__}"


def got(value: object) -> str:
    """``value`` and its type for a message: ``'x' (str)``, ``None``, ``a list``."""
    if value is None:
        return "None"
    if isinstance(value, bool | int | float | str):
        return f"{shown(value)} ({type(value).__name__})"
    return shown(value)


def need_map(value: object, where: Where) -> Mapping[str, Any]:
    """``value`` as an object (a mapping with string keys)."""
    if type(value) is not dict and not isinstance(value, Mapping):
        raise Corrupt(where, f"expected an object, got {got(value)}")
    for key in value:
        if type(key) is not str:
            raise Corrupt(where, f"expected an object with string keys, got the key {got(key)}")
    return value


def need_list(
    value: object, where: Where, length: int | None = None
) -> list[Any] | tuple[Any, ...]:
    """``value`` as a list (of ``length`` items, if given)."""
    if type(value) is not list and not isinstance(value, list | tuple):
        raise Corrupt(where, f"expected a list, got {got(value)}")
    if length is not None and len(value) != length:
        raise Corrupt(where, f"expected a list of {length} items, got {len(value)}")
    return value


def need_fields(
    value: object, where: Where, required: Collection[str], optional: Collection[str] = ()
) -> Mapping[str, Any]:
    """``value`` as an object with every ``required`` field and no others but ``optional``."""
    found = need_map(value, where)
    for name in required:
        if name not in found:
            raise Corrupt(at(where, name), "missing")
    if len(found) > len(required):
        for name in found:
            if name not in required and name not in optional:
                raise Corrupt(at(where, name), "unknown field")
    return found


def need_int(value: object, where: Where, *, low: int = 0, high: int = COUNT_MAX) -> int:
    """``value`` as an int (not a bool, float or string) in ``low..high``."""
    if type(value) is not int:
        raise Corrupt(where, f"expected an int, got {got(value)}")
    if value < low:
        raise Corrupt(where, f"must be >= {low}, got {shown(value)}")
    if value > high:
        raise Corrupt(where, f"must be <= {high}, got {shown(value)}")
    return value


def need_time(value: object, where: Where) -> int:
    """``value`` as epoch milliseconds from 1970 to the end of 9999."""
    if type(value) is not int:
        raise Corrupt(where, f"expected an int of epoch milliseconds, got {got(value)}")
    if not 0 <= value <= MAX_MS:
        raise Corrupt(
            where,
            f"must be a time between 1970-01-01 (0) and 9999-12-31 ({MAX_MS}) "
            f"in epoch milliseconds, got {shown(value)}",
        )
    return value


def need_number(value: object, where: Where) -> float:
    """``value`` as a finite int or float (not a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise Corrupt(where, f"expected a number, got {got(value)}")
    # (math.isfinite would fail on an int too large for a float.)
    if isinstance(value, int) and value.bit_length() > _FLOAT_BITS:
        raise Corrupt(where, f"must be finite as a float, got {shown(value)}")
    if isinstance(value, float) and not math.isfinite(value):
        raise Corrupt(where, f"must be finite, got {shown(value)}")
    return value


def need_str(value: object, where: Where) -> str:
    """``value`` as a str."""
    if not isinstance(value, str):
        raise Corrupt(where, f"expected a str, got {got(value)}")
    return value


def need_one_of(value: object, where: Where, choices: Collection[str]) -> str:
    """``value`` as one of the strings ``choices``."""
    if not isinstance(value, str) or value not in choices:
        found = shown(value) if isinstance(value, str) else got(value)
        raise Corrupt(where, f"{found} is not one of {', '.join(choices)}")
    return value


def need_bucket(value: object, where: Where, now_ms: int) -> list[float]:
    """A token bucket: ``[tokens >= 0, last refill ms <= now_ms]``."""
    tokens, refilled = need_list(value, where, 2)
    if need_number(tokens, (path(where), 0)) < 0:
        raise Corrupt(at(where, 0), f"must be >= 0 tokens, got {shown(tokens)}")
    if need_time(refilled, (path(where), 1)) > now_ms:
        raise Corrupt(at(where, 1), f"refilled at {refilled}, after now_ms {now_ms}")
    return [float(tokens), refilled]


@dataclass(frozen=True, slots=True)
class Place:
    """What a family's :meth:`Family.check` may rely on: the region its items
    belong to, the snapshot's clock and the operations that have rate buckets."""

    where: str
    account_id: str
    region_name: str
    now_ms: int
    operations: frozenset[str]


@dataclass(frozen=True, slots=True)
class Item:
    """One checked resource, for the checks of the queue: where it is, its status
    (``None`` for a family without statuses), the sequence number in each slot
    its transitions use (0: no change pending) and what it belongs to."""

    where: str
    status: str | None
    slots: Mapping[str, int]
    #: ``(family, key, statuses)``: the item of another family of the same region it
    #: belongs to, which must exist with one of ``statuses`` (None: it stands alone).
    needs: tuple[str, str, Collection[str]] | None = None


class Family(Protocol[R]):
    """How the resources of one kind in a region are dumped, checked, loaded and found."""

    #: The family's key in a snapshot's region, e.g. ``"streams"``.
    name: str

    def dump(self, region: Any) -> list[dict[str, Any]]:
        """Every resource of this family in ``region``, JSON-ready, in a stable order."""

    def check(self, items: object, place: Place) -> dict[str, Item]:
        """Raise :class:`Corrupt` unless ``items`` is what :meth:`dump` could have
        written for ``place``; the checked items by key."""

    def load(self, region: Any, items: list[Any]) -> None:
        """Recreate the resources :meth:`dump` wrote into ``region`` (``items`` passed
        :meth:`check`)."""

    def key(self, resource: R) -> str:
        """The resource's key within its region (what a queued change refers to)."""

    def find(self, region: Any, key: str) -> Any:
        """The resource of ``region`` with ``key`` (``KeyError`` if none)."""
