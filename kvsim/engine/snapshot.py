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

Loading checks a snapshot completely before building anything from it
(:mod:`kvsim.engine.snapshot_checks`): every defect is a ``ValueError``
naming its place, ``corrupt kvsim snapshot: <path>: <problem>``.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..core.resources import Corrupt, at, need_fields, need_list, shown
from ..services.registry import FAMILIES, TRANSITIONS
from .permissions import Principal
from .snapshot_checks import Valid, check, check_depth

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
        "credentials": {
            key: principal.to_json() for key, principal in sorted(runtime.credentials.items())
        },
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
_V1_REGION_FIELDS = ("account_id", "region_name", "streams", "buckets")


def _migrate_v1(data: Mapping[str, Any]) -> dict[str, Any]:
    """A version 1 snapshot (streams only, queue entries by stream name and kind
    0/1/2, device counts stored) in the version 2 format; :class:`Corrupt` names
    the place of a defect of the version 1 shape."""
    migrated = dict(data)
    migrated["version"] = VERSION
    if "queue" in data:
        migrated["queue"] = []
        for index, entry in enumerate(need_list(data["queue"], "queue")):
            where = at("queue", index)
            due, seq, account, region, name, kind = need_list(entry, where, 6)
            # Version 1 numbered a stream's changes 0, 1, 2 (created, updated, deleted).
            if type(kind) is not int or not 0 <= kind < len(_V1_TRANSITIONS):
                raise Corrupt(at(where, 5), f"unknown version 1 change kind {shown(kind)}")
            migrated["queue"].append(
                [due, seq, _V1_TRANSITIONS[kind], account, region, "streams", name]
            )
    if "regions" in data:
        migrated["regions"] = []
        for index, item in enumerate(need_list(data["regions"], "regions")):
            # The device counts follow from the streams: they are not read.
            region = need_fields(item, at("regions", index), _V1_REGION_FIELDS, ("devices",))
            migrated["regions"].append(
                {
                    "account_id": region["account_id"],
                    "region_name": region["region_name"],
                    "buckets": region["buckets"],
                    "resources": {"streams": region["streams"]},
                }
            )
    return migrated


# Where the version 2 form of a version 1 snapshot keeps what version 1 kept
# elsewhere: streams under resources, queue entries in another order.
_V1_STREAMS = re.compile(r"\b(regions\[\d+\])\.resources\.streams\b")
_V1_ENTRY = re.compile(r"\b(queue\[\d+\])\[([0-6])\]")
_V1_INDEX = {"0": "0", "1": "1", "2": "5", "3": "2", "4": "3", "5": "5", "6": "4"}


def _v1_place(text: str) -> str:
    text = _V1_STREAMS.sub(r"\1.streams", text)
    return _V1_ENTRY.sub(lambda m: f"{m[1]}[{_V1_INDEX[m[2]]}]", text)


def load(data: Mapping[str, Any] | str | bytes, simulator_class: type[Simulator]) -> Simulator:
    """Rebuild a simulator from :func:`dump` output (or its JSON text), after
    checking it completely: any defect raises ``ValueError`` naming its place."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except RecursionError:
            raise ValueError(
                "corrupt kvsim snapshot: the JSON text is nested too deeply to read"
            ) from None
        except ValueError:
            raise ValueError("not a kvsim snapshot: the text is not JSON") from None
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ValueError("not a kvsim snapshot: the 'format' field is missing or foreign")
    version = data.get("version")
    if type(version) is not int or version not in (1, VERSION):
        raise ValueError(
            f"unsupported kvsim snapshot version {shown(version)}; "
            f"this kvsim reads {VERSION} (and 1)"
        )
    check_depth(data)
    if version == 1:
        migrated = _migrate_v1(data)
        try:
            valid = check(migrated)
        except Corrupt as error:
            raise Corrupt(_v1_place(error.where), _v1_place(error.problem)) from None
    else:
        valid = check(data)
    return _build(valid, simulator_class)


_SETTINGS = ("seed", "start", "limits", "timings", "trace_limit")


def _rng_setstate(rng: random.Random, state: list[Any]) -> None:
    rng.setstate((state[0], tuple(state[1]), state[2]))


def _build(valid: Valid, simulator_class: type[Simulator]) -> Simulator:
    # Everything was checked: nothing past the Simulator's own checks may fail.
    data = valid.data
    try:
        sim = simulator_class(
            seed=data["seed"],
            start=valid.start,
            limits=valid.limits,
            timings=valid.timings,
            trace_limit=data["trace_limit"],
        )
    except (TypeError, ValueError) as error:
        # A setting the checks let through but this kvsim's Simulator refuses
        # (its messages start with the argument's name).
        name = str(error).partition(" ")[0]
        raise Corrupt(name if name in _SETTINGS else "settings", str(error)) from None
    runtime = sim.runtime
    world = runtime.world
    world.now_ms = data["now_ms"]
    runtime.calls = data["calls"]
    _rng_setstate(world.rng, data["rng"])
    _rng_setstate(sim.faults.rng, data["fault_rng"])
    sim.faults.rules.extend(valid.faults)
    runtime.credentials.update(
        (key, Principal.from_json(key, value)) for key, value in data["credentials"].items()
    )
    for region_data in data["regions"]:
        region = world.region(region_data["account_id"], region_data["region_name"])
        resources = region_data["resources"]
        for name, family in FAMILIES.items():  # in registry order: streams before their parts
            if name in resources:
                family.load(region, resources[name])
        region.buckets.update(
            {op: [float(b[0]), int(b[1])] for op, b in region_data["buckets"].items()}
        )
    for due, seq, transition_name, account_id, region_name, family, key in data["queue"]:
        transition = TRANSITIONS[transition_name]
        resource = FAMILIES[family].find(world.regions[(account_id, region_name)], key)
        world.queue.push_at(due, seq, (resource, transition))
        setattr(resource, transition.slot, seq)
    world.queue.set_last_seq(data["queue_seq"])
    world.check()
    return sim
