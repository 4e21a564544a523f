"""How fast ``kvsim serve`` serves an HLS session's media segments over HTTP.

Scenario ``playback``: a player's request loop, ``GET
/_endpoint/<b-host>/hls/v1/getMP4MediaFragment.mp4?FragmentNumber=...&SessionToken=...``
(the URLs the session's media playlist lists, resolved against the session URL
as players resolve them), over one keep-alive ``http.client`` connection,
each body read to its end. The world: a stream of 100 generated fragments of
2 s (30 frames a second of 1 KiB, so a segment is about 62 KB), an
ON_DEMAND session over them, throttling off (``Limits(throttling=False)``:
the per-session 20 TPS and the stream's 500 fragment-media points a second
would otherwise be what is measured). The server runs in this process on a
free loopback port, as in a test suite's fixture; the table's *size* is the
number of distinct segments cycled through; the unit is segments.

The goal (issue 13): at least 500 segments/s.
"""

from __future__ import annotations

import contextlib
import http.client
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_playback.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kvsim
from benchmarks.harness import ACCOUNT, REGION, SEED, Context, Runner, Target

SCENARIOS = {
    "playback": "HLS getMP4MediaFragment from kvsim serve over one keep-alive HTTP connection",
}
STREAM = "bench-playback-cam"
FRAGMENTS = 100
#: The goal: segments served per second (median batch).
SEGMENTS_TARGET = 500.0


@contextlib.contextmanager
def playback_server() -> Iterator[tuple[str, list[str]]]:
    """``kvsim serve`` of a world with an ON_DEMAND HLS session over :data:`FRAGMENTS`
    fragments; yields the server's ``host:port`` and the segments' paths."""
    from kvsim.http.server import KvsimServer

    server = KvsimServer(
        ("127.0.0.1", 0),
        seed=SEED,
        limits=kvsim.Limits(throttling=False),
        timings=kvsim.Timings(call_latency=0),
    )
    sim = server.sim
    sim.client(region_name=REGION, account_id=ACCOUNT).create_stream(
        StreamName=STREAM, DataRetentionInHours=24
    )
    sim.run_until_idle()
    start = sim.now
    sim.put_fragments(STREAM, count=FRAGMENTS, duration=2.0, region_name=REGION, account_id=ACCOUNT)
    archive = sim.client("kinesis-video-archived-media", region_name=REGION, account_id=ACCOUNT)
    url = archive.get_hls_streaming_session_url(
        StreamName=STREAM,
        PlaybackMode="ON_DEMAND",
        HLSFragmentSelector={
            "FragmentSelectorType": "SERVER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": start, "EndTimestamp": sim.now},
        },
        Expires=43_200,
    )["HLSStreamingSessionURL"]
    # What kvsim serve answers: the session URL under the server's /_endpoint/ prefix.
    served = url.replace("https://", f"{server.base_url}/_endpoint/", 1)
    master = sim.fetch(url)
    playlist = sim.fetch(urljoin(url, master.text.splitlines()[-1]))
    paths = [
        urlsplit(urljoin(served, line)).path + "?" + urlsplit(urljoin(served, line)).query
        for line in playlist.text.splitlines()
        if line.startswith("getMP4MediaFragment")
    ]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.base_url.partition("://")[2], paths
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


class Player:
    """One keep-alive connection fetching segments in playlist order, round and round."""

    def __init__(self, host: str, paths: list[str], per_batch: int) -> None:
        self.connection = http.client.HTTPConnection(host, timeout=30)
        self.paths = paths
        self.per_batch = per_batch
        self.next = 0
        self.bytes = 0

    def batch(self) -> int:
        connection, paths = self.connection, self.paths
        for _ in range(self.per_batch):
            connection.request("GET", paths[self.next % len(paths)])
            answer = connection.getresponse()
            body = answer.read()
            if answer.status != 200:
                raise RuntimeError(f"segment answered {answer.status}: {body[:200]!r}")
            self.bytes += len(body)
            self.next += 1
        return self.per_batch

    def close(self) -> None:
        self.connection.close()


def run(ctx: Context, names: list[str]) -> None:
    """``playback``: segments/s over one keep-alive connection."""
    per_batch = max(50, ctx.plan.boto_calls * 5)
    facts: dict[str, Any] = ctx.facts.setdefault("playback", {})
    with playback_server() as (host, paths):
        ctx.log(f"playback: {per_batch} segments a batch, cycling through {len(paths)}")
        player = Player(host, paths, per_batch)
        try:
            [result] = ctx.measure(
                "playback",
                len(paths),
                [
                    Runner(
                        "kvsim",
                        player.batch,
                        unit="segments",
                        note="kvsim serve, getMP4MediaFragment, 1 keep-alive connection",
                    )
                ],
            )
        finally:
            player.close()
    segment_bytes = player.bytes / max(1, player.next)
    facts.update(
        segments_per_s=result.rates["median"],
        slowest_per_s=result.rates["min"],
        segment_bytes=segment_bytes,
        mb_per_s=result.rates["median"] * segment_bytes / 1e6,
    )


def targets(ctx: Context) -> list[Target]:
    """Segments per second from ``kvsim serve`` (median batch)."""
    return [
        Target(
            "HLS segments from kvsim serve",
            "1 keep-alive connection, 62 KB segments",
            result.rates["median"],
            SEGMENTS_TARGET,
            at_most=False,
            unit=" segments/s",
        )
        for result in ctx.results
        if result.scenario == "playback"
    ]


def facts_text(ctx: Context) -> str:
    """Segments/s and MB/s of the median batch."""
    fact = ctx.facts.get("playback")
    if not fact:
        return ""
    return (
        "playback: HLS getMP4MediaFragment from kvsim serve, one keep-alive connection: "
        f"{fact['segments_per_s']:,.0f} segments/s median (slowest batch "
        f"{fact['slowest_per_s']:,.0f}), {fact['segment_bytes'] / 1000:.0f} KB each, "
        f"{fact['mb_per_s']:,.0f} MB/s"
    )


if __name__ == "__main__":
    from benchmarks import harness

    sys.exit(harness.main(only=list(SCENARIOS)))
