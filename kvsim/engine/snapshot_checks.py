"""The checks of a snapshot, all of them before anything is built from it.

:func:`check` walks a version 2 snapshot field by field and raises
:class:`~kvsim.core.resources.Corrupt` (a ``ValueError``) at the first defect,
naming its place: ``corrupt kvsim snapshot: queue[0][0]: due 5 is before
now_ms 9``. It never relies on ``assert`` (``python -O`` refuses the same
snapshots) and never recurses into data of unknown depth: :func:`check_depth`
refuses anything nested deeper than :data:`MAX_DEPTH` first. Each family of
resources checks its own items (:meth:`kvsim.core.resources.Family.check`);
the queue is checked against what they report.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..core.clock import to_ms
from ..core.constants import LAST_START_MS, MAX_DELAY_MS, is_account_id, is_region_name
from ..core.resources import (
    Corrupt,
    Item,
    Place,
    Where,
    at,
    got,
    need_bucket,
    need_fields,
    need_int,
    need_list,
    need_map,
    need_number,
    need_str,
    need_time,
    shown,
)
from ..model.errors import fault_errors
from ..services.config import Limits, Timings
from ..services.declarations import Operation
from ..services.registry import DEFAULT_RATES, FAMILIES, SIMULATED, TRANSITIONS
from .faults import Fault
from .permissions import Principal

__all__ = ["MAX_DEPTH", "Valid", "check", "check_depth"]

#: How deeply a snapshot may nest (a valid one nests 8 levels).
MAX_DEPTH = 64

#: Every field of a version 2 snapshot.
FIELDS = (
    "format",
    "version",
    "seed",
    "now_ms",
    "calls",
    "start",
    "limits",
    "timings",
    "trace_limit",
    "rng",
    "fault_rng",
    "faults",
    "credentials",
    "queue_seq",
    "queue",
    "regions",
)
_FAULT_FIELDS = (
    "operation",
    "error",
    "latency_ms",
    "times",
    "probability",
    "account_id",
    "region_name",
    "stream_name",
    "message",
)
_REGION_FIELDS = ("account_id", "region_name", "buckets", "resources")
_OPERATIONS = frozenset(DEFAULT_RATES)
_BY_METHOD = {op.method: op for op in SIMULATED.values()}
#: Seeds are 64-bit, as ``Simulator`` takes them.
_SEED_LIMIT = 2**64
_MT_WORDS = 624


@dataclass(frozen=True, slots=True)
class Valid:
    """A snapshot that passed :func:`check`, with the values it was checked into."""

    data: Mapping[str, Any]
    start: datetime
    limits: Limits
    timings: Timings
    faults: list[Fault]


def check_depth(data: object) -> None:
    """Refuse data nested deeper than :data:`MAX_DEPTH` (or cyclic), without recursing.

    Each container is walked again only when reached deeper than before, so
    containers shared many times over (a Python mapping may share them) cost
    at most :data:`MAX_DEPTH` walks each."""
    deepest: dict[int, int] = {}
    # (container, its depth, (its key, its parent's link)): the path, kept cheaply.
    stack: list[tuple[Any, int, Any]] = [(data, 1, None)]
    while stack:
        value, depth, link = stack.pop()
        if depth > MAX_DEPTH:
            keys: list[object] = []
            while link is not None:
                key, link = link
                keys.append(key)
            where = ""
            for key in reversed(keys[-12:]):
                where = at(where, key)
            raise Corrupt(f"{where}...", f"nested deeper than {MAX_DEPTH} levels")
        if deepest.get(id(value), 0) >= depth:
            continue
        deepest[id(value)] = depth
        children = value.items() if isinstance(value, Mapping) else enumerate(value)
        for key, child in children:
            kind = type(child)
            if kind in _SCALARS:
                continue
            if kind is dict or kind is list or isinstance(child, Mapping | list | tuple):
                stack.append((child, depth + 1, (key, link)))


_SCALARS = frozenset({str, int, float, bool, type(None)})


def check(data: Mapping[str, Any]) -> Valid:
    """Check a version 2 snapshot completely; :class:`Corrupt` names the first defect."""
    need_fields(data, "", FIELDS)
    _check_seed(data["seed"])
    start = _check_start(data["start"])
    now_ms = need_time(data["now_ms"], "now_ms")
    if now_ms < to_ms(start):
        raise Corrupt("now_ms", f"{now_ms} is before start ({to_ms(start)}, {data['start']})")
    need_int(data["calls"], "calls")
    if data["trace_limit"] is not None:
        need_int(data["trace_limit"], "trace_limit", high=sys.maxsize)
    limits = _check_limits(data["limits"])
    timings = _check_timings(data["timings"])
    _check_rng(data["rng"], "rng")
    _check_rng(data["fault_rng"], "fault_rng")
    faults = [
        _check_fault(rule, at("faults", index))
        for index, rule in enumerate(need_list(data["faults"], "faults"))
    ]
    _check_credentials(data["credentials"])
    regions = _check_regions(data["regions"], now_ms)
    last_seq = _check_queue(data["queue"], now_ms, regions)
    queue_seq = need_int(data["queue_seq"], "queue_seq")
    if last_seq is not None and queue_seq < last_seq[0]:
        raise Corrupt(
            "queue_seq",
            f"must be >= {last_seq[0]}, the sequence number of {last_seq[1]}, got {queue_seq}",
        )
    return Valid(data, start, limits, timings, faults)


def _check_seed(value: object) -> None:
    need_int(value, "seed", high=_SEED_LIMIT - 1)


def _check_start(value: object) -> datetime:
    text = need_str(value, "start")
    try:
        start = datetime.fromisoformat(text)
    except ValueError:
        raise Corrupt("start", f"{shown(text)} is not an ISO 8601 date and time") from None
    if start.tzinfo is None or start.utcoffset() is None:
        raise Corrupt("start", f"{shown(text)} has no time zone")
    try:
        start_ms = to_ms(start)
    except OverflowError:
        start_ms = -1
    if not 0 <= start_ms <= LAST_START_MS:
        raise Corrupt("start", f"{shown(text)} is not between 1970 and the end of 9996")
    return start


def _check_limits(value: object) -> Limits:
    limits = need_map(value, "limits")
    if "rates" in limits:
        for op, rate in need_map(limits["rates"], "limits.rates").items():
            need_list(rate, at("limits.rates", op), 2)
    try:
        return Limits.from_json(limits)
    except (TypeError, ValueError, LookupError) as error:
        raise Corrupt("limits", str(error)) from None


def _check_timings(value: object) -> Timings:
    timings = need_map(value, "timings")
    try:
        return Timings.from_json(timings)
    except (TypeError, ValueError, LookupError) as error:
        raise Corrupt("timings", str(error)) from None


def _check_rng(value: object, where: str) -> None:
    # What random.Random.setstate takes: [3, 624 words and an index, gauss_next].
    version, state, gauss = need_list(value, where, 3)
    if type(version) is not int or version != 3:
        raise Corrupt((where, 0), f"the random state's version must be 3, got {got(version)}")
    words = need_list(state, (where, 1), _MT_WORDS + 1)
    words_where = f"{where}[1]"
    for index in range(_MT_WORDS):
        need_int(words[index], (words_where, index), high=2**32 - 1)
    need_int(words[_MT_WORDS], (words_where, _MT_WORDS), high=_MT_WORDS)
    if gauss is not None:
        if isinstance(gauss, bool) or not isinstance(gauss, int | float):
            raise Corrupt((where, 2), f"expected None or a float, got {got(gauss)}")
        need_number(gauss, (where, 2))


_PRINCIPAL_FIELDS = frozenset({"account_id", "allowed_actions", "identity"})


def _check_credentials(value: object) -> None:
    # A key's principal: its account alone, or an object with allowed actions
    # and/or an identity (Principal.to_json).
    for key, principal in need_map(value, "credentials").items():
        where = at("credentials", key)
        if not key:
            raise Corrupt(where, "an empty access key id")
        account = principal
        if isinstance(principal, Mapping):
            unknown = sorted(set(principal) - _PRINCIPAL_FIELDS, key=str)
            if unknown or "account_id" not in principal:
                raise Corrupt(
                    where,
                    "a principal has account_id and optionally allowed_actions and "
                    f"identity, got the fields {sorted(map(str, principal))}",
                )
            account = principal["account_id"]
            actions = principal.get("allowed_actions")
            if actions is not None:
                need_list(actions, (where, "allowed_actions"))
        if not isinstance(account, str) or not is_account_id(account):
            raise Corrupt(where, f"an account id must be 12 digits, got {got(account)}")
        try:
            Principal.from_json(key, principal)
        except (TypeError, ValueError) as problem:
            raise Corrupt(where, str(problem)) from None


def _optional_str(rule: Mapping[str, Any], field: str, where: str) -> None:
    if rule[field] is not None:
        need_str(rule[field], (where, field))


def _check_fault(value: object, where: str) -> Fault:
    rule = need_fields(value, where, _FAULT_FIELDS, ("channel_name",))
    name = need_str(rule["operation"], (where, "operation"))
    operation: Operation | None = SIMULATED.get(name) or _BY_METHOD.get(name)
    if operation is None:
        raise Corrupt((where, "operation"), f"{shown(name)} is no simulated operation")
    error = rule["error"]
    if error is not None:
        codes = fault_errors(operation.service)
        if need_str(error, (where, "error")) not in codes:
            raise Corrupt((where, "error"), f"{shown(error)} is no error of {operation.service}")
    need_int(rule["latency_ms"], (where, "latency_ms"), high=MAX_DELAY_MS)
    if rule["times"] is not None:
        # A rule that has fired its last time stays, with times 0.
        need_int(rule["times"], (where, "times"))
    probability = rule["probability"]
    if probability is not None:
        if isinstance(probability, bool) or not isinstance(probability, int | float):
            raise Corrupt(
                (where, "probability"),
                f"expected a number in (0, 1] or None, got {got(probability)}",
            )
        if not 0 < probability <= 1:  # (NaN is not; math.isfinite fails on huge ints)
            raise Corrupt((where, "probability"), f"must be in (0, 1], got {shown(probability)}")
    for field in ("account_id", "region_name", "stream_name", "message"):
        _optional_str(rule, field, where)
    if "channel_name" in rule:
        need_str(rule["channel_name"], (where, "channel_name"))
    try:
        return Fault.from_json(rule)
    except (TypeError, ValueError, LookupError) as error:
        raise Corrupt(where, str(error)) from None


def _check_account_region(
    account: object, region: object, where: Where, where_region: Where
) -> None:
    if not isinstance(account, str) or not is_account_id(account):
        raise Corrupt(where, f"an account id must be 12 digits, got {got(account)}")
    if not isinstance(region, str) or not is_region_name(region):
        raise Corrupt(where_region, f"a region name must look like 'us-east-1', got {got(region)}")


#: Checked regions: (account, region) → (where, family name → key → item).
Regions = dict[tuple[str, str], tuple[str, dict[str, dict[str, Item]]]]


def _check_regions(value: object, now_ms: int) -> Regions:
    regions: Regions = {}
    for index, item in enumerate(need_list(value, "regions")):
        where = f"regions[{index}]"
        region = need_fields(item, where, _REGION_FIELDS)
        account, name = region["account_id"], region["region_name"]
        _check_account_region(account, name, (where, "account_id"), (where, "region_name"))
        if (account, name) in regions:
            raise Corrupt(
                where,
                f"the region {account}/{name} appears twice (also at {regions[account, name][0]})",
            )
        for op, bucket in need_map(region["buckets"], (where, "buckets")).items():
            if op not in _OPERATIONS:
                raise Corrupt((f"{where}.buckets", op), f"unknown operation {shown(op)}")
            need_bucket(bucket, (f"{where}.buckets", op), now_ms)
        families: dict[str, dict[str, Item]] = {}
        resources = f"{where}.resources"
        for family_name, items in need_map(region["resources"], resources).items():
            family = FAMILIES.get(family_name)
            if family is None:
                raise Corrupt(
                    at(resources, family_name),
                    f"unknown resource family {shown(family_name)}; kvsim knows "
                    + ", ".join(FAMILIES),
                )
            place = Place(at(resources, family_name), account, name, now_ms, _OPERATIONS)
            families[family_name] = family.check(items, place)
        _check_links(families, where)
        regions[account, name] = (where, families)
    return regions


def _check_links(families: dict[str, dict[str, Item]], where: str) -> None:
    # Every item that belongs to another family's item finds it, in a status it allows.
    for items in families.values():
        for item in items.values():
            if item.needs is None:
                continue
            family, key, statuses = item.needs
            owner = families.get(family, {}).get(key)
            if owner is None:
                raise Corrupt(item.where, f"no {family} item {shown(key)} in {where}")
            if owner.status not in statuses:
                raise Corrupt(
                    item.where,
                    f"{owner.where} is {owner.status}, not {' or '.join(statuses)}",
                )


def _check_queue(value: object, now_ms: int, regions: Regions) -> tuple[int, str] | None:
    # Every entry is the live change of one resource; every pending resource has one.
    seqs: dict[int, str] = {}
    claimed: set[tuple[str, str]] = set()
    last: tuple[int, str] | None = None
    for index, item in enumerate(need_list(value, "queue")):
        where = f"queue[{index}]"
        due, seq, name, account, region_name, family_name, key = need_list(item, where, 7)
        need_time(due, (where, 0))
        if due < now_ms:
            raise Corrupt((where, 0), f"due {due} is before now_ms {now_ms}: it should have run")
        need_int(seq, (where, 1), low=1)
        if seq in seqs:
            raise Corrupt(
                (where, 1), f"the sequence number {seq} appears twice (also at {seqs[seq]})"
            )
        seqs[seq] = where
        if last is None or seq > last[0]:
            last = (seq, where)
        transition = TRANSITIONS.get(need_str(name, (where, 2)))
        if transition is None:
            raise Corrupt(
                (where, 2),
                f"unknown transition {shown(name)}; kvsim knows " + ", ".join(TRANSITIONS),
            )
        _check_account_region(account, region_name, (where, 3), (where, 4))
        if need_str(family_name, (where, 5)) != transition.family:
            raise Corrupt(
                (where, 5),
                f"{transition.name} applies to the family {transition.family!r}, "
                f"not {shown(family_name)}",
            )
        found = regions.get((account, region_name))
        if found is None:
            raise Corrupt((where, 3), f"no region {account}/{region_name} in regions")
        resource = found[1].get(family_name, {}).get(need_str(key, (where, 6)))
        if resource is None:
            raise Corrupt((where, 6), f"no {family_name} item {shown(key)} in {found[0]}")
        if resource.status is not None and resource.status != transition.before:
            raise Corrupt(
                (where, 2),
                f"{transition.name} changes a resource from {transition.before}, "
                f"but {resource.where} is {resource.status}",
            )
        slot = transition.slot
        if resource.slots.get(slot) != seq:
            raise Corrupt(
                (where, 1),
                f"{seq} is not the pending change of {resource.where} "
                f"(its {slot} is {resource.slots.get(slot)})",
            )
        claimed.add((resource.where, slot))
    for _where, families in regions.values():
        for items in families.values():
            for resource in items.values():
                for slot, seq in resource.slots.items():
                    if seq and (resource.where, slot) not in claimed:
                        raise Corrupt(at(resource.where, slot), f"{seq} matches no queue entry")
    return last
