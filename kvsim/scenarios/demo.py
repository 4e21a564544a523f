"""The built-in demo scenario of ``kvsim run``: one stream's life in the simulator.

It creates a stream (CREATING → ACTIVE), tries to create it again
(ResourceInUseException), bumps its version with UpdateStream, stores 6 s
of generated video in it (three fragments of 2 s, sent in real time), reads
them back as an MP4 clip (GetClip) and opens an HLS session on them
(GetHLSStreamingSessionURL), bursts DescribeStream past the 5 TPS per-stream
rate (ClientLimitExceededException) and deletes it. ``{"$last": ...}`` passes the seeded version and the ARN on,
so the demo works with any seed.

>>> from kvsim.scenarios.steps import load_scenario
>>> len(load_scenario(DEMO_SCENARIO)) == len(DEMO_SCENARIO)
True
"""

from __future__ import annotations

from typing import Any

__all__ = ["BURST", "DEMO_SCENARIO", "demo_scenario"]

#: How many DescribeStream calls the throttling burst makes back to back.
BURST = 8

_NAME = {"StreamName": "cam-1"}
#: The demo's video by producer time: it is sent from t=3.2 s for 6 s.
_VIDEO = {
    "FragmentSelectorType": "PRODUCER_TIMESTAMP",
    "TimestampRange": {
        "StartTimestamp": "2026-01-01T00:00:00Z",
        "EndTimestamp": "2026-01-01T00:00:10Z",
    },
}


def _call(call: str, **args: Any) -> dict[str, Any]:
    return {"call": call, "args": args}


def demo_scenario() -> list[dict[str, Any]]:
    """A fresh copy of the demo scenario, as scenario JSON."""
    return [
        _call("create_stream", StreamName="cam-1", DataRetentionInHours=24),
        _call("describe_stream", **_NAME),
        _call("create_stream", StreamName="cam-1"),
        {"advance": 2},
        _call("describe_stream", **_NAME),
        _call(
            "update_stream",
            StreamName="cam-1",
            CurrentVersion={"$last": "StreamInfo.Version"},
            MediaType="video/h264",
        ),
        _call("describe_stream", **_NAME),
        {"run_until_idle": True},
        {"put_fragments": "cam-1", "count": 3, "duration": 2.0},
        _call("get_clip", **_NAME, ClipFragmentSelector=_VIDEO),
        _call(
            "get_hls_streaming_session_url",
            **_NAME,
            PlaybackMode="ON_DEMAND",
            HLSFragmentSelector=_VIDEO,
        ),
        *[_call("describe_stream", **_NAME) for _ in range(BURST)],
        _call("delete_stream", StreamARN={"$last": "StreamInfo.StreamARN"}),
        _call("describe_stream", **_NAME),
        {"run_until_idle": True},
        _call("describe_stream", **_NAME),
        _call("list_streams"),
    ]


#: The demo scenario as scenario JSON (a list of step objects).
DEMO_SCENARIO: list[dict[str, Any]] = demo_scenario()
