"""kvsim's own Matroska: an EBML module, an incremental MKV reader and writer, synthetic fragments.

Standard library only (a core-level leaf that the services import). See
:mod:`kvsim.media.mkv` for the shapes, :mod:`kvsim.media.generate` for
fragments made to measure and :mod:`kvsim.media.mp4` for repackaging them as
fragmented MP4. :func:`h264_test_video` (real H.264 test video,
:mod:`kvsim.media.testvideo`) belongs to the ``media`` extra: it imports PyAV
when called, never at import time.
"""

from __future__ import annotations

from .generate import AVC_CODEC_PRIVATE, generated_fragments, generated_mkv
from .mkv import (
    Cluster,
    Frame,
    Header,
    MkvError,
    MkvStreamReader,
    Track,
    encode_cluster,
    read_mkv,
    write_mkv,
)
from .testvideo import h264_test_video

__all__ = [
    "AVC_CODEC_PRIVATE",
    "Cluster",
    "Frame",
    "Header",
    "MkvError",
    "MkvStreamReader",
    "Track",
    "encode_cluster",
    "generated_fragments",
    "generated_mkv",
    "h264_test_video",
    "read_mkv",
    "write_mkv",
]
