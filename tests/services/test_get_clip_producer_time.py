"""GetClip over a server-time range after producer time went back (no PyAV needed)."""

from __future__ import annotations

import kvsim
from kvsim.testing.stateful.playback_model import top_level_boxes


def test_a_server_time_clip_stops_where_producer_time_goes_back() -> None:
    # Regression: a fragment whose producer time lay before the clip's first one
    # made GetClip fail inside the MP4 packager (ValueError, an HTTP 500).
    sim = kvsim.Simulator(seed=0, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    start = sim.now
    sim.put_fragments("cam", count=2, duration=1.0, frame_rate=1.0, frame_size=8)
    sim.put_fragments("cam", count=2, duration=1.0, frame_rate=1.0, frame_size=8, producer_start=0)
    archive = sim.client("kinesis-video-archived-media")
    clip = archive.get_clip(
        StreamName="cam",
        ClipFragmentSelector={
            "FragmentSelectorType": "SERVER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": start, "EndTimestamp": sim.now},
        },
    )
    boxes = top_level_boxes(clip["Payload"].read())
    assert boxes[:2] == [b"ftyp", b"moov"] and boxes.count(b"moof") == 2
    # By producer time the same four fragments start with the two sent at 1970.
    clip = archive.get_clip(
        StreamName="cam",
        ClipFragmentSelector={
            "FragmentSelectorType": "PRODUCER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": 0, "EndTimestamp": 86_400},
        },
    )
    assert top_level_boxes(clip["Payload"].read()).count(b"moof") == 2
