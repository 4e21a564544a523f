"""Every service kvsim serves and the operations it simulates, gathered from the declarations.

A service's other model operations exist too (clients have their methods,
the HTTP layer routes them) and answer ``UnsupportedOperationException``.

>>> SERVICES["kinesisvideo"].simulated["CreateStream"].method
'create_stream'
>>> list(SERVICES["kinesis-video-media"].simulated)
['GetMedia']
>>> DEFAULT_RATES["DescribeStream"]
(300, 5)
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from ..core.kernel import Transition
from ..core.resources import Family
from ..model.catalog import SERVICE_NAMES, ServiceSpec, service_spec
from ..model.validation import Structure
from . import (
    kinesis_video_archived_media,
    kinesis_video_media,
    kinesis_video_signaling,
    kinesis_video_webrtc_storage,
    kinesisvideo,
)
from .channels_state import CHANNELS
from .configs_state import EDGES, HUBS
from .declarations import Operation, Rate
from .deliveries import ACTIVATIONS
from .fragments import EXPIRED
from .fragments_state import FRAGMENTS
from .kinesis_video_archived_media.sessions_state import SESSIONS
from .kinesis_video_media.put_media import FED
from .state import STREAMS

__all__ = [
    "DEFAULT_RATES",
    "FAMILIES",
    "INPUTS",
    "OPERATIONS",
    "SERVICES",
    "SIMULATED",
    "TRANSITIONS",
    "Service",
    "service",
]


class Service:
    """One botocore service: its model and the operations kvsim simulates of it."""

    __slots__ = ("name", "simulated", "spec")

    def __init__(self, spec: ServiceSpec, operations: tuple[Operation, ...]) -> None:
        self.name = spec.name
        self.spec = spec
        #: The simulated operations by API name, in declaration order.
        self.simulated: dict[str, Operation] = {op.name: op for op in operations}

    def __repr__(self) -> str:
        return (
            f"<Service {self.name}: {len(self.simulated)} of {len(self.spec.operations)} simulated>"
        )


_DECLARED: Mapping[str, tuple[Operation, ...]] = {
    "kinesisvideo": kinesisvideo.OPERATIONS,
    "kinesis-video-archived-media": kinesis_video_archived_media.OPERATIONS,
    "kinesis-video-media": kinesis_video_media.OPERATIONS,
    "kinesis-video-signaling": kinesis_video_signaling.OPERATIONS,
    "kinesis-video-webrtc-storage": kinesis_video_webrtc_storage.OPERATIONS,
}

#: Every service by botocore name, in :data:`SERVICE_NAMES` order.
SERVICES: Mapping[str, Service] = MappingProxyType(
    {name: Service(service_spec(name), _DECLARED.get(name, ())) for name in SERVICE_NAMES}
)

#: Every simulated operation of every service, by API name (unique across the services).
SIMULATED: Mapping[str, Operation] = MappingProxyType(
    {name: op for service in SERVICES.values() for name, op in service.simulated.items()}
)

#: The simulated ``kinesisvideo`` operations by API name, in declaration order.
OPERATIONS: tuple[str, ...] = tuple(SERVICES["kinesisvideo"].simulated)

#: The input shape of every simulated ``kinesisvideo`` operation, in declaration order.
INPUTS: Mapping[str, Structure] = MappingProxyType(
    {name: op.input for name, op in SERVICES["kinesisvideo"].simulated.items()}
)

#: The declared request-rate quota of every simulated operation.
DEFAULT_RATES: Mapping[str, Rate] = MappingProxyType(
    {name: op.rate for name, op in SIMULATED.items()}
)

#: Every timed change of every service's resources, by name (for snapshots).
TRANSITIONS: Mapping[str, Transition] = MappingProxyType(
    {**kinesisvideo.TRANSITIONS, EXPIRED.name: EXPIRED, FED.name: FED}
)


#: Every family of resources a region holds, by name (for snapshots).
FAMILIES: Mapping[str, Family[Any]] = MappingProxyType(
    {
        STREAMS.name: STREAMS,
        CHANNELS.name: CHANNELS,
        EDGES.name: EDGES,
        HUBS.name: HUBS,
        FRAGMENTS.name: FRAGMENTS,
        SESSIONS.name: SESSIONS,
        ACTIVATIONS.name: ACTIVATIONS,
    }
)


def service(name: str) -> Service:
    """The service ``name``; ``ValueError`` naming the five for anything else."""
    found = SERVICES.get(name) if isinstance(name, str) else None
    if found is None:
        raise ValueError(
            f"kvsim does not simulate service {name!r}; it simulates: "
            + ", ".join(repr(n) for n in SERVICE_NAMES)
        )
    return found
