"""``kinesis-video-webrtc-storage``: WebRTC storage sessions of channels with media storage.

- :mod:`.sessions`: JoinStorageSession and JoinStorageSessionAsViewer.
"""

from __future__ import annotations

from ..declarations import Operation
from . import sessions

__all__ = ["OPERATIONS"]

#: The simulated operations of ``kinesis-video-webrtc-storage``, in declaration order.
OPERATIONS: tuple[Operation, ...] = tuple(sessions.declare.operations)
