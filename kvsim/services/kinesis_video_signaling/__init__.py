"""``kinesis-video-signaling`` and the WebSocket signaling relay beside it.

- :mod:`.ice`: GetIceServerConfig and SendAlexaOfferToMaster;
- :mod:`.relay`: masters, viewers and their messages (no botocore model).
"""

from __future__ import annotations

from ..declarations import Operation
from . import ice

__all__ = ["OPERATIONS"]

#: The simulated operations of ``kinesis-video-signaling``, in declaration order.
OPERATIONS: tuple[Operation, ...] = tuple(ice.declare.operations)
