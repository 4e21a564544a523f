"""Snapshots: the whole world as versioned, JSON-serialisable data, and back.

A snapshot holds everything that decides future outcomes: the clock, the
queue of timed changes (with their sequence numbers), both random sources,
the call counter, every region's rate buckets and resources, the fault
rules, limits, timings and credentials. Restoring it and making the same
calls gives the same outcomes as on the original.

The format knows no resource kind: a region's resources are stored family
by family (:class:`kvsim.core.resources.Family`, gathered in
:data:`kvsim.services.registry.FAMILIES`), and each queued change as
``[due, seq, transition, account, region, family, key]``. Version 1
snapshots (streams only) are migrated on load.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..services.config import Limits, Timings
from ..services.registry import FAMILIES, TRANSITIONS
from .faults import Fault

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = ["FORMAT", "VERSION", "dump", "load"]

FORMAT = "kvsim.snapshot"
VERSION = 2


def _rng_state(state: tuple[Any, ...]) -> list[Any]:
    return [state[0], list(state[1]), state[2]]


def dump(sim: Simulator) -> dict[str, Any]:
    """The snapshot of ``sim`` (call with its lock held)."""
    runtime = sim.runtime
    world = runtime.world
    queue = []
    for due, seq, (resource, transition) in world.live_entries():
        family = FAMILIES[transition.family]
        account_id, region_name = resource.location
        queue.append(
            [due, seq, transition.name, account_id, region_name, family.name, family.key(resource)]
        )
    return {
        "format": FORMAT,
        "version": VERSION,
        "seed": sim.seed,
        "now_ms": world.now_ms,
        "calls": runtime.calls,
        "start": sim.start.isoformat(),
        "limits": sim.limits.to_json(),
        "timings": sim.timings.to_json(),
        "trace_limit": runtime.trace.limit,
        "rng": _rng_state(world.rng.getstate()),
        "fault_rng": _rng_state(sim.faults.rng.getstate()),
        "faults": [rule.to_json() for rule in sim.faults.rules],
        "credentials": dict(sorted(runtime.credentials.items())),
        "queue_seq": world.queue.last_seq,
        "queue": queue,
        "regions": [
            {
                "account_id": region.account_id,
                "region_name": region.name,
                "buckets": {op: list(b) for op, b in sorted(region.buckets.items())},
                "resources": {name: family.dump(region) for name, family in FAMILIES.items()},
            }
            for _key, region in sorted(world.regions.items())
        ],
    }


_V1_TRANSITIONS = ("stream.created", "stream.updated", "stream.deleted")


def _v1_transition(kind: object) -> str:
    # Version 1 numbered a stream's changes 0, 1, 2 (created, updated, deleted).
    if type(kind) is not int or not 0 <= kind < len(_V1_TRANSITIONS):
        raise ValueError(f"unknown version 1 change kind {kind!r}")
    return _V1_TRANSITIONS[kind]


def _migrate_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    """A version 1 snapshot (streams only, queue entries by stream name and kind
    0/1/2, device counts stored) in the version 2 format."""
    migrated = dict(data)
    migrated["version"] = VERSION
    migrated["queue"] = [
        [due, seq, _v1_transition(kind), account, region, "streams", name]
        for due, seq, account, region, name, kind in data["queue"]
    ]
    migrated["regions"] = [
        {
            "account_id": region["account_id"],
            "region_name": region["region_name"],
            "buckets": region["buckets"],
            "resources": {"streams": region["streams"]},
        }
        for region in data["regions"]
    ]
    return migrated


def load(data: Mapping[str, Any] | str | bytes, simulator_class: type[Simulator]) -> Simulator:
    """Rebuild a simulator from :func:`dump` output (or its JSON text)."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError:
            raise ValueError("not a kvsim snapshot: the text is not JSON") from None
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ValueError("not a kvsim snapshot: the 'format' field is missing or foreign")
    version = data.get("version")
    if version not in (1, VERSION):
        raise ValueError(
            f"unsupported kvsim snapshot version {version!r}; this kvsim reads {VERSION} (and 1)"
        )
    try:
        return _load(_migrate_v1(data) if version == 1 else data, simulator_class)
    except (KeyError, TypeError, ValueError, IndexError, AttributeError) as error:
        raise ValueError(f"corrupt kvsim snapshot: {type(error).__name__}: {error}") from None


def _load(data: Mapping[str, Any], simulator_class: type[Simulator]) -> Simulator:
    sim = simulator_class(
        seed=data["seed"],
        start=datetime.fromisoformat(data["start"]),
        limits=Limits.from_json(data["limits"]),
        timings=Timings.from_json(data["timings"]),
        trace_limit=data["trace_limit"],
    )
    runtime = sim.runtime
    world = runtime.world
    world.now_ms = int(data["now_ms"])
    runtime.calls = int(data["calls"])
    rng = data["rng"]
    world.rng.setstate((rng[0], tuple(rng[1]), rng[2]))
    fault_rng = data["fault_rng"]
    sim.faults.rng.setstate((fault_rng[0], tuple(fault_rng[1]), fault_rng[2]))
    sim.faults.rules.extend(Fault.from_json(rule) for rule in data["faults"])
    runtime.credentials.update(data["credentials"])
    for region_data in data["regions"]:
        region = world.region(region_data["account_id"], region_data["region_name"])
        for name, items in region_data["resources"].items():
            FAMILIES[name].load(region, items)
        region.buckets.update(
            {op: [float(b[0]), int(b[1])] for op, b in region_data["buckets"].items()}
        )
    for due, seq, transition_name, account_id, region_name, family, key in data["queue"]:
        transition = TRANSITIONS[transition_name]
        if transition.family != family:
            raise ValueError(f"{transition_name} does not apply to the family {family!r}")
        resource = FAMILIES[family].find(world.regions[(account_id, region_name)], key)
        status = getattr(resource, "status", transition.before)
        if status != transition.before:
            raise ValueError(
                f"{resource.resource_id} is {status}, but its queued change is {transition_name}"
            )
        world.queue.push_at(int(due), int(seq), (resource, transition))
        setattr(resource, transition.slot, int(seq))
    world.queue.set_last_seq(int(data["queue_seq"]))
    world.check()
    return sim
