"""Real AAC for the packaging tests: a deterministic tone, encoded by FFmpeg's native ``aac``
encoder through PyAV, muxed into kvsim's Matroska shapes (PyAV imported when called)."""

from __future__ import annotations

import math
from array import array
from fractions import Fraction
from typing import Any

from kvsim.media import Cluster, Frame, Header, Track

SAMPLES_PER_FRAME = 1024


def aac_tone(
    *, seconds: float = 1.0, rate: int = 44100, channels: int = 2, hertz: float = 440.0
) -> tuple[bytes, list[bytes]]:
    """The encoder's AudioSpecificConfig and every AAC frame (raw, no ADTS), in order."""
    import av

    context: Any = av.CodecContext.create("aac", "w")
    context.sample_rate = rate
    context.layout = "stereo" if channels == 2 else "mono"
    context.format = "fltp"
    context.time_base = Fraction(1, rate)
    context.bit_rate = 64000 * channels
    context.open()
    total = round(seconds * rate)
    packets: list[Any] = []
    for start in range(0, total, SAMPLES_PER_FRAME):
        count = min(SAMPLES_PER_FRAME, total - start)
        frame = av.AudioFrame(format="fltp", layout=context.layout.name, samples=count)
        frame.sample_rate = rate
        frame.pts = start
        frame.time_base = context.time_base
        tone = array(
            "f", (0.3 * math.sin(2 * math.pi * hertz * (start + i) / rate) for i in range(count))
        ).tobytes()
        for plane in frame.planes:
            plane.update(tone + bytes(plane.buffer_size - len(tone)))
        packets.extend(context.encode(frame))
    packets.extend(context.encode(None))
    return bytes(context.extradata), [bytes(packet) for packet in packets]


def audio_track(private: bytes, number: int = 2, *, rate: int = 44100, channels: int = 2) -> Track:
    return Track(number, number, "audio", "A_AAC", private, None, None, None, float(rate), channels)


def frame_ms(index: int, rate: int = 44100) -> int:
    """AAC frame ``index``'s start in ms, as a Matroska muxer rounds it."""
    return round(index * SAMPLES_PER_FRAME * 1000 / rate)


def with_audio(
    header: Header,
    clusters: list[Cluster],
    private: bytes,
    frames: list[bytes],
    *,
    rate: int = 44100,
    channels: int = 2,
) -> tuple[Header, list[Cluster]]:
    """``header`` and ``clusters`` (video) with an AAC track 2 whose frames go, by their start
    time, into the cluster that covers it (the last one for any after its start)."""
    track = audio_track(private, 2, rate=rate, channels=channels)
    out = []
    for k, cluster in enumerate(clusters):
        end = clusters[k + 1].timecode_ms if k + 1 < len(clusters) else None
        audio = [
            Frame(2, frame_ms(i, rate) - cluster.timecode_ms, True, data)
            for i, data in enumerate(frames)
            if frame_ms(i, rate) >= cluster.timecode_ms and (end is None or frame_ms(i, rate) < end)
        ]
        merged = sorted(cluster.frames + tuple(audio), key=lambda f: (f.timecode_ms, f.track))
        out.append(Cluster(cluster.timecode_ms, tuple(merged), (), 0))
    return Header(header.timecode_scale_ns, (*header.tracks, track), header.title), out


def audio_only(
    private: bytes,
    frames: list[bytes],
    *,
    per_cluster: int = 43,
    rate: int = 44100,
    channels: int = 2,
) -> tuple[Header, list[Cluster]]:
    """A lone AAC track 1, ``per_cluster`` frames a cluster."""
    header = Header(1_000_000, (audio_track(private, 1, rate=rate, channels=channels),), "tone")
    clusters = []
    for first in range(0, len(frames), per_cluster):
        start = frame_ms(first, rate)
        clusters.append(
            Cluster(
                start,
                tuple(
                    Frame(1, frame_ms(i, rate) - start, True, frames[i])
                    for i in range(first, min(len(frames), first + per_cluster))
                ),
                (),
                0,
            )
        )
    return header, clusters
