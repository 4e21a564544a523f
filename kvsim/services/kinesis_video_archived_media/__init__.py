"""``kinesis-video-archived-media``: reading a stream's stored fragments.

- :mod:`.fragments`: ListFragments and GetMediaForFragmentList.
"""

from __future__ import annotations

from ..declarations import Operation
from . import fragments

__all__ = ["OPERATIONS"]

#: The simulated operations of ``kinesis-video-archived-media``, in declaration order.
OPERATIONS: tuple[Operation, ...] = tuple(fragments.declare.operations)
