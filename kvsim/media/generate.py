"""Synthetic fragments for tests that need volume, not pictures.

>>> header, clusters = generated_fragments(count=3)
>>> [c.timecode_ms for c in clusters], [c.duration_ms for c in clusters]
([0, 2000, 4000], [2000, 2000, 2000])
>>> len(clusters[0].frames), clusters[0].frames[0].keyframe, clusters[0].frames[1].keyframe
(60, True, False)
>>> header.tracks[0].codec_id, header.tracks[0].pixel_width, header.tracks[0].pixel_height
('V_MPEG4/ISO/AVC', 320, 240)
>>> clusters[0].frames[0].data is clusters[2].frames[59].data
True

The frames are H.264 *filler data* NAL units (type 12, length-prefixed as
the ``avcC`` record says): valid to every parser, decoded to no picture.
"""

from __future__ import annotations

from typing import Any, Final

from .ebml import encode_size, encode_uint, read_element_header
from .mkv import Cluster, Frame, Header, Track, encode_cluster, write_mkv

__all__ = ["AVC_CODEC_PRIVATE", "generated_fragments", "generated_mkv"]

_AVC: Final = "V_MPEG4/ISO/AVC"
_WIDTH, _HEIGHT = 320, 240
_MAX_CLUSTER_MS: Final = 32767  # a block's relative timecode is 16 bits of ms


def _bits_to_nal(nal_header: int, bits: str) -> bytes:
    """An RBSP bit string, trailing bits added, with emulation prevention bytes."""
    bits += "1"
    bits += "0" * (-len(bits) % 8)
    rbsp = int(bits, 2).to_bytes(len(bits) // 8, "big")
    out = bytearray((nal_header,))
    zeros = 0
    for byte in rbsp:
        if zeros >= 2 and byte <= 3:
            out.append(3)
            zeros = 0
        out.append(byte)
        zeros = zeros + 1 if byte == 0 else 0
    return bytes(out)


def _ue(value: int) -> str:
    """Exp-Golomb code of an unsigned value."""
    code = format(value + 1, "b")
    return "0" * (len(code) - 1) + code


def _avc_decoder_configuration(width: int, height: int) -> bytes:
    """A minimal ``avcC`` record: Constrained Baseline, level 3.0, one SPS, one PPS."""
    profile, compatibility, level = 66, 0xC0, 30
    sps = _bits_to_nal(
        0x67,
        format(profile, "08b")
        + format(compatibility, "08b")
        + format(level, "08b")
        + _ue(0)  # seq_parameter_set_id
        + _ue(0)  # log2_max_frame_num_minus4
        + _ue(2)  # pic_order_cnt_type
        + _ue(1)  # max_num_ref_frames
        + "0"  # gaps_in_frame_num_value_allowed_flag
        + _ue(width // 16 - 1)
        + _ue(height // 16 - 1)
        + "1"  # frame_mbs_only_flag
        + "1"  # direct_8x8_inference_flag
        + "0"  # frame_cropping_flag
        + "0",  # vui_parameters_present_flag
    )
    pps = _bits_to_nal(
        0x68,
        _ue(0)  # pic_parameter_set_id
        + _ue(0)  # seq_parameter_set_id
        + "0"  # entropy_coding_mode_flag (CAVLC)
        + "0"  # bottom_field_pic_order_in_frame_present_flag
        + _ue(0)  # num_slice_groups_minus1
        + _ue(0)  # num_ref_idx_l0_default_active_minus1
        + _ue(0)  # num_ref_idx_l1_default_active_minus1
        + "0"  # weighted_pred_flag
        + "00"  # weighted_bipred_idc
        + "1"  # pic_init_qp_minus26 = se(0)
        + "1"  # pic_init_qs_minus26 = se(0)
        + "1"  # chroma_qp_index_offset = se(0)
        + "1"  # deblocking_filter_control_present_flag
        + "0"  # constrained_intra_pred_flag
        + "0",  # redundant_pic_cnt_present_flag
    )
    return b"".join(
        (
            bytes((1, profile, compatibility, level, 0xFF, 0xE1)),
            len(sps).to_bytes(2, "big"),
            sps,
            b"\x01",
            len(pps).to_bytes(2, "big"),
            pps,
        )
    )


#: The ``avcC`` codec private of generated V_MPEG4/ISO/AVC tracks (320x240).
AVC_CODEC_PRIVATE: Final = _avc_decoder_configuration(_WIDTH, _HEIGHT)


def _payload(size: int, codec_id: str) -> bytes:
    if codec_id == _AVC and size >= 6:
        # One filler-data NAL unit: 4-byte length, header 0x0C, 0xFF..., trailing 0x80.
        return b"".join(((size - 4).to_bytes(4, "big"), b"\x0c", b"\xff" * (size - 6), b"\x80"))
    return (bytes(range(256)) * (size // 256 + 1))[:size]


def _int(name: str, value: object, low: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {value!r}")
    if value < low:
        raise ValueError(f"{name} must be at least {low}, got {value!r}")
    return value


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise TypeError(f"{name} must be a number of seconds or frames, got {value!r}")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{name} must be positive and finite, got {value!r}")
    return float(value)


def generated_fragments(
    *,
    count: int,
    duration: float = 2.0,
    frame_rate: float = 30.0,
    frame_size: int = 1024,
    track_count: int = 1,
    start_ms: int = 0,
    codec_id: str = _AVC,
) -> tuple[Header, list[Cluster]]:
    """``count`` clusters of ``duration`` seconds at ``frame_rate`` frames per second.

    Each cluster holds ``round(duration * frame_rate)`` frames per track
    (frame ``i`` at ``round(i * duration_ms / n)`` ms, tracks interleaved,
    the first of each track a keyframe, the last of each track carrying the
    duration up to the cluster's end, so every ``Cluster.duration_ms`` is
    exactly ``duration_ms``); cluster ``k``'s timecode is
    ``start_ms + k * duration_ms``. Every frame's data is the same ``bytes``
    of ``frame_size`` bytes and every cluster shares one frames tuple, so a
    million fragments cost a million small objects. Tracks are numbered 1..
    ``track_count``, all video of ``codec_id`` (320x240; with the default
    codec, :data:`AVC_CODEC_PRIVATE`). ``Cluster.size`` is what the cluster
    occupies in :func:`generated_mkv`'s output. O(count + frames).
    """
    count = _int("count", count, 0)
    seconds = _number("duration", duration)
    rate = _number("frame_rate", frame_rate)
    frame_size = _int("frame_size", frame_size, 0)
    track_count = _int("track_count", track_count, 1)
    start_ms = _int("start_ms", start_ms, 0)
    if not isinstance(codec_id, str):
        raise TypeError(f"codec_id must be a str, got {codec_id!r}")
    if not codec_id:
        raise ValueError("codec_id must not be empty")
    span = round(seconds * 1000)
    if not 1 <= span <= _MAX_CLUSTER_MS:
        raise ValueError(f"duration must be 0.001 to 32.767 seconds, got {duration!r}")
    per_track = round(seconds * rate)
    if per_track < 1:
        raise ValueError(
            f"duration * frame_rate must give at least one frame, got {duration!r} * {frame_rate!r}"
        )
    if per_track > span:
        raise ValueError(f"more than one frame per ms: {per_track} frames in {span} ms")
    private = AVC_CODEC_PRIVATE if codec_id == _AVC else None
    tracks = tuple(
        Track(number, number, "video", codec_id, private, None, _WIDTH, _HEIGHT)
        for number in range(1, track_count + 1)
    )
    header = Header(1_000_000, tracks, "kvsim")
    data = _payload(frame_size, codec_id)
    frames = []
    for i in range(per_track):
        timecode = (2 * i * span + per_track) // (2 * per_track)
        last = i == per_track - 1
        for number in range(1, track_count + 1):
            frames.append(Frame(number, timecode, i == 0, data, span - timecode if last else None))
    shared = tuple(frames)
    # Sizes: the Cluster header and Timecode depend on the timecode, the rest does not.
    template = encode_cluster(Cluster(0, shared, (), 0))
    head = read_element_header(template, 0, len(template))
    assert head is not None and head[1] is not None
    blocks = head[1] - 3  # the Timecode element of 0 is 3 bytes
    clusters = []
    for k in range(count):
        timecode = start_ms + k * span
        body = blocks + 2 + len(encode_uint(timecode))
        size = 4 + len(encode_size(body)) + body
        clusters.append(Cluster(timecode, shared, (), size))
    return header, clusters


def generated_mkv(**options: Any) -> bytes:
    """One MKV stream of :func:`generated_fragments` (same keyword arguments), untagged."""
    header, clusters = generated_fragments(**options)
    return b"".join(write_mkv(header, ((cluster, ()) for cluster in clusters)))
