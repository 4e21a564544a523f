"""Busy worlds and path helpers for the hostile-snapshot tests (importable as
``snapshot_worlds``: pytest puts this directory on ``sys.path`` for its test modules)."""

from __future__ import annotations

import contextlib
import copy
from collections.abc import Callable
from typing import Any

import kvsim

US, EU = ("123456789012", "us-east-1"), ("111122223333", "eu-west-1")

#: Paths into :func:`busy_snapshot`: regions sort by account, so the EU one comes first.
EU_STREAMS: tuple[Any, ...] = ("regions", 0, "resources", "streams")
US_STREAMS: tuple[Any, ...] = ("regions", 1, "resources", "streams")
FAR = (*EU_STREAMS, 0)  # ACTIVE, WARM, a media endpoint
CHANGING = (*US_STREAMS, 0)  # UPDATING, a KMS key, a media type
DOOMED = (*US_STREAMS, 1)  # DELETING
FRESH = (*US_STREAMS, 2)  # CREATING
STEADY = (*US_STREAMS, 3)  # ACTIVE, tags, both endpoints, a stream bucket

Path = tuple[Any, ...]
Mutation = Callable[[dict[str, Any]], None]


def busy_world(seed: int = 11, trace_limit: int | None = 50) -> kvsim.Simulator:
    """Two accounts' streams in every status, with tags, endpoints of both kinds,
    account and stream rate buckets, fault rules (one used up), rate overrides,
    custom timings and credentials."""
    sim = kvsim.Simulator(
        seed=seed,
        limits=kvsim.Limits(max_streams_per_device=3, rates={"DescribeStream": (100, 4)}),
        timings=kvsim.Timings(create_delay=3.0, update_delay=1.5),
        trace_limit=trace_limit,
    )
    kv = sim.client("kinesisvideo", region_name=US[1], account_id=US[0])
    eu = sim.client("kinesisvideo", region_name=EU[1], account_id=EU[0])
    sim.register_credentials("AKIDSNAP", EU[0])
    sim.register_credentials("AKIDHOME", US[0])
    kv.create_stream(
        StreamName="steady", DeviceName="cam", Tags={"team": "a", "cost:centre": "b 1"}
    )
    kv.create_stream(StreamName="doomed", DeviceName="cam", DataRetentionInHours=24)
    kv.create_stream(StreamName="changing", MediaType="video/h264", KmsKeyId="alias/mine")
    eu.create_stream(
        StreamName="far",
        DeviceName="door",
        StreamStorageConfiguration={"DefaultStorageTier": "WARM"},
    )
    sim.faults.add("list_streams", "ClientLimitExceededException", times=1, region_name=US[1])
    with contextlib.suppress(kvsim.ClientError):
        kv.list_streams()  # uses the rule up: it is saved with times 0
    sim.advance(5)
    info = {n: kv.describe_stream(StreamName=n)["StreamInfo"] for n in ("doomed", "changing")}
    kv.update_stream(
        StreamName="changing", CurrentVersion=info["changing"]["Version"], DeviceName="cam2"
    )
    kv.delete_stream(StreamARN=info["doomed"]["StreamARN"])
    kv.get_data_endpoint(StreamName="steady", APIName="GET_MEDIA")
    kv.get_data_endpoint(StreamName="steady", APIName="LIST_FRAGMENTS")
    eu.get_data_endpoint(StreamName="far", APIName="PUT_MEDIA")
    kv.create_stream(StreamName="fresh", DeviceName="cam")
    for _ in range(3):
        kv.list_streams()
    sim.faults.add("describe_stream", "ClientLimitExceededException", probability=0.5)
    sim.faults.add_latency("create_stream", 0.25, times=2, account_id=US[0], stream_name="later")
    return sim


def busy_snapshot() -> dict[str, Any]:
    """A fresh copy of :func:`busy_world`'s snapshot (built once)."""
    return copy.deepcopy(_BUSY)


_BUSY = busy_world().snapshot()


def where(path: Path) -> str:
    """How a snapshot error names ``path``: ``regions[1].resources.streams[3].status``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        elif part.isidentifier():
            text += f".{part}" if text else part
        else:
            text += f"[{part!r}]"
    return text


def get(data: Any, path: Path) -> Any:
    for part in path:
        data = data[part]
    return data


def put(path: Path, value: Any) -> Mutation:
    """Set ``path`` (a new key, or the item after a list's last, too) to a copy of ``value``."""

    def mutate(data: dict[str, Any]) -> None:
        container = get(data, path[:-1])
        if isinstance(container, list) and path[-1] == len(container):
            container.append(copy.deepcopy(value))
        else:
            container[path[-1]] = copy.deepcopy(value)

    mutate.__name__ = f"{where(path)}={value!r}"[:60]
    return mutate


def drop(path: Path) -> Mutation:
    """Delete the key or list item at ``path``."""

    def mutate(data: dict[str, Any]) -> None:
        del get(data, path[:-1])[path[-1]]

    mutate.__name__ = f"del {where(path)}"
    return mutate


def also(*mutations: Mutation) -> Mutation:
    """Several mutations in order."""

    def mutate(data: dict[str, Any]) -> None:
        for mutation in mutations:
            mutation(data)

    mutate.__name__ = " & ".join(m.__name__ for m in mutations)
    return mutate
