"""The simulator's media methods: PutMedia in process, generated fragments, what
image generation and notifications delivered, and HLS/DASH session documents.

:class:`MediaMethods` is a base of :class:`kvsim.Simulator`; its methods are
documented as the simulator's (``sim.put_media``, ``sim.fetch``...).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from ..core.constants import DEFAULT_ACCOUNT_ID, DEFAULT_REGION_NAME, check_account_region
from ..services.deliveries import DeliveredImage, Notification
from .producer import FragmentBatch, ProducerSession, generate_into, open_session, put_all

if TYPE_CHECKING:
    from .playback import PlaybackResponse
    from .runtime import Runtime

__all__ = ["MediaMethods"]


class MediaMethods:
    """Media, deliveries and playback, for :class:`kvsim.Simulator` (which holds
    the :class:`~kvsim.engine.runtime.Runtime` they act through)."""

    runtime: Runtime

    def put_media(
        self,
        stream: str,
        media: bytes | Iterable[bytes],
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
        timecode_type: str = "ABSOLUTE",
        producer_start: datetime | float | None = None,
    ) -> list[dict[str, Any]]:
        """PutMedia in process: send ``media`` (one MKV stream, as bytes or an
        iterable of chunks) to ``stream`` (a name or an ARN) and return every
        acknowledgement, as the wire's JSON objects (``EventType``,
        ``FragmentTimecode``, ``FragmentNumber``, and ``ErrorId``/``ErrorCode``
        on errors). Each cluster is one fragment; the producer sends in real
        time, so the virtual clock moves by the media's duration.
        ``timecode_type`` is ``"ABSOLUTE"`` (cluster timecodes are epoch ms) or
        ``"RELATIVE"`` (to ``producer_start``, a tz-aware datetime or epoch
        seconds; default now). A refused connection raises the service's error
        (``ResourceNotFoundException``, ``ClientLimitExceededException``,
        ``ConnectionLimitExceededException``).

        >>> import kvsim
        >>> from kvsim.media.generate import generated_mkv
        >>> sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
        >>> kv = sim.client()
        >>> _ = kv.create_stream(StreamName="cam", DataRetentionInHours=24)
        >>> sim.advance(5)
        1
        >>> acks = sim.put_media("cam", generated_mkv(count=3, duration=2.0), timecode_type="RELATIVE")
        >>> [a["EventType"] for a in acks[:3]], len(acks), sim.now.isoformat()
        (['BUFFERING', 'RECEIVED', 'PERSISTED'], 9, '2026-01-01T00:00:11+00:00')
        >>> len(acks[0]["FragmentNumber"])
        47
        """
        session = self.put_media_session(
            stream,
            account_id=account_id,
            region_name=region_name,
            timecode_type=timecode_type,
            producer_start=producer_start,
        )
        return put_all(session, media)

    def put_media_session(
        self,
        stream: str,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
        timecode_type: str = "ABSOLUTE",
        producer_start: datetime | float | None = None,
        host: str | None = None,
    ) -> ProducerSession:
        """Open a PutMedia connection to feed piece by piece (what :meth:`put_media`
        and ``kvsim serve``'s ``POST /putMedia`` use): ``session.feed(data)`` and
        ``session.close()`` return the acknowledgements they produce. A stream
        takes one connection at a time. ``host``, if given, is the host the
        producer sent to: another stream's data host answers
        ``InvalidEndpointException``."""
        return open_session(
            self.runtime,
            stream,
            account_id=account_id,
            region_name=region_name,
            timecode_type=timecode_type,
            producer_start=producer_start,
            host=host,
        )

    def put_fragments(
        self,
        stream: str,
        *,
        count: int,
        duration: float = 2.0,
        frame_rate: float = 30.0,
        frame_size: int = 1024,
        track_count: int = 1,
        codec_id: str = "V_MPEG4/ISO/AVC",
        producer_start: datetime | float | None = None,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
        realtime: bool = False,
    ) -> FragmentBatch:
        """Store ``count`` generated fragments of ``duration`` seconds each in
        ``stream``, fast: one PutMedia connection whose fragments share one
        payload (``frame_rate`` frames per second per track of ``frame_size``
        bytes; GetMedia and GetMediaForFragmentList read them back as real
        MKV). The clock moves by ``count * duration``; producer timestamps start
        at ``producer_start`` (default now). Returns a :class:`FragmentBatch`
        (count, first and last fragment numbers, start times).

        With ``realtime=True`` the clock does not move: the first fragment is
        stored now and each next one arrives ``duration`` later, as a scheduled
        change, while the stream's one PutMedia connection stays open (a live
        producer for GetMedia's tail to follow; see :meth:`pending`).

        >>> import kvsim
        >>> sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
        >>> _ = sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
        >>> _ = sim.advance(5)
        >>> batch = sim.put_fragments("cam", count=1000, duration=2.0)
        >>> batch.count, sim.now.isoformat()
        (1000, '2026-01-01T00:33:25+00:00')
        """
        return generate_into(
            self.runtime,
            stream,
            account_id=account_id,
            region_name=region_name,
            count=count,
            duration=duration,
            frame_rate=frame_rate,
            frame_size=frame_size,
            track_count=track_count,
            codec_id=codec_id,
            producer_start=producer_start,
            realtime=realtime,
        )

    # -- what image generation and notifications delivered ------------------------------

    def delivered_images(
        self,
        stream: str | None = None,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
    ) -> list[DeliveredImage]:
        """The images the streams' image generation configurations delivered to S3
        (kvsim simulates no S3: they are recorded here), in delivery order, of
        ``account_id``'s streams in ``region_name``, or of the stream ``stream``
        (a name or an ARN; deleted streams' deliveries stay). Each has ``uri``,
        ``bucket``, ``key``, ``metadata``, ``image_format``, ``timestamp``, the
        fragment's number and timestamps, ``delivered_at`` and ``content`` (the
        bytes, rendered when first read; PyAV needed). Rules: see
        :mod:`kvsim.services.deliveries`. O(n) in all deliveries.
        """
        return self._delivered("images", stream, account_id, region_name)

    def notifications(
        self,
        stream: str | None = None,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
    ) -> list[Notification]:
        """The messages the streams' notification configurations published to SNS
        (kvsim simulates no SNS: they are recorded here), in delivery order, of
        ``account_id``'s streams in ``region_name``, or of the stream ``stream``
        (a name or an ARN). Each has ``topic_arn``, ``subject``, ``message``
        (JSON text; ``body`` parsed), the stream, the fragment number and
        ``delivered_at``. Rules: see :mod:`kvsim.services.deliveries`. O(n).
        """
        return self._delivered("notifications", stream, account_id, region_name)

    def _delivered(
        self, kind: str, stream: str | None, account_id: str, region_name: str
    ) -> list[Any]:
        """The ``kind`` deliveries of the account's region (of ``stream``, a name or ARN)."""
        check_account_region(account_id, region_name)
        with self.runtime.lock:
            return [
                record
                for account, region, record in getattr(self.runtime.world.deliveries, kind)
                if (account, region) == (account_id, region_name)
                and (stream is None or stream in (record.stream_name, record.stream_arn))
            ]

    # -- HLS and DASH session documents -----------------------------------------------

    def fetch(self, url: str) -> PlaybackResponse:
        """GET an HLS or DASH session resource in process, as a player would over
        HTTP: the URL GetHLSStreamingSessionURL / GetDASHStreamingSessionURL
        returned, or one a playlist names resolved against it
        (``urllib.parse.urljoin(session_url, line)``). Returns ``.status`` (int),
        ``.headers`` (``Content-Type`` and more), ``.body`` (bytes) and ``.text``.
        Each request takes ``call_latency`` of virtual time (see
        :mod:`kvsim.engine.playback`; the rules of the documents are in
        :mod:`kvsim.services.playback`).

        >>> import kvsim
        >>> sim = kvsim.Simulator(seed=0, timings=kvsim.Timings(call_latency=0))
        >>> _ = sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
        >>> _ = sim.advance(5)
        >>> _ = sim.put_fragments("cam", count=3, duration=2.0)
        >>> archive = sim.client("kinesis-video-archived-media")
        >>> url = archive.get_hls_streaming_session_url(StreamName="cam")["HLSStreamingSessionURL"]
        >>> master = sim.fetch(url)
        >>> master.status, master.headers["Content-Type"], master.text.splitlines()[-1][:40]
        (200, 'application/x-mpegURL', 'getHLSMediaPlaylist.m3u8?SessionToken=Ci')
        """
        from .playback import fetch

        return fetch(self.runtime, url)
