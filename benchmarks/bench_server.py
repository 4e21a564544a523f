"""What ``kvsim serve`` costs a real client over HTTP: kvsim's server beside moto's.

Scenario ``server``: ``client.describe_stream(StreamName=...)`` of the one
stream of a world, from genuine boto3 clients that keep their connection
alive, with 1 and with 8 client threads (each thread its own client, hence
its own connection); the table's *size* is the number of client threads.
Two servers, each in this process on a free loopback port, serving from its
own threads:

- **kvsim** (``kvsim serve``): a :class:`kvsim.http.server.KvsimServer` whose
  simulator has throttling off (``Limits(throttling=False)``), so no call is
  refused however fast they come;
- **moto server**: ``moto.server.ThreadedMotoServer`` (moto's werkzeug app,
  which ``moto_server`` runs), skipped with a note when moto's server extra
  (flask) is not installed.

A batch is ``Plan.boto_calls`` calls (40 with ``--quick``, 300 in a full run)
shared among the threads; calls/s is the batch's calls over its wall time.
Every call of the timed batches is also timed on its own: the table's note
and the facts give their median (p50) and 99th percentile (p99) in
milliseconds. Clients and servers share one process (and its GIL), as in a
test suite that starts ``kvsim serve`` in a fixture; the CPU column counts
both sides.
"""

from __future__ import annotations

import contextlib
import logging
import math
import statistics
import sys
import threading
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: python benchmarks/bench_server.py
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import kvsim
from benchmarks.bench_boto import without_moto
from benchmarks.harness import (
    ACCOUNT,
    INSTALL_HINT,
    REGION,
    SEED,
    Context,
    Runner,
    Target,
    optional,
)

SCENARIOS = {
    "server": "keep-alive boto3 DescribeStream over HTTP: kvsim serve beside moto's server, 1 and 8 client threads",
}
THREADS = (1, 8)
STREAM = "bench-server-cam"
LIMITS = kvsim.Limits(max_streams_per_account=None, throttling=False)
#: The goal for one keep-alive call's median latency with one client (ms): the
#: finding it guards answered every such call ~44 ms late (Nagle + delayed ACK).
P50_TARGET_MS = 10.0


def _session() -> Any:
    """A boto3 session with dummy credentials (clients are made from it on one thread)."""
    import boto3

    return boto3.session.Session(
        aws_access_key_id="AKIDBENCH", aws_secret_access_key="x", region_name=REGION
    )


def _client(session: Any, base_url: str) -> Any:
    """A boto3 kinesisvideo client of ``base_url``; clients are thread-safe, sessions are not."""
    # moto's process-wide before-send handler would otherwise look at every request.
    return without_moto(session.client("kinesisvideo", endpoint_url=base_url))


@contextlib.contextmanager
def kvsim_server() -> Iterator[str]:
    """A ``kvsim serve`` of a world holding :data:`STREAM`, serving from a thread; yields its URL."""
    from kvsim.http.server import KvsimServer

    server = KvsimServer(("127.0.0.1", 0), seed=SEED, limits=LIMITS)
    server.sim.client(region_name=REGION, account_id=ACCOUNT).create_stream(StreamName=STREAM)
    server.sim.run_until_idle()
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server.base_url
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


@contextlib.contextmanager
def moto_server(module: Any) -> Iterator[str]:
    """moto's threaded server on a free loopback port, holding :data:`STREAM`; yields its URL."""
    # werkzeug logs every request at INFO to stderr unless its logger is set up.
    log = logging.getLogger("werkzeug")
    level = log.level
    log.setLevel(logging.ERROR)
    server = module.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        url = f"http://{host}:{port}"
        _client(_session(), url).create_stream(StreamName=STREAM)
        yield url
    finally:
        server.stop()
        log.setLevel(level)


class Load:
    """``threads`` boto3 clients of one server, each making its share of a batch.

    ``latencies`` gathers the seconds of every call of the batches run with
    ``record`` (the timed ones).
    """

    def __init__(self, url: str, threads: int, calls: int) -> None:
        # One session makes every client (a session per client would reload
        # botocore's models each time); each thread then uses its own client.
        session = _session()
        self.clients = [_client(session, url) for _ in range(threads)]
        self.per_thread = max(1, calls // threads)
        self.latencies: list[float] = []
        self.pool = ThreadPoolExecutor(max_workers=threads) if threads > 1 else None

    def _work(self, client: Any) -> list[float]:
        describe = client.describe_stream
        clock = time.perf_counter
        times = []
        for _ in range(self.per_thread):
            start = clock()
            describe(StreamName=STREAM)
            times.append(clock() - start)
        return times

    def batch(self, *, record: bool) -> int:
        """One batch from every client at once; returns how many calls it made."""
        if self.pool is None:
            found = [self._work(self.clients[0])]
        else:
            found = list(self.pool.map(self._work, self.clients))
        if record:
            for times in found:
                self.latencies.extend(times)
        return self.per_thread * len(self.clients)

    def runner(self, system: str) -> Runner:
        """This load as the harness' runner: the warm-up (which also opens the
        connections) is not recorded."""
        return Runner(
            system,
            lambda: self.batch(record=True),
            warmup=lambda: self.batch(record=False),
            note="kvsim serve over HTTP" if system == "kvsim" else "",
        )

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown()
        for client in self.clients:
            client.close()


def percentile(values: list[float], fraction: float) -> float:
    """The ``fraction`` quantile of ``values`` by nearest rank (a latency that was
    measured, never an interpolation between two).

    >>> percentile([4.0, 1.0, 3.0, 2.0], 0.5), percentile([4.0, 1.0, 3.0, 2.0], 0.99)
    (2.0, 4.0)
    """
    ordered = sorted(values)
    rank = max(1, math.ceil(fraction * len(ordered)))
    return ordered[rank - 1]


def run(ctx: Context, names: list[str]) -> None:
    """``server`` with each of :data:`THREADS` client threads."""
    if optional("boto3") is None:
        ctx.note(f"boto3 is not installed: server is skipped ({INSTALL_HINT})")
        return
    moto = optional("moto.server")
    if moto is None:
        ctx.note(
            f"moto's server is not installed: server's moto baseline is skipped ({INSTALL_HINT})"
        )
    calls = ctx.plan.boto_calls
    facts: dict[str, dict[str, dict[str, float]]] = ctx.facts.setdefault("server", {})
    with contextlib.ExitStack() as servers:
        urls = {"kvsim": servers.enter_context(kvsim_server())}
        if moto is not None:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                urls["moto server"] = servers.enter_context(moto_server(moto))
        for threads in THREADS:
            ctx.log(f"server: keep-alive DescribeStream, {threads} client thread(s)")
            loads = {system: Load(url, threads, calls) for system, url in urls.items()}
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    results = ctx.measure(
                        "server", threads, [load.runner(system) for system, load in loads.items()]
                    )
            finally:
                for load in loads.values():
                    load.close()
            for result in results:
                latencies = loads[result.system].latencies
                p50, p99 = 1e3 * statistics.median(latencies), 1e3 * percentile(latencies, 0.99)
                result.extra.update(threads=threads, p50_ms=p50, p99_ms=p99)
                shown = f"p50 {p50:.2f} ms, p99 {p99:.2f} ms"
                result.note = f"{result.note}; {shown}" if result.note else shown
                facts.setdefault(result.system, {})[str(threads)] = {
                    "calls_per_s": result.rates["median"],
                    "p50_ms": p50,
                    "p99_ms": p99,
                }
                ctx.log(f"  {result.system:<17} {threads} thread(s): {shown}")


def targets(ctx: Context) -> list[Target]:
    """kvsim serve's median keep-alive latency with one client thread."""
    found = []
    for result in ctx.results:
        if (result.scenario, result.system, result.size) == ("server", "kvsim", 1):
            found.append(
                Target(
                    "kvsim serve keep-alive call p50",
                    "1 boto3 client thread",
                    result.extra["p50_ms"],
                    P50_TARGET_MS,
                    at_most=True,
                    unit=" ms",
                )
            )
    return found


def facts_text(ctx: Context) -> str:
    """Calls/s and p50/p99 latency of each server and thread count."""
    measured: dict[str, dict[str, dict[str, float]]] = ctx.facts.get("server", {})
    if not measured:
        return ""
    lines = ["server: keep-alive boto3 DescribeStream over loopback HTTP (medians of the batches):"]
    for system, by_threads in measured.items():
        for threads, m in by_threads.items():
            lines.append(
                f"  {system:<12} {int(threads)} thread(s): {m['calls_per_s']:>8,.0f} calls/s, "
                f"p50 {m['p50_ms']:.2f} ms, p99 {m['p99_ms']:.2f} ms"
            )
    return "\n".join(lines)


if __name__ == "__main__":
    from benchmarks import harness

    sys.exit(harness.main(only=list(SCENARIOS)))
