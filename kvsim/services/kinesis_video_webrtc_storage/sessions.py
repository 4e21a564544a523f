"""JoinStorageSession and JoinStorageSessionAsViewer: a channel's storage session.

A channel whose media storage is ENABLED (UpdateMediaStorageConfiguration)
records its WebRTC media into the linked stream through a storage session
(:class:`StorageSession`, kept in the channel's signaling relay). kvsim rules
where AWS is silent:

- The channel must be ACTIVE or UPDATING (else ``ResourceNotFoundException``)
  and have media storage ENABLED (else ``InvalidArgumentException``, as
  GetSignalingChannelEndpoint answers for ``WEBRTC``).
- A join starts a session if none is live. A session lives 1 hour from its
  start, and ends sooner after 3 minutes without a producer join (the
  producer's idle timeout) [QW]; a join after that starts a new one.
- **JoinStorageSession** (the producer, the channel's master): the latest
  join wins (it becomes the session's producer); each join sends the master
  exactly one ``SDP_OFFER`` from the storage session (sender client id
  :data:`STORAGE_CLIENT_ID`) on its signaling connection, held for the
  channel's ``MessageTtlSeconds`` if no master is connected.
- **JoinStorageSessionAsViewer**: at most 3 viewers per session (the 4th
  distinct ``clientId`` answers ``ClientLimitExceededException``); a join with
  a ``clientId`` already in the session replaces it; each join sends that
  viewer one ``SDP_OFFER``.
- 2 joins per second per channel, 50 per account (each operation).
- Sessions are not stored media yet: the stream's fragments come from PutMedia.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.clock import from_ms
from ...model.errors import ClientLimitExceededException, InvalidArgumentException
from ..declarations import Declarations
from ..gate import Admission
from ..kinesis_video_signaling.relay import MASTER_KEY, deliver, find_channel, relay_of
from ..state import Region

if TYPE_CHECKING:
    from ..world import World

__all__ = ["MAX_SESSION_VIEWERS", "STORAGE_CLIENT_ID", "StorageSession", "declare"]

declare = Declarations("kinesis-video-webrtc-storage")

#: The sender client id of the storage session's offers (``AWS_`` is reserved for AWS).
STORAGE_CLIENT_ID = "AWS_KVS_STORAGE_SESSION"
#: Concurrent viewers of one storage session [QW].
MAX_SESSION_VIEWERS = 3
_SESSION_MS = 3_600_000
_PRODUCER_IDLE_MS = 180_000


class StorageSession:
    """One storage session of a channel: its stream, producer joins and viewers."""

    __slots__ = ("joins", "producer_ms", "started_ms", "stream_arn", "viewers")

    def __init__(self, stream_arn: str, now_ms: int) -> None:
        self.stream_arn = stream_arn
        self.started_ms = now_ms
        self.producer_ms = now_ms
        #: How many JoinStorageSession calls this session had (the last one is the producer).
        self.joins = 0
        #: Viewer client id → when it joined (ms).
        self.viewers: dict[str, int] = {}

    def live(self, now_ms: int) -> bool:
        """Whether the session still runs at ``now_ms``."""
        return (
            now_ms < self.started_ms + _SESSION_MS and now_ms < self.producer_ms + _PRODUCER_IDLE_MS
        )

    def describe(self) -> dict[str, Any]:
        """The session as a dict: ``StreamARN``, ``StartTime``, ``ProducerJoins``,
        ``LastProducerJoin``, ``Viewers`` (client ids in join order)."""
        return {
            "StreamARN": self.stream_arn,
            "StartTime": from_ms(self.started_ms),
            "ProducerJoins": self.joins,
            "LastProducerJoin": from_ms(self.producer_ms),
            "Viewers": list(self.viewers),
        }


def _offer(world: World, role: str) -> str:
    # A small SDP offer with the H.264 video and Opus audio ingestion needs.
    session = world.rng.getrandbits(62)
    sdp = "\r\n".join(
        [
            "v=0",
            f"o=- {session} 2 IN IP4 127.0.0.1",
            "s=-",
            "t=0 0",
            "a=group:BUNDLE 0 1",
            "m=video 9 UDP/TLS/RTP/SAVPF 96",
            "c=IN IP4 0.0.0.0",
            "a=mid:0",
            "a=recvonly" if role == "producer" else "a=sendonly",
            "a=rtpmap:96 H264/90000",
            "m=audio 9 UDP/TLS/RTP/SAVPF 111",
            "c=IN IP4 0.0.0.0",
            "a=mid:1",
            "a=sendrecv",
            "a=rtpmap:111 opus/48000/2",
            "",
        ]
    )
    return base64.b64encode(json.dumps({"type": "offer", "sdp": sdp}).encode()).decode("ascii")


def _join(world: World, region: Region, op: str, arn: str) -> tuple[Admission, Any]:
    gate = Admission(world, region, op)
    channel = find_channel(region, arn)
    gate.resource(channel)
    if channel.storage is None:
        raise InvalidArgumentException(
            f"The channel {channel.name} has no media storage ENABLED "
            "(UpdateMediaStorageConfiguration), so it has no storage session."
        )
    return gate, channel


def _session(world: World, channel: Any) -> StorageSession:
    relay = relay_of(channel)
    session: StorageSession | None = relay.storage
    now = world.now_ms
    if session is None or not session.live(now) or session.stream_arn != channel.storage:
        session = relay.storage = StorageSession(channel.storage, now)
    return session


@declare("JoinStorageSession", rate=(50, 2), resource="channel")
def _join_storage_session(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """JoinStorageSession: join (or start) the storage session as its producer; ``{}``."""
    gate, channel = _join(world, region, "JoinStorageSession", p["channelArn"])
    gate.commit()
    session = _session(world, channel)
    session.joins += 1
    session.producer_ms = world.now_ms
    message = {
        "senderClientId": STORAGE_CLIENT_ID,
        "messageType": "SDP_OFFER",
        "messagePayload": _offer(world, "producer"),
    }
    deliver(world, channel, MASTER_KEY, "SDP_OFFER", message, sender=STORAGE_CLIENT_ID)
    return {}


@declare("JoinStorageSessionAsViewer", rate=(50, 2), resource="channel")
def _join_as_viewer(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """JoinStorageSessionAsViewer: join the storage session as viewer ``clientId``; ``{}``."""
    client_id = p["clientId"]
    gate, channel = _join(world, region, "JoinStorageSessionAsViewer", p["channelArn"])
    relay = channel.signaling
    current = relay.storage if relay is not None else None
    if (
        current is not None
        and current.live(world.now_ms)
        and client_id not in current.viewers
        and len(current.viewers) >= MAX_SESSION_VIEWERS
    ):
        raise ClientLimitExceededException(
            f"The storage session of channel {channel.name} already has "
            f"{MAX_SESSION_VIEWERS} viewers."
        )
    gate.commit()
    session = _session(world, channel)
    session.viewers.pop(client_id, None)
    session.viewers[client_id] = world.now_ms
    message = {
        "senderClientId": STORAGE_CLIENT_ID,
        "messageType": "SDP_OFFER",
        "messagePayload": _offer(world, "viewer"),
    }
    deliver(world, channel, client_id, "SDP_OFFER", message, sender=STORAGE_CLIENT_ID)
    return {}
