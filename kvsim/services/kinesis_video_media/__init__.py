"""``kinesis-video-media`` and the PutMedia protocol beside it.

- :mod:`.get_media`: GetMedia;
- :mod:`.put_media`: PutMedia sessions and generated fragments (no botocore model).
"""

from __future__ import annotations

from ..declarations import Operation
from . import get_media

__all__ = ["OPERATIONS"]

#: The simulated operations of ``kinesis-video-media``, in declaration order.
OPERATIONS: tuple[Operation, ...] = tuple(get_media.declare.operations)
