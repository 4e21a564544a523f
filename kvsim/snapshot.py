"""Snapshots: the whole world as versioned, JSON-serialisable data, and back.

A snapshot holds everything that decides future outcomes: the clock, the
queue of changes (with their sequence numbers), both random sources, the call
counter, every account's streams, devices and rate buckets, the fault rules,
limits, timings and credentials. Restoring it and making the same calls gives
the same outcomes as on the original.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from .config import Limits, Timings
from .faults import Fault
from .state import Region, Stream

if TYPE_CHECKING:
    from .simulator import Simulator

__all__ = ["FORMAT", "VERSION", "dump", "load"]

FORMAT = "kvsim.snapshot"
VERSION = 1


def _rng_state(state: tuple[Any, ...]) -> list[Any]:
    return [state[0], list(state[1]), state[2]]


def dump(sim: Simulator) -> dict[str, Any]:
    """The snapshot of ``sim`` (call with its lock held)."""
    world = sim._world
    queue = [
        [due, seq, stream.region.account_id, stream.region.name, stream.name, kind]
        for due, seq, (stream, kind) in world.queue.ordered()
        if stream.pending == seq
    ]
    return {
        "format": FORMAT,
        "version": VERSION,
        "seed": sim.seed,
        "now_ms": world.now_ms,
        "calls": sim._calls,
        "start": sim.start.isoformat(),
        "limits": sim.limits.to_json(),
        "timings": sim.timings.to_json(),
        "trace_limit": sim._trace.limit,
        "rng": _rng_state(world.rng.getstate()),
        "fault_rng": _rng_state(sim.faults.rng.getstate()),
        "faults": [rule.to_json() for rule in sim.faults.rules],
        "credentials": dict(sorted(sim._credentials.items())),
        "queue_seq": world.queue.last_seq,
        "queue": queue,
        "regions": [
            {
                "account_id": region.account_id,
                "region_name": region.name,
                "streams": [s.dump() for s in region.streams.values()],
                "devices": dict(sorted(region.devices.items())),
                "buckets": {op: list(b) for op, b in sorted(region.buckets.items())},
            }
            for _key, region in sorted(world.regions.items())
        ],
    }


def _restore_stream(region: Region, data: Mapping[str, Any]) -> Stream:
    stream = Stream(
        region,
        data["name"],
        data["arn"],
        int(data["created_ms"]),
        data["version"],
        device=data["device"],
        media_type=data["media_type"],
        kms_key=data["kms_key"],
        retention=int(data["retention"]),
        tags=dict(data["tags"]) or None,
        tier=data["tier"],
    )
    stream.status = data["status"]
    stream.endpoints = dict(data["endpoints"]) or None
    stream.buckets = {op: [float(b[0]), int(b[1])] for op, b in data["buckets"].items()} or None
    return stream


def load(data: Mapping[str, Any] | str | bytes, simulator_class: type[Simulator]) -> Simulator:
    """Rebuild a simulator from :func:`dump` output (or its JSON text)."""
    if isinstance(data, str | bytes):
        try:
            data = json.loads(data)
        except ValueError:
            raise ValueError("not a kvsim snapshot: the text is not JSON") from None
    if not isinstance(data, Mapping) or data.get("format") != FORMAT:
        raise ValueError("not a kvsim snapshot: the 'format' field is missing or foreign")
    if data.get("version") != VERSION:
        raise ValueError(
            f"unsupported kvsim snapshot version {data.get('version')!r}; this kvsim reads {VERSION}"
        )
    try:
        return _load(data, simulator_class)
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
    world = sim._world
    world.now_ms = int(data["now_ms"])
    sim._calls = int(data["calls"])
    rng = data["rng"]
    world.rng.setstate((rng[0], tuple(rng[1]), rng[2]))
    fault_rng = data["fault_rng"]
    sim.faults.rng.setstate((fault_rng[0], tuple(fault_rng[1]), fault_rng[2]))
    sim.faults.rules.extend(Fault.from_json(rule) for rule in data["faults"])
    sim._credentials.update(data["credentials"])
    for region_data in data["regions"]:
        region = world.region(region_data["account_id"], region_data["region_name"])
        for stream_data in region_data["streams"]:
            stream = _restore_stream(region, stream_data)
            region.streams[stream.name] = stream
            region.by_arn[stream.arn] = stream
        region.devices.update(region_data["devices"])
        region.buckets.update(
            {op: [float(b[0]), int(b[1])] for op, b in region_data["buckets"].items()}
        )
    for due, seq, account_id, region_name, name, kind in data["queue"]:
        stream = world.regions[(account_id, region_name)].streams[name]
        world.queue.push_at(int(due), int(seq), (stream, int(kind)))
        stream.pending = int(seq)
    world.queue.set_last_seq(int(data["queue_seq"]))
    world.check()
    return sim
