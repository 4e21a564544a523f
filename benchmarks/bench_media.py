"""Media on the virtual clock (issue 12): ingestion, ListFragments, expiry, memory.

``media``: in a stream of *n* generated fragments (10^6 in the full plan,
10^5 with ``--quick``; 2 s each, one shared payload):

- ingestion: ``sim.put_fragments`` of *n* fragments, fragments per second
  (10-year retention: nothing expires while it fills);
- list page: one ``list_fragments(MaxResults=1000)`` by server-time range in
  the middle of the stream, through the facade (throttling off), ms per page;
- expiry: ``sim.advance`` past the retention, which drops all *n* in batches,
  fragments per second;
- memory: ``tracemalloc`` bytes per stored fragment (payload shared);
- GetMediaForFragmentList of 100 generated fragments (2 s at 30 frames/s of
  1 KiB: a 6.2 MB body) through a boto3 client of ``kvsim.boto`` on the
  stream's endpoint, read to the end, beside botocore's floor for the same
  response: the same client whose ``before-send`` hook returns a prebuilt
  ``AWSResponse`` of the same bytes (``io.BytesIO``); the ratio of the medians.

``packaging``: packaging stored fragments without re-encoding, what GetClip
and HLS sessions do on every call. 200 generated fragments (GetClip's cap)
of 2 s at 30 frames/s, 4 KiB frames (a 640x360 H.264 stream at about
1 Mbit/s; the payload is copied per frame like real frames), 49 MB of
frames in all:

- ``mp4_clip_200x2s``: ``kvsim.media.mp4.fragmented_mp4`` of the 200
  fragments (init segment and one moof + mdat per fragment), ms per clip;
- ``ts_segment``: ``kvsim.media.mpegts.ts_segment`` of each of the 200
  fragments, one HLS MPEG-TS segment each, ms for all 200.

``testvideo``: ``kvsim.media.testvideo.h264_test_video`` of 60 s at 30
frames/s, 640x360, without and with its AAC track, in seconds of video made
per wall second (issue 13's goal: 50x real time); and a GetImages page of 25
JPEG images of 640x360 H.264 (one keyframe a second, samples 400 ms apart),
through the facade, ms per page.

Each figure is the median of the plan's repetitions after one warm-up.
"""

from __future__ import annotations

import gc
import statistics
import sys
import time
import tracemalloc
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_media.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kvsim
from benchmarks.harness import SEED, Context, Target

#: Ten years: nothing expires while the stream is filled.
_RETENTION_HOURS = 87_600

SCENARIOS = {
    "media": "put_fragments, a ListFragments page of 1,000, expiry, memory per fragment",
    "packaging": "fragmented MP4 (GetClip) and MPEG-TS segments of 200 fragments of 2 s",
    "testvideo": "h264_test_video of 60 s at 640x360 (x real time), a GetImages page of 25",
}

#: GetClip's cap, and issue 13's goal for packaging it (ms).
_CLIP_FRAGMENTS = 200
_CLIP_GOAL_MS = 100


def _world() -> kvsim.Simulator:
    sim = kvsim.Simulator(
        SEED,
        timings=kvsim.Timings(call_latency=0),
        limits=kvsim.Limits(throttling=False),
        trace_limit=0,  # the page, not the trace's copy of it
    )
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=_RETENTION_HOURS)
    sim.advance(5)
    return sim


def measure(count: int, reps: int) -> dict[str, float]:
    """The medians of one size."""
    ingest, pages, expiry, memory = [], [], [], []
    for rep in range(reps + 1):
        sim = _world()
        started = time.perf_counter()
        batch = sim.put_fragments("cam", count=count, duration=2.0)
        elapsed = time.perf_counter() - started
        archive = sim.client("kinesis-video-archived-media")
        middle = batch.server_start + timedelta(seconds=count)  # half-way
        selector = {
            "FragmentSelectorType": "SERVER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": middle, "EndTimestamp": sim.now},
        }
        page_times = []
        for _ in range(20):
            t = time.perf_counter()
            found = archive.list_fragments(
                StreamName="cam", MaxResults=1000, FragmentSelector=selector
            )
            page_times.append(time.perf_counter() - t)
        assert len(found["Fragments"]) == min(1000, count // 2)
        t = time.perf_counter()
        sim.advance(_RETENTION_HOURS * 3600 + 60)
        dropped = time.perf_counter() - t
        assert archive.list_fragments(StreamName="cam")["Fragments"] == []
        if rep == 0:
            continue  # warm-up
        ingest.append(count / elapsed)
        pages.append(statistics.median(page_times) * 1000)
        expiry.append(count / dropped)
    # Memory: what one more put of ``count`` fragments allocates (the payload is shared).
    sim = _world()
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    sim.put_fragments("cam", count=count, duration=2.0)
    memory.append((tracemalloc.get_traced_memory()[0] - before) / count)
    tracemalloc.stop()
    return {
        "fragments": count,
        "ingest_per_s": statistics.median(ingest),
        "list_page_ms": statistics.median(pages),
        "expiry_per_s": statistics.median(expiry),
        "bytes_per_fragment": statistics.median(memory),
    }


def fragment_list_vs_floor(reps: int, count: int = 100) -> dict[str, float]:
    """Medians (ms) of GetMediaForFragmentList of ``count`` fragments through
    ``kvsim.boto`` and through botocore's floor for the same bytes, and their ratio."""
    import io

    from botocore.awsrequest import AWSResponse

    import kvsim.boto

    sim = _world()
    sim.put_fragments("cam", count=count)
    kv = kvsim.boto.client(sim)
    url = kv.get_data_endpoint(StreamName="cam", APIName="GET_MEDIA_FOR_FRAGMENT_LIST")[
        "DataEndpoint"
    ]
    archive = kvsim.boto.client(sim, "kinesis-video-archived-media", endpoint_url=url)
    listed = archive.list_fragments(StreamName="cam", MaxResults=count)["Fragments"]
    numbers = sorted((f["FragmentNumber"] for f in listed), key=int)
    data = archive.get_media_for_fragment_list(StreamName="cam", Fragments=numbers)[
        "Payload"
    ].read()
    headers = {"Content-Type": "video/webm", "Content-Length": str(len(data))}
    floor = kvsim.boto.client(sim, "kinesis-video-archived-media", endpoint_url=url)

    def canned(request: Any, **kwargs: Any) -> Any:
        return AWSResponse(request.url, 200, headers, io.BytesIO(data))

    # Registered first: botocore takes the first answer, so kvsim's handler never runs.
    floor.meta.events.register_first("before-send.kinesis-video-archived-media", canned)

    def timed(client: Any) -> float:
        started = time.perf_counter()
        body = client.get_media_for_fragment_list(StreamName="cam", Fragments=numbers)
        got = body["Payload"].read()
        elapsed = time.perf_counter() - started
        assert len(got) == len(data)
        return elapsed

    ours, base = [], []
    for rep in range(max(reps, 1) * 10 + 1):
        a, b = timed(archive), timed(floor)
        if rep:  # the first is a warm-up
            ours.append(a)
            base.append(b)
    kvsim_ms, floor_ms = statistics.median(ours) * 1000, statistics.median(base) * 1000
    return {
        "fragment_list_bytes": len(data),
        "fragment_list_ms": kvsim_ms,
        "fragment_list_floor_ms": floor_ms,
        "fragment_list_ratio": kvsim_ms / floor_ms,
    }


def packaging(reps: int, count: int = _CLIP_FRAGMENTS, frame_size: int = 4096) -> dict[str, float]:
    """Medians (ms) of a GetClip of ``count`` stored fragments of 2 s at 30 frames/s
    through the facade, against its floor in the same process (one ``bytes.join``
    of the same frames: the copy any packager makes); of packaging them as one
    fragmented MP4 directly; and as ``count`` MPEG-TS segments."""
    from datetime import timedelta

    from kvsim.media import generated_fragments
    from kvsim.media.mp4 import fragmented_mp4
    from kvsim.media.mpegts import ts_segment

    header, clusters = generated_fragments(
        count=count, duration=2.0, frame_rate=30, frame_size=frame_size
    )
    frame_bytes = sum(len(f.data) for c in clusters for f in c.frames)
    sim = _world()
    start = sim.now
    sim.put_fragments("cam", count=count, duration=2.0, frame_rate=30, frame_size=frame_size)
    archive = sim.client("kinesis-video-archived-media")
    selector = {
        "FragmentSelectorType": "PRODUCER_TIMESTAMP",
        "TimestampRange": {"StartTimestamp": start, "EndTimestamp": start + timedelta(hours=1)},
    }
    frames = [f.data for c in clusters for f in c.frames]
    clip_times, floor_times, mp4_times, ts_times = [], [], [], []
    clip_size = mp4_size = ts_size = 0
    for rep in range(max(reps, 5) + 1):
        gc.collect()
        started = time.perf_counter()
        payload = archive.get_clip(StreamName="cam", ClipFragmentSelector=selector)["Payload"]
        body = payload.read()
        clip_elapsed = time.perf_counter() - started
        clip_size = len(body)
        del body, payload
        gc.collect()
        started = time.perf_counter()
        floor = b"".join(frames)
        floor_elapsed = time.perf_counter() - started
        del floor
        gc.collect()
        started = time.perf_counter()
        clip = fragmented_mp4(header, clusters, base_ms=clusters[0].timecode_ms)
        mp4_elapsed = time.perf_counter() - started
        mp4_size = len(clip)
        del clip
        gc.collect()
        started = time.perf_counter()
        segments = [ts_segment(header, (c,), sequence_number=n) for n, c in enumerate(clusters)]
        ts_elapsed = time.perf_counter() - started
        ts_size = sum(map(len, segments))
        del segments
        if rep:  # the first is a warm-up
            clip_times.append(clip_elapsed)
            floor_times.append(floor_elapsed)
            mp4_times.append(mp4_elapsed)
            ts_times.append(ts_elapsed)
    clip_ms = statistics.median(clip_times) * 1000
    floor_ms = statistics.median(floor_times) * 1000
    return {
        "packaging_fragments": count,
        "packaging_frame_bytes": frame_bytes,
        "get_clip_ms": clip_ms,
        "get_clip_bytes": clip_size,
        "get_clip_floor_ms": floor_ms,
        "get_clip_ratio": clip_ms / floor_ms,
        "mp4_clip_ms": statistics.median(mp4_times) * 1000,
        "mp4_clip_bytes": mp4_size,
        "ts_segments_ms": statistics.median(ts_times) * 1000,
        "ts_segments_bytes": ts_size,
    }


def testvideo_speed(reps: int, seconds: float = 60.0) -> dict[str, float]:
    """Seconds of test video made per wall second (640x360, 30 frames/s, ``seconds``
    long, without and with audio) and the median ms of a GetImages page of 25."""
    from datetime import timedelta

    from kvsim.media.testvideo import h264_test_video

    plain, audio = [], []
    for rep in range(max(reps, 1) + 1):
        started = time.perf_counter()
        h264_test_video(duration=seconds, frame_rate=30, width=640, height=360)
        middle = time.perf_counter()
        h264_test_video(duration=seconds, frame_rate=30, width=640, height=360, audio=True)
        ended = time.perf_counter()
        if rep:  # the first is a warm-up
            plain.append(seconds / (middle - started))
            audio.append(seconds / (ended - middle))
    sim = _world()
    start = sim.now
    clip = h264_test_video(duration=10.0, frame_rate=30, width=640, height=360)
    sim.put_media("cam", clip, timecode_type="RELATIVE")
    archive = sim.client("kinesis-video-archived-media")
    pages = []
    for rep in range(max(reps, 1) * 5 + 1):
        t = time.perf_counter()
        images = archive.get_images(
            StreamName="cam",
            ImageSelectorType="PRODUCER_TIMESTAMP",
            StartTimestamp=start,
            EndTimestamp=start + timedelta(seconds=9.6),
            SamplingInterval=400,
            Format="JPEG",
        )["Images"]
        if rep:
            pages.append(time.perf_counter() - t)
        assert len(images) == 25 and all("ImageContent" in i for i in images)
    return {
        "testvideo_seconds": seconds,
        "testvideo_x": statistics.median(plain),
        "testvideo_audio_x": statistics.median(audio),
        "get_images_page_ms": statistics.median(pages) * 1000,
    }


def run(ctx: Context, names: list[str]) -> None:
    """Run ``media`` at the plan's largest size up to 10^6, and ``packaging``."""
    if "media" in names:
        count = 1_000_000 if ctx.plan.name == "full" else 100_000
        ctx.log(f"media: {count:,} generated fragments, {ctx.plan.reps} reps")
        fact = measure(count, ctx.plan.reps)
        try:
            fact.update(fragment_list_vs_floor(ctx.plan.reps))
        except ImportError:  # boto3 is in the bench extra
            ctx.log("media: boto3 is not installed; GetMediaForFragmentList vs the floor skipped")
        ctx.facts["media"] = fact
    if "testvideo" in names:
        ctx.log("testvideo: 60 s of 640x360 H.264 test video, and GetImages pages")
        try:
            ctx.facts["testvideo"] = testvideo_speed(ctx.plan.reps)
        except ImportError:  # PyAV is in the media extra
            ctx.log("testvideo: PyAV is not installed (pip install 'kvsim[media]'); skipped")
    if "packaging" in names:
        ctx.log(f"packaging: {_CLIP_FRAGMENTS} fragments of 2 s as MP4 and MPEG-TS")
        ctx.facts["packaging"] = packaging(ctx.plan.reps)


def targets(ctx: Context) -> list[Target]:
    """Issue 12's and 13's goals, where their scenarios ran."""
    found = []
    packed: dict[str, Any] | None = ctx.facts.get("packaging")
    if packed:
        found.append(
            Target(
                "GetClip of 200 fragments of 2 s (ms)",
                f"{packed['packaging_frame_bytes'] / 1e6:.0f} MB of frames, facade",
                packed["get_clip_ms"],
                _CLIP_GOAL_MS,
                True,
                " ms",
            )
        )
    made: dict[str, Any] | None = ctx.facts.get("testvideo")
    if made:
        found.append(
            Target(
                "test video, 640x360 at 30 frames/s (x real time)",
                f"{made['testvideo_seconds']:.0f} s of video",
                made["testvideo_x"],
                50,
                False,
                "x",
            )
        )
    fact: dict[str, Any] | None = ctx.facts.get("media")
    if not fact:
        return found
    where = f"{fact['fragments']:,} fragments"
    found += [
        Target("generated ingestion (fragments/s)", where, fact["ingest_per_s"], 100_000, False),
        Target("ListFragments page of 1,000 (ms)", where, fact["list_page_ms"], 5, True, " ms"),
        Target("retention expiry (fragments/s)", where, fact["expiry_per_s"], 1_000_000, False),
        Target("memory per fragment (B)", where, fact["bytes_per_fragment"], 200, True, " B"),
    ]
    if "fragment_list_ratio" in fact:
        found.append(
            Target(
                "GetMediaForFragmentList of 100 via boto3 vs botocore's floor (x)",
                f"{fact['fragment_list_bytes'] / 1e6:.1f} MB body",
                fact["fragment_list_ratio"],
                1.5,
                True,
                "x",
            )
        )
    return found


def facts_text(ctx: Context) -> str:
    """The medians, a line per scenario."""
    lines = []
    packed = ctx.facts.get("packaging")
    if packed:
        lines.append(
            f"packaging ({packed['packaging_fragments']} fragments of 2 s, 30 frames/s, "
            f"{packed['packaging_frame_bytes'] / 1e6:.1f} MB of frames, medians): "
            f"GetClip {packed['get_clip_ms']:.1f} ms ({packed['get_clip_bytes'] / 1e6:.1f} MB), "
            f"{packed['get_clip_ratio']:.2f}x its floor (one bytes.join of the frames, "
            f"{packed['get_clip_floor_ms']:.1f} ms); "
            f"mp4_clip_200x2s {packed['mp4_clip_ms']:.1f} ms "
            f"({packed['mp4_clip_bytes'] / 1e6:.1f} MB); ts_segment x "
            f"{packed['packaging_fragments']} {packed['ts_segments_ms']:.1f} ms "
            f"({packed['ts_segments_bytes'] / 1e6:.1f} MB)"
        )
    made = ctx.facts.get("testvideo")
    if made:
        lines.append(
            f"testvideo (640x360, 30 frames/s, medians): {made['testvideo_x']:.1f}x real time, "
            f"{made['testvideo_audio_x']:.1f}x with audio; GetImages page of 25 "
            f"{made['get_images_page_ms']:.1f} ms"
        )
    fact = ctx.facts.get("media")
    if fact:
        lines.insert(0, _media_text(fact))
    return "\n".join(lines)


def _media_text(fact: dict[str, Any]) -> str:
    return (
        f"media ({fact['fragments']:,} fragments, medians): ingestion "
        f"{fact['ingest_per_s']:,.0f} fragments/s; ListFragments page of 1,000 "
        f"{fact['list_page_ms']:.2f} ms; expiry {fact['expiry_per_s']:,.0f} fragments/s; "
        f"{fact['bytes_per_fragment']:.0f} B per fragment"
        + (
            f"; GetMediaForFragmentList of 100 ({fact['fragment_list_bytes'] / 1e6:.1f} MB) "
            f"through boto3 {fact['fragment_list_ms']:.2f} ms, botocore's floor "
            f"{fact['fragment_list_floor_ms']:.2f} ms ({fact['fragment_list_ratio']:.2f}x)"
            if "fragment_list_ratio" in fact
            else ""
        )
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["packaging"]:
        print(packaging(7))
    else:
        print(measure(int(sys.argv[1]) if len(sys.argv) > 1 else 100_000, 3))
        print(fragment_list_vs_floor(3))
