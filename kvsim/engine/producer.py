"""The in-process producer: PutMedia sessions and generated fragments on a simulator.

What :meth:`kvsim.Simulator.put_media`, :meth:`~kvsim.Simulator.put_fragments`
and ``kvsim serve``'s ``POST /putMedia`` run. A :class:`ProducerSession` holds
the world's lock for each piece of the body it is fed, so other calls
interleave between pieces as they would between network packets.
PutMedia is not an operation of any botocore model: it is not recorded in
the trace (the clock steps it makes are); generated fragments are, as a
``put_fragments`` scenario step with its outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..core.clock import to_ms
from ..core.constants import check_account_region
from ..core.ids import parse_stream_arn
from ..model.errors import ClientError
from ..services import data_hosts
from ..services.kinesis_video_media.put_media import FragmentBatch, PutMediaSession, put_fragments

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = [
    "FragmentBatch",
    "ProducerSession",
    "generate_into",
    "open_session",
    "put_all",
    "stream_reference",
]

OPERATION = "PutMedia"


def stream_reference(stream: str) -> tuple[str | None, str | None]:
    """``(name, arn)`` of a stream given by name or ARN."""
    if not isinstance(stream, str) or not stream:
        raise TypeError(f"stream must be a stream name or ARN, got {stream!r}")
    if stream.startswith("arn:"):
        return None, stream
    return stream, None


def _ms(moment: datetime | float | None) -> int | None:
    if moment is None:
        return None
    if isinstance(moment, datetime):
        if moment.tzinfo is None:
            raise ValueError("producer_start must be a tz-aware datetime (or epoch seconds)")
        return to_ms(moment)
    if isinstance(moment, bool) or not isinstance(moment, int | float):
        raise TypeError(f"producer_start must be a datetime or epoch seconds, not {moment!r}")
    return round(moment * 1000)


class ProducerSession:
    """One open PutMedia connection: :meth:`feed` pieces of the MKV body, then :meth:`close`.
    Each returns the acknowledgements (wire JSON objects) it produced."""

    def __init__(self, runtime: Runtime, session: PutMediaSession) -> None:
        self._runtime = runtime
        self._session = session

    def feed(self, data: bytes) -> list[dict[str, Any]]:
        """Take the next piece of the body."""
        with self._runtime.lock:
            return self._step(self._session.feed, bytes(data))

    def close(self) -> list[dict[str, Any]]:
        """The body ended: the last acks; the connection is released."""
        with self._runtime.lock:
            return self._step(lambda _: self._session.close(), b"")

    def abort(self) -> None:
        """The producer went away: release the connection without more acks."""
        with self._runtime.lock:
            self._session.close_session()

    @property
    def open(self) -> bool:
        """Whether the session still takes data."""
        return self._session.open

    def _step(self, action: Any, data: bytes) -> list[dict[str, Any]]:
        runtime = self._runtime
        before = runtime.world.now_ms
        try:
            acks: list[dict[str, Any]] = action(data)
        finally:
            moved = runtime.world.now_ms - before
            if moved:
                runtime.trace.clock(before, moved / 1000)
        return acks


def open_session(
    runtime: Runtime,
    stream: str,
    *,
    account_id: str,
    region_name: str,
    timecode_type: str = "ABSOLUTE",
    producer_start: datetime | float | None = None,
    host: str | None = None,
) -> ProducerSession:
    """Open a PutMedia connection (the checks before HTTP 200 raise kvsim's
    ``ClientError``, with a request id); ``host`` (None: not checked) must be
    the stream's ``s-`` host (:mod:`kvsim.services.data_hosts`)."""
    name, arn = stream_reference(stream)
    if timecode_type not in ("ABSOLUTE", "RELATIVE"):
        raise ValueError(f"timecode_type must be 'ABSOLUTE' or 'RELATIVE', got {timecode_type!r}")
    start_ms = _ms(producer_start)
    check_account_region(account_id, region_name)
    if arn is not None and parse_stream_arn(arn) is None:
        raise ValueError(f"{arn!r} is not a stream ARN")
    with runtime.lock:
        runtime.world.catch_up()
        region = runtime.region(account_id, region_name)
        try:
            if host is not None:
                problem = data_hosts.kind_problem("kinesis-video-media", OPERATION, host)
                if isinstance(problem, bytes):
                    problem = None  # the HTTP layer answers the 403 itself
                wrong = problem or data_hosts.endpoint_problem(
                    region,
                    "kinesis-video-media",
                    OPERATION,
                    {"StreamName": name, "StreamARN": arn},
                    host,
                )
                if wrong is not None:
                    raise wrong
            session = PutMediaSession(
                runtime.world,
                region,
                name,
                arn,
                timecode_type=timecode_type,
                producer_start_ms=start_ms,
            )
        except ClientError as error:
            raise runtime.reject(error, OPERATION) from None
        finally:
            runtime.world.forget_if_empty(region)
    return ProducerSession(runtime, session)


def put_all(session: ProducerSession, media: bytes | Iterable[bytes]) -> list[dict[str, Any]]:
    """Feed all of ``media`` (bytes or chunks) and close; every ack in order."""
    acks: list[dict[str, Any]] = []
    try:
        if isinstance(media, bytes | bytearray | memoryview):
            acks += session.feed(bytes(media))
        else:
            for piece in media:
                acks += session.feed(piece)
                if not session.open:
                    break
        acks += session.close()
    except BaseException:
        session.abort()
        raise
    return acks


def generate_into(
    runtime: Runtime,
    stream: str,
    *,
    account_id: str,
    region_name: str,
    count: int,
    duration: float,
    frame_rate: float,
    frame_size: int,
    track_count: int,
    codec_id: str,
    producer_start: datetime | float | None,
    realtime: bool = False,
) -> FragmentBatch:
    """Store ``count`` generated fragments (one shared payload) in ``stream``
    (``realtime``: as the clock reaches each, see :func:`put_fragments`)."""
    from ..media.generate import generated_fragments

    if isinstance(count, bool) or not isinstance(count, int) or count < 1:
        raise ValueError(f"count must be an int >= 1, got {count!r}")
    name, arn = stream_reference(stream)
    header, [cluster] = generated_fragments(
        count=1,
        duration=duration,
        frame_rate=frame_rate,
        frame_size=frame_size,
        track_count=track_count,
        codec_id=codec_id,
    )
    if track_count > 3:
        raise ValueError(f"track_count must be at most 3 (AWS's limit), got {track_count}")
    start_ms = _ms(producer_start)
    check_account_region(account_id, region_name)
    with runtime.lock:
        world = runtime.world
        world.catch_up()
        region = runtime.region(account_id, region_name)
        before = world.now_ms
        options = {
            "count": count,
            "duration": duration,
            "frame_rate": frame_rate,
            "frame_size": frame_size,
            "track_count": track_count,
            "codec_id": codec_id,
            "producer_start": None if start_ms is None else start_ms / 1000,
            "realtime": realtime,
        }
        try:
            batch = put_fragments(
                world,
                region,
                name,
                arn,
                count=count,
                duration_ms=cluster.duration_ms,
                media=(header, cluster),
                size=cluster.size,
                producer_start_ms=start_ms,
                realtime=realtime,
            )
        except ClientError as error:
            error = runtime.reject(error, OPERATION)
            # A trace replays it: a scenario step {"put_fragments": stream, ...options}.
            runtime.trace.put_fragments(
                before,
                account_id,
                region_name,
                stream,
                options,
                {"error": error.code, "message": error.message},
            )
            raise error from None
        finally:
            world.forget_if_empty(region)
        runtime.trace.put_fragments(
            before, account_id, region_name, stream, options, {"response": asdict(batch)}
        )
        return batch
