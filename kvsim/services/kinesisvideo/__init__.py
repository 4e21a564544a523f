"""``kinesisvideo``, the control plane: one module per resource family.

- :mod:`.resolve`: finding a stream by name or ARN, and the operation preamble;
- :mod:`.streams`: create, describe, list, update, retention, delete, data endpoints;
- :mod:`.tags`: the six tagging operations;
- :mod:`.storage`: the stream storage configuration.
"""

from __future__ import annotations

from ..declarations import Operation
from . import storage, streams, tags

__all__ = ["OPERATIONS", "TRANSITIONS"]

#: The simulated operations of ``kinesisvideo``, in declaration order.
OPERATIONS: tuple[Operation, ...] = (
    *streams.declare.operations,
    *tags.declare.operations,
    *storage.declare.operations,
)

#: The timed changes of this service's resources.
TRANSITIONS = streams.TRANSITIONS
