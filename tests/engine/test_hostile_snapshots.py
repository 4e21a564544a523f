"""Hostile snapshots: every defect is a ``ValueError`` naming the field it found it in.

Each case mutates one thing in a valid snapshot of a busy world (streams in
every status, tags, endpoints, buckets, fault rules, credentials) and checks
that restoring it, as a dict and as JSON text, fails with
``corrupt kvsim snapshot: <path>: <problem>`` before anything is built.
"""

from __future__ import annotations

import copy
import json
import subprocess
import sys
import textwrap
from typing import Any

import pytest
from snapshot_worlds import (
    CHANGING,
    DOOMED,
    FAR,
    FRESH,
    STEADY,
    Mutation,
    also,
    busy_snapshot,
    drop,
    get,
    put,
    where,
)

import kvsim

PREFIX = "corrupt kvsim snapshot: "
NOW = busy_snapshot()["now_ms"]
AFTER_9999 = 253_402_300_800_000
NAN = float("nan")


def _queue_of(index: int) -> list[Any]:
    entry: list[Any] = busy_snapshot()["queue"][index]
    return entry


def _nested(depth: int) -> Any:
    value: Any = "bottom"
    for _ in range(depth):
        value = [value]
    return value


def _cycle(data: dict[str, Any]) -> None:
    tags = get(data, (*STEADY, "tags"))
    tags["self"] = tags


def _region_twice(data: dict[str, Any]) -> None:
    data["regions"].append(copy.deepcopy(data["regions"][1]))


def _steady_is_changing(data: dict[str, Any]) -> None:
    streams = get(data, STEADY[:-1])
    streams[3] = copy.deepcopy(streams[0])
    streams[3]["pending"] = 0
    streams[3]["status"] = "ACTIVE"


def _arn(account: str, region: str, name: str, ms: int, partition: str = "aws") -> str:
    return f"arn:{partition}:kinesisvideo:{region}:{account}:stream/{name}/{ms}"


STEADY_MS = busy_snapshot()["regions"][1]["resources"]["streams"][3]["created_ms"]

# (mutation, the path the message must name, a fragment of the problem)
CASES: list[tuple[Mutation, str, str]] = [
    # -- top-level fields: ints are ints, within range -----------------------------------
    (put(("seed",), 1.5), "seed", "int"),
    (put(("seed",), True), "seed", "int"),
    (put(("seed",), "11"), "seed", "int"),
    (put(("now_ms",), float(NOW)), "now_ms", "int"),
    (put(("now_ms",), str(NOW)), "now_ms", "int"),
    (put(("now_ms",), True), "now_ms", "int"),
    (put(("now_ms",), -1), "now_ms", "1970"),
    (put(("now_ms",), 10**20), "now_ms", "9999"),
    (put(("now_ms",), AFTER_9999), "now_ms", "9999"),
    (put(("calls",), -1), "calls", ">= 0"),
    (put(("calls",), 16.0), "calls", "int"),
    (put(("start",), "yesterday"), "start", "date"),
    (put(("start",), "2026-01-01T00:00:00"), "start", "time zone"),
    (put(("start",), "1969-12-31T00:00:00+00:00"), "start", "1970"),
    (put(("start",), 20260101), "start", "str"),
    (put(("start",), "2026-01-02T00:00:00+00:00"), "now_ms", "start"),
    (drop(("calls",)), "calls", "missing"),
    (put(("extra",), 1), "extra", "unknown field"),
    (put(("trace_limit",), -1), "trace_limit", ">= 0"),
    (put(("trace_limit",), 1.5), "trace_limit", "int"),
    (put(("trace_limit",), "50"), "trace_limit", "int"),
    # -- the sequence counter -------------------------------------------------------------
    (put(("queue_seq",), 6), "queue_seq", "7"),
    (put(("queue_seq",), 0), "queue_seq", "7"),
    (put(("queue_seq",), -1), "queue_seq", ">= 0"),
    (put(("queue_seq",), "7"), "queue_seq", "int"),
    # -- random sources --------------------------------------------------------------------
    (put(("rng",), None), "rng", "list"),
    (put(("rng", 0), 2), "rng[0]", "3"),
    (put(("rng", 1), [0] * 624), "rng[1]", "625"),
    (put(("rng", 1), "state"), "rng[1]", "list"),
    (put(("rng", 1, 5), -1), "rng[1][5]", ">= 0"),
    (put(("rng", 1, 5), 2**32), "rng[1][5]", "4294967295"),
    (put(("rng", 1, 5), 1.0), "rng[1][5]", "int"),
    (put(("rng", 1, 624), 625), "rng[1][624]", "624"),
    (put(("rng", 2), "x"), "rng[2]", "float"),
    (put(("fault_rng",), [3, [0] * 625]), "fault_rng", "3 items"),
    (put(("fault_rng", 2), NAN), "fault_rng[2]", "finite"),
    # -- credentials ----------------------------------------------------------------------
    (put(("credentials",), [["AKIDSNAP", "111122223333"]]), "credentials", "object"),
    (put(("credentials", "AKIDSNAP"), "1111"), "credentials.AKIDSNAP", "12 digits"),
    (put(("credentials", "AKIDSNAP"), 111122223333), "credentials.AKIDSNAP", "12 digits"),
    (put(("credentials", ""), "111122223333"), "credentials['']", "empty"),
    # -- limits and timings: whatever their from_json refuses ---------------------------
    (put(("limits",), "default"), "limits", "object"),
    (put(("limits", "max_tags_per_resource"), -1), "limits", "max_tags_per_resource"),
    (put(("limits", "max_tags_per_resource"), "50"), "limits", "max_tags_per_resource"),
    (put(("limits", "bogus"), 1), "limits", "bogus"),
    (put(("limits", "rates"), [["DescribeStream", 1, 1]]), "limits.rates", "object"),
    (put(("limits", "rates", "DescribeStream"), [100]), "limits.rates.DescribeStream", "2"),
    (put(("limits", "rates", "DescribeStream", 0), "fast"), "limits", "DescribeStream"),
    (put(("limits", "rates", "Teleport"), [1, 1]), "limits", "Teleport"),
    (put(("timings",), [3.0]), "timings", "object"),
    (put(("timings", "create_delay"), -1), "timings", "create_delay"),
    (put(("timings", "create_delay"), "3"), "timings", "create_delay"),
    (put(("timings", "warp"), 1), "timings", "warp"),
    # -- fault rules ----------------------------------------------------------------------
    (put(("faults",), {}), "faults", "list"),
    (put(("faults", 1), "rule"), "faults[1]", "object"),
    (put(("faults", 1, "probability"), "0.5"), "faults[1].probability", "number"),
    (put(("faults", 1, "probability"), 0), "faults[1].probability", "(0, 1]"),
    (put(("faults", 1, "probability"), 1.5), "faults[1].probability", "(0, 1]"),
    (put(("faults", 1, "probability"), NAN), "faults[1].probability", "(0, 1]"),
    (put(("faults", 1, "probability"), True), "faults[1].probability", "number"),
    (put(("faults", 2, "latency_ms"), -5), "faults[2].latency_ms", ">= 0"),
    (put(("faults", 2, "latency_ms"), 2.5), "faults[2].latency_ms", "int"),
    (put(("faults", 2, "times"), -1), "faults[2].times", ">= 0"),
    (put(("faults", 2, "times"), "2"), "faults[2].times", "int"),
    (put(("faults", 1, "error"), "NoSuchException"), "faults[1].error", "NoSuchException"),
    (put(("faults", 1, "error"), 3), "faults[1].error", "str"),
    (put(("faults", 1, "operation"), "Teleport"), "faults[1].operation", "Teleport"),
    (put(("faults", 1, "operation"), ["x"]), "faults[1].operation", "str"),
    (put(("faults", 0, "account_id"), 5), "faults[0].account_id", "str"),
    (put(("faults", 0, "message"), 5), "faults[0].message", "str"),
    (drop(("faults", 0, "times")), "faults[0].times", "missing"),
    (put(("faults", 0, "when"), "now"), "faults[0].when", "unknown field"),
    # -- regions and their buckets ------------------------------------------------------
    (put(("regions",), {}), "regions", "list"),
    (put(("regions", 0), []), "regions[0]", "object"),
    (put(("regions", 0, "account_id"), "1111"), "regions[0].account_id", "12 digits"),
    (put(("regions", 0, "account_id"), 111122223333), "regions[0].account_id", "12 digits"),
    (put(("regions", 0, "region_name"), "EU-WEST"), "regions[0].region_name", "us-east-1"),
    (_region_twice, "regions[2]", "twice"),
    (put(("regions", 0, "devices"), {}), "regions[0].devices", "unknown field"),
    (drop(("regions", 0, "buckets")), "regions[0].buckets", "missing"),
    (put(("regions", 0, "resources", "gadgets"), []), "regions[0].resources.gadgets", "family"),
    (put(("regions", 0, "resources"), []), "regions[0].resources", "object"),
    (put(("regions", 0, "resources", "streams"), {}), "regions[0].resources.streams", "list"),
    (put(("regions", 1, "buckets", "ListStreams"), [49]), "regions[1].buckets.ListStreams", "2"),
    (put(("regions", 1, "buckets", "ListStreams", 0), "49"), "regions[1].buckets.ListStreams[0]", "number"),
    (put(("regions", 1, "buckets", "ListStreams", 0), NAN), "regions[1].buckets.ListStreams[0]", "finite"),
    (put(("regions", 1, "buckets", "ListStreams", 0), -1), "regions[1].buckets.ListStreams[0]", ">= 0"),
    (put(("regions", 1, "buckets", "ListStreams", 1), NOW + 1), "regions[1].buckets.ListStreams[1]", "now_ms"),
    (put(("regions", 1, "buckets", "ListStreams", 1), 1.7e12), "regions[1].buckets.ListStreams[1]", "int"),
    (put(("regions", 1, "buckets", "Teleport"), [1, NOW]), "regions[1].buckets.Teleport", "operation"),
    # -- streams --------------------------------------------------------------------------
    (put(STEADY, "steady"), where(STEADY), "object"),
    (put((*STEADY, "status"), None), where((*STEADY, "status")), "not one of"),
    (put((*STEADY, "status"), "active"), where((*STEADY, "status")), "not one of"),
    (put((*STEADY, "status"), "CREATING"), where((*STEADY, "pending")), "CREATING"),
    (put((*STEADY, "pending"), 3), where((*STEADY, "pending")), "ACTIVE"),
    (put((*FRESH, "pending"), 0), where((*FRESH, "pending")), "CREATING"),
    (put((*FRESH, "pending"), -7), where((*FRESH, "pending")), ">= 0"),
    (put((*FRESH, "pending"), "7"), where((*FRESH, "pending")), "int"),
    (
        also(put((*FRESH, "pending"), 9), put(("queue_seq",), 9)),
        "queue[2][1]",
        "pending",
    ),
    (drop(("queue", 1)), where((*CHANGING, "pending")), "no queue entry"),
    (_steady_is_changing, where((*STEADY, "name")), "twice"),
    (put((*STEADY, "arn"), _arn("111122223333", "us-east-1", "steady", STEADY_MS)), where((*STEADY, "arn")), "123456789012"),
    (put((*STEADY, "arn"), _arn("123456789012", "eu-west-1", "steady", STEADY_MS)), where((*STEADY, "arn")), "us-east-1"),
    (put((*STEADY, "arn"), _arn("123456789012", "us-east-1", "other", STEADY_MS)), where((*STEADY, "arn")), "steady"),
    (put((*STEADY, "arn"), _arn("123456789012", "us-east-1", "steady", STEADY_MS + 1)), where((*STEADY, "arn")), "created_ms"),
    (put((*STEADY, "arn"), _arn("123456789012", "us-east-1", "steady", STEADY_MS, "aws-cn")), where((*STEADY, "arn")), "aws"),
    (put((*STEADY, "arn"), "not an arn"), where((*STEADY, "arn")), "ARN"),
    (put((*STEADY, "arn"), 5), where((*STEADY, "arn")), "str"),
    (put((*STEADY, "name"), "bad name!"), where((*STEADY, "name")), "pattern"),
    (put((*STEADY, "name"), ""), where((*STEADY, "name")), "length"),
    (put((*STEADY, "created_ms"), NOW + 1), where((*STEADY, "created_ms")), "now_ms"),
    (put((*STEADY, "created_ms"), float(STEADY_MS)), where((*STEADY, "created_ms")), "int"),
    (put((*STEADY, "created_ms"), -1), where((*STEADY, "created_ms")), "1970"),
    (put((*STEADY, "version"), "not valid!"), where((*STEADY, "version")), "pattern"),
    (put((*STEADY, "version"), ""), where((*STEADY, "version")), "length"),
    (put((*STEADY, "version"), 12345), where((*STEADY, "version")), "str"),
    (put((*STEADY, "version"), "a" * 65), where((*STEADY, "version")), "length"),
    (put((*STEADY, "device"), 5), where((*STEADY, "device")), "str"),
    (put((*STEADY, "device"), "bad device!"), where((*STEADY, "device")), "pattern"),
    (put((*CHANGING, "media_type"), "video"), where((*CHANGING, "media_type")), "pattern"),
    (put((*CHANGING, "kms_key"), ""), where((*CHANGING, "kms_key")), "length"),
    (put((*CHANGING, "kms_key"), 5), where((*CHANGING, "kms_key")), "str"),
    (put((*DOOMED, "retention"), -1), where((*DOOMED, "retention")), ">= 0"),
    (put((*DOOMED, "retention"), 1.5), where((*DOOMED, "retention")), "int"),
    (put((*DOOMED, "retention"), True), where((*DOOMED, "retention")), "int"),
    (put((*STEADY, "tags"), []), where((*STEADY, "tags")), "object"),
    (put((*STEADY, "tags", "team"), 5), where((*STEADY, "tags", "team")), "str"),
    (put((*STEADY, "tags", ""), "x"), where((*STEADY, "tags", "")), "length"),
    (put((*STEADY, "tags", "bad\nkey"), "x"), where((*STEADY, "tags", "bad\nkey")), "pattern"),
    (put((*STEADY, "tags", "team"), "x" * 257), where((*STEADY, "tags", "team")), "length"),
    (put((*STEADY, "tier"), "COLD"), where((*STEADY, "tier")), "HOT"),
    (put((*STEADY, "tier"), None), where((*STEADY, "tier")), "None is not one of HOT, WARM"),
    (put((*STEADY, "endpoints"), []), where((*STEADY, "endpoints")), "object"),
    (put((*STEADY, "endpoints", "x"), "https://x"), where((*STEADY, "endpoints", "x")), "kind"),
    (put((*STEADY, "endpoints", "s"), "http://evil"), where((*STEADY, "endpoints", "s")), "endpoint"),
    (
        put((*FAR, "endpoints", "s"), "https://s-2f45e678.kinesisvideo.us-east-1.amazonaws.com"),
        where((*FAR, "endpoints", "s")),
        "eu-west-1",
    ),
    (put((*STEADY, "endpoints", "b"), 5), where((*STEADY, "endpoints", "b")), "str"),
    (put((*STEADY, "buckets", "GetDataEndpoint", 1), NOW + 5), where((*STEADY, "buckets", "GetDataEndpoint", 1)), "now_ms"),
    (put((*STEADY, "buckets", "Teleport"), [1, NOW]), where((*STEADY, "buckets", "Teleport")), "operation"),
    (put((*STEADY, "buckets"), None), where((*STEADY, "buckets")), "object"),
    (drop((*STEADY, "tier")), where((*STEADY, "tier")), "missing"),
    (put((*STEADY, "colour"), "red"), where((*STEADY, "colour")), "unknown field"),
    # -- the queue --------------------------------------------------------------------------
    (put(("queue",), {}), "queue", "list"),
    (put(("queue", 0), "x"), "queue[0]", "list"),
    (put(("queue", 0), _queue_of(0)[:6]), "queue[0]", "7 items"),
    (put(("queue", 0, 0), NOW - 1), "queue[0][0]", "now_ms"),
    (put(("queue", 0, 0), 10**20), "queue[0][0]", "9999"),
    (put(("queue", 0, 0), float(NOW + 600)), "queue[0][0]", "int"),
    (put(("queue", 0, 1), 0), "queue[0][1]", ">= 1"),
    (put(("queue", 0, 1), -6), "queue[0][1]", ">= 1"),
    (put(("queue", 0, 1), 5), "queue[0][1]", "pending"),
    (put(("queue", 3), _queue_of(2)), "queue[3][1]", "twice"),
    (
        also(put(("queue", 3), [*_queue_of(2)[:1], 8, *_queue_of(2)[2:]]), put(("queue_seq",), 8)),
        "queue[3][1]",
        "pending",
    ),
    (put(("queue", 0, 2), "stream.exploded"), "queue[0][2]", "stream.exploded"),
    (put(("queue", 0, 2), "stream.created"), "queue[0][2]", "DELETING"),
    (put(("queue", 0, 2), 1), "queue[0][2]", "str"),
    (put(("queue", 0, 3), "999999999999"), "queue[0][3]", "999999999999"),
    (put(("queue", 0, 3), "9"), "queue[0][3]", "12 digits"),
    (put(("queue", 0, 4), "eu-west-1"), "queue[0][3]", "eu-west-1"),
    (put(("queue", 0, 5), "channels"), "queue[0][5]", "channels"),
    (put(("queue", 0, 6), "ghost"), "queue[0][6]", "ghost"),
    (put(("queue", 0, 6), "changing"), "queue[0][2]", "UPDATING"),
    # -- nesting --------------------------------------------------------------------------
    (put((*STEADY, "tags", "deep"), _nested(100)), where((*STEADY, "tags", "deep")), "nested deeper than 64"),
    (put(("rng",), _nested(70)), "rng", "nested deeper than 64"),
    (_cycle, where((*STEADY, "tags", "self")), "nested deeper than 64"),
]  # fmt: skip


def _restore_fails(snapshot: Any) -> str:
    with pytest.raises(ValueError) as info:
        kvsim.Simulator.restore(snapshot)
    return str(info.value)


@pytest.mark.parametrize(
    ("mutate", "path", "problem"), CASES, ids=[case[0].__name__ for case in CASES]
)
def test_a_defect_is_a_value_error_naming_its_place(
    mutate: Mutation, path: str, problem: str
) -> None:
    snapshot = busy_snapshot()
    mutate(snapshot)
    message = _restore_fails(snapshot)
    assert message.startswith(f"{PREFIX}{path}"), message
    rest = message[len(PREFIX) + len(path) :]
    # A place nested too deeply is named down to where the nesting starts.
    assert rest.startswith(": ") or "nested deeper than" in rest, message
    assert problem in rest, message
    try:
        text = json.dumps(snapshot)
    except (TypeError, ValueError):  # a cycle: no text form
        return
    assert _restore_fails(text) == message


def test_a_bogus_status_says_what_and_where() -> None:
    snapshot = busy_snapshot()
    snapshot["regions"][0]["resources"]["streams"][0]["status"] = "BOGUS"
    assert _restore_fails(snapshot) == (
        "corrupt kvsim snapshot: regions[0].resources.streams[0].status: "
        "'BOGUS' is not one of CREATING, ACTIVE, UPDATING, DELETING"
    )


def test_json_text_too_deep_to_parse_is_corrupt() -> None:
    depth = sys.getrecursionlimit() * 20
    text = '{"format": "kvsim.snapshot", "version": 2, "x": ' + "[" * depth + "]" * depth + "}"
    assert _restore_fails(text).startswith(PREFIX)
    assert "nested" in _restore_fails(text)


def test_nothing_is_built_from_a_corrupt_snapshot() -> None:
    built: list[int] = []

    class Counting(kvsim.Simulator):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            built.append(1)
            super().__init__(*args, **kwargs)

    snapshot = busy_snapshot()
    snapshot["queue"][0][0] = NOW - 1
    with pytest.raises(ValueError, match="queue"):
        Counting.restore(snapshot)
    assert built == []
    assert isinstance(Counting.restore(busy_snapshot()), Counting)


# -- version 1 snapshots name their own places -------------------------------------------


def _version_1() -> dict[str, Any]:
    snapshot = busy_snapshot()
    kinds = ("stream.created", "stream.updated", "stream.deleted")
    snapshot["version"] = 1
    snapshot["queue"] = [
        [due, seq, account, region, key, kinds.index(transition)]
        for due, seq, transition, account, region, _family, key in snapshot["queue"]
    ]
    snapshot["regions"] = [
        {
            "account_id": region["account_id"],
            "region_name": region["region_name"],
            "streams": region["resources"]["streams"],
            "devices": {},
            "buckets": region["buckets"],
        }
        for region in snapshot["regions"]
    ]
    return snapshot


V1_CASES: list[tuple[Mutation, str, str]] = [
    (put(("queue", 0), [1, 2, 3, 4, 5]), "queue[0]", "6 items"),
    (put(("queue", 0, 5), 3), "queue[0][5]", "3"),
    (put(("queue", 0, 0), NOW - 1), "queue[0][0]", "now_ms"),
    (put(("queue", 0, 4), "ghost"), "queue[0][4]", "ghost"),
    (put(("queue", 0, 5), 0), "queue[0][5]", "DELETING"),
    (drop(("regions", 0, "streams")), "regions[0].streams", "missing"),
    (put(("regions", 1, "streams", 3, "status"), "BOGUS"), "regions[1].streams[3].status", "BOGUS"),
    (put(("regions", 1, "streams", 2, "pending"), 0), "regions[1].streams[2].pending", "CREATING"),
    (put(("regions", 0, "extra"), 0), "regions[0].extra", "unknown field"),
]  # fmt: skip


def test_the_version_1_form_is_valid() -> None:
    restored = kvsim.Simulator.restore(_version_1())
    assert restored.snapshot() == busy_snapshot()


@pytest.mark.parametrize(
    ("mutate", "path", "problem"), V1_CASES, ids=[case[0].__name__ for case in V1_CASES]
)
def test_a_version_1_defect_names_its_version_1_place(
    mutate: Mutation, path: str, problem: str
) -> None:
    snapshot = _version_1()
    mutate(snapshot)
    message = _restore_fails(snapshot)
    assert message.startswith(f"{PREFIX}{path}: "), message
    assert problem in message[len(PREFIX) + len(path) :], message


# -- python -O refuses the same snapshots ---------------------------------------------------

_OPTIMIZED = """
import json, sys
import kvsim
assert sys.flags.optimize == 1
snapshot = json.loads(sys.stdin.read())
try:
    kvsim.Simulator.restore(snapshot)
except ValueError as error:
    print(error)
else:
    print("accepted")
"""


@pytest.mark.parametrize(
    "mutate",
    [
        put((*STEADY, "status"), "BOGUS"),
        put(("queue", 0, 0), NOW - 1),
        put(("now_ms",), AFTER_9999),
        put(("queue_seq",), 6),
    ],
    ids=lambda mutate: mutate.__name__,
)
def test_python_dash_o_refuses_the_same_snapshots(mutate: Mutation) -> None:
    snapshot = busy_snapshot()
    mutate(snapshot)
    expected = _restore_fails(snapshot)
    result = subprocess.run(
        [sys.executable, "-O", "-c", textwrap.dedent(_OPTIMIZED)],
        input=json.dumps(snapshot),
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == expected
