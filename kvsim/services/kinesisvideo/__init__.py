"""``kinesisvideo``, the control plane: one module per resource family.

- :mod:`.resolve`: finding a stream by name or ARN, and the operation preamble;
- :mod:`.streams`: create, describe, list, update, retention, delete, data endpoints;
- :mod:`.tags`: the six tagging operations;
- :mod:`.storage`: the stream storage configuration;
- :mod:`.channels`: signaling channels (create, describe, list, update, delete, endpoints);
- :mod:`.media_storage`: a channel's media storage link to a stream, and the stream's side;
- :mod:`.configurations`: a stream's image generation and notification configurations;
- :mod:`.edge`: a stream's edge configuration and the hub devices' lists.
"""

from __future__ import annotations

from ..declarations import Operation
from . import channels, configurations, edge, media_storage, storage, streams, tags

__all__ = ["OPERATIONS", "TRANSITIONS"]

#: The simulated operations of ``kinesisvideo``, in declaration order.
OPERATIONS: tuple[Operation, ...] = (
    *streams.declare.operations,
    *tags.declare.operations,
    *storage.declare.operations,
    *channels.declare.operations,
    *media_storage.declare.operations,
    *configurations.declare.operations,
    *edge.declare.operations,
)

#: The timed changes of this service's resources.
TRANSITIONS = {**streams.TRANSITIONS, **channels.TRANSITIONS, **edge.TRANSITIONS}
