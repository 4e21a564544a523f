"""The WebSocket signaling relay of a channel: masters, viewers and their messages.

A channel's relay (:class:`ChannelRelay`, in :attr:`Channel.signaling
<kvsim.services.channels_state.Channel.signaling>`, None until the first
connection) holds its connected master, its viewers by client id, and the
messages waiting for a recipient that is not connected. Everything happens
on the virtual clock and takes no virtual time (messages are not API calls);
time limits are checked whenever a connection is used (lazily), so the relay
schedules nothing in the kernel's queue.

kvsim rules (AWS documents the rest, see ``kvs-data-plane.md`` §9):

- **Connecting** needs the channel ACTIVE or UPDATING (else
  ``ResourceNotFoundException``, as for a missing channel); 3 connections per
  second per channel and role (``ClientLimitExceededException``); at most
  10 viewers, the newest refused (``ClientLimitExceededException``). Both are
  AWS's figures, the defaults of ``Limits.signaling_connect_tps`` and
  ``Limits.max_viewers_per_channel``. A viewer needs a client id; client ids
  are 1-256 of ``[a-zA-Z0-9_.-]`` and must not start with ``AWS_`` (any case)
  (``InvalidArgumentException``).
- **Replacing.** A new master replaces the connected one, a viewer connecting
  with a client id in use replaces that viewer: the replaced connection
  receives ``GO_AWAY`` and is closed (it receives nothing more).
- **Time limits.** A connection is closed :data:`MAX_CONNECTION_MS` (1 hour)
  after it opened, with a ``GO_AWAY`` :data:`GO_AWAY_GRACE_MS` (1 minute)
  before; and after :data:`IDLE_MS` (10 minutes) without a message sent or
  received, whichever comes first (a connection idle when its ``GO_AWAY``
  would be due is closed as idle, without one). Connections close when their
  channel is deleted (DeleteSignalingChannel). A closed connection's unread
  messages stay readable.
- **Sending.** ``action`` is ``SDP_OFFER``, ``SDP_ANSWER`` or
  ``ICE_CANDIDATE``; ``messagePayload`` 1-10,000 base64 characters; a master
  names ``recipientClientId``; a viewer's always goes to the master. 5 offers,
  5 answers and 20 candidates per second per connection (AWS's figures,
  ``Limits.signaling_sdp_tps`` and ``signaling_candidate_tps``). A send that breaks
  a rule gets a ``STATUS_RESPONSE`` (``errorType``, ``statusCode``,
  ``description``) only when it carried a ``correlationId``; otherwise it is
  dropped silently. A successful send gets no reply.
- **Delivery.** A message to a connected recipient is delivered at once. One
  to a recipient that is not connected waits up to the channel's
  ``MessageTtlSeconds`` and is delivered when the recipient connects; a newer
  undelivered offer (answer) from the same sender to the same recipient
  replaces the older one. Messages from the master carry no
  ``senderClientId`` unless the master connected with a client id.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ...model.errors import (
    ClientLimitExceededException,
    InvalidArgumentException,
    ResourceNotFoundException,
)
from ..gate import tokens
from ..state import ACTIVE, UPDATING, Bucket, Region

if TYPE_CHECKING:
    from ..channels_state import Channel
    from ..world import World

__all__ = [
    "ACTIONS",
    "GO_AWAY_GRACE_MS",
    "IDLE_MS",
    "MASTER_KEY",
    "MAX_CONNECTION_MS",
    "MAX_PAYLOAD",
    "MESSAGE_TYPES",
    "SESSION_MS",
    "ChannelRelay",
    "Connection",
    "check_client_id",
    "connect",
    "find_channel",
    "relay_of",
    "send",
]

#: What a client may send.
ACTIONS = ("SDP_OFFER", "SDP_ANSWER", "ICE_CANDIDATE")
#: What a client may receive.
MESSAGE_TYPES = (*ACTIONS, "GO_AWAY", "RECONNECT_ICE_SERVER", "STATUS_RESPONSE")
#: Longest connection, idle timeout and GO_AWAY grace [QW], in ms.
MAX_CONNECTION_MS = 3_600_000
IDLE_MS = 600_000
GO_AWAY_GRACE_MS = 60_000
#: A connected client's session for GetIceServerConfig (the model's 45 minutes).
SESSION_MS = 2_700_000
#: Largest ``messagePayload`` (10K characters).
MAX_PAYLOAD = 10_000

_CLIENT_ID = re.compile(r"[a-zA-Z0-9_.-]{1,256}", re.ASCII)
_BASE64 = re.compile(r"[a-zA-Z0-9+/=]+", re.ASCII)
#: The key under which messages for the master wait.
MASTER_KEY = "\x00master"

#: A delivered message, as the wire's JSON object.
Message = dict[str, Any]


def check_client_id(client_id: object, what: str = "ClientId") -> str:
    """``client_id`` if it is a valid signaling client id, else ``InvalidArgumentException``."""
    if not isinstance(client_id, str) or not _CLIENT_ID.fullmatch(client_id):
        raise InvalidArgumentException(
            f"{what} must be 1-256 characters of [a-zA-Z0-9_.-], got {str(client_id)[:300]!r}."
        )
    if client_id[:4].upper() == "AWS_":
        raise InvalidArgumentException(f"{what} must not start with AWS_, got {client_id!r}.")
    return client_id


class Connection:
    """One signaling WebSocket connection (or its in-process stand-in)."""

    __slots__ = (
        "buckets",
        "channel",
        "client_id",
        "closed",
        "go_away_sent",
        "inbox",
        "last_ms",
        "listener",
        "on_message",
        "opened_ms",
        "role",
        "serial",
    )

    def __init__(
        self, channel: Channel, role: str, client_id: str | None, now_ms: int, serial: int
    ) -> None:
        self.channel = channel
        self.role = role
        self.client_id = client_id
        self.opened_ms = now_ms
        self.last_ms = now_ms
        self.serial = serial
        #: Delivered messages not read yet, oldest first.
        self.inbox: list[Message] = []
        #: None while open, else why it closed.
        self.closed: str | None = None
        self.go_away_sent = False
        self.buckets: dict[str, Bucket] = {}
        #: Called (under the simulator's lock) after a message lands in the inbox.
        self.listener: Callable[[], None] | None = None
        #: Called (under the lock) with each delivered message; it may send.
        self.on_message: Callable[[Message], None] | None = None

    @property
    def key(self) -> str:
        """Where messages to this connection wait: the master's key or the client id."""
        return MASTER_KEY if self.role == "MASTER" else str(self.client_id)

    def deliver(self, message: Message, now_ms: int) -> None:
        """Put ``message`` in the inbox now."""
        self.inbox.append(message)
        self.last_ms = max(self.last_ms, now_ms)
        if self.listener is not None:
            self.listener()
        if self.on_message is not None:
            self.on_message(message)

    def refresh(self, now_ms: int) -> None:
        """Apply the time limits as of ``now_ms``: GO_AWAY, then closing."""
        if self.closed is not None:
            return
        channel = self.channel
        region = channel.region
        if region.channels_by_arn.get(channel.arn) is not channel or channel.status not in (
            ACTIVE,
            UPDATING,
        ):
            self.close("the channel was deleted", now_ms)
            return
        # As if checked at every instant: whichever limit came first applies.
        end = self.opened_ms + MAX_CONNECTION_MS
        warn = end - GO_AWAY_GRACE_MS
        if not self.go_away_sent and warn < self.last_ms + IDLE_MS and now_ms >= warn:
            self.go_away(warn)  # the service's warning, due before the idle timeout
        idle = self.last_ms + IDLE_MS
        if now_ms >= min(end, idle):
            if end <= idle:
                self.close("the connection reached its maximum duration (1 hour)", now_ms)
            else:
                self.close("the connection was idle for 10 minutes", now_ms)

    def go_away(self, now_ms: int) -> None:
        """Send GO_AWAY (once per connection)."""
        if not self.go_away_sent and self.closed is None:
            self.go_away_sent = True
            self.deliver({"messageType": "GO_AWAY"}, now_ms)

    def close(self, reason: str, now_ms: int) -> None:
        """Close the connection (it stops receiving); O(1)."""
        if self.closed is not None:
            return
        self.closed = reason
        relay = self.channel.signaling
        if relay is not None:
            relay.forget(self)
        if self.listener is not None:
            self.listener()


class _Held:
    # A message waiting for its recipient to connect.
    __slots__ = ("action", "due_ms", "message", "sender")

    def __init__(self, action: str, due_ms: int, message: Message, sender: str) -> None:
        self.action = action
        self.due_ms = due_ms
        self.message = message
        self.sender = sender


class ChannelRelay:
    """A channel's connected clients and undelivered messages."""

    __slots__ = ("alexa", "buckets", "held", "master", "serials", "storage", "viewers")

    def __init__(self) -> None:
        #: SendAlexaOfferToMaster calls in progress: sender client id → the answer so far.
        self.alexa: dict[str, str | None] = {}
        self.master: Connection | None = None
        self.viewers: dict[str, Connection] = {}
        #: Undelivered messages by recipient key, oldest first.
        self.held: dict[str, list[_Held]] = {}
        self.buckets: dict[str, Bucket] = {}
        self.serials = 0
        #: The channel's WebRTC storage session (kvsim.services.kinesis_video_webrtc_storage).
        self.storage: Any = None

    def forget(self, connection: Connection) -> None:
        """Drop ``connection`` from the connected clients (if it is still there)."""
        if connection.role == "MASTER":
            if self.master is connection:
                self.master = None
        elif self.viewers.get(str(connection.client_id)) is connection:
            del self.viewers[str(connection.client_id)]

    def recipient(self, key: str) -> Connection | None:
        """The open connection messages for ``key`` go to."""
        return self.master if key == MASTER_KEY else self.viewers.get(key)

    def live(self, now_ms: int) -> list[Connection]:
        """The open connections after applying the time limits."""
        connections = [c for c in (self.master, *self.viewers.values()) if c is not None]
        for connection in connections:
            connection.refresh(now_ms)
        return [c for c in connections if c.closed is None]

    def close_all(self, reason: str, now_ms: int) -> None:
        """Close every open connection (time limits applied first), e.g. when the
        channel is deleted."""
        for connection in self.live(now_ms):
            connection.close(reason, now_ms)

    def busy(self, now_ms: int) -> bool:
        """Whether anything would be lost without this relay: open connections,
        messages still waiting, a live storage session."""
        if self.live(now_ms):
            return True
        if any(h.due_ms > now_ms for waiting in self.held.values() for h in waiting):
            return True
        return self.storage is not None and self.storage.live(now_ms)


def relay_of(channel: Channel) -> ChannelRelay:
    """The channel's relay, made on first use."""
    relay: ChannelRelay | None = channel.signaling
    if relay is None:
        relay = channel.signaling = ChannelRelay()
    return relay


def find_channel(region: Region, arn: str) -> Channel:
    """The ACTIVE or UPDATING channel with this ARN (else ``ResourceNotFoundException``)."""
    channel = region.channels_by_arn.get(arn)
    if channel is None or channel.status not in (ACTIVE, UPDATING):
        raise ResourceNotFoundException("The requested channel is not found or not active.")
    return channel


def connect(world: World, region: Region, arn: str, role: str, client_id: str | None) -> Connection:
    """Open a connection as ``role`` (MASTER or VIEWER); see the module's rules."""
    if role not in ("MASTER", "VIEWER"):
        raise InvalidArgumentException(f"role must be MASTER or VIEWER, got {role!r}.")
    if role == "VIEWER" and client_id is None:
        raise InvalidArgumentException("A viewer must connect with X-Amz-ClientId.")
    if client_id is not None:
        check_client_id(client_id, "X-Amz-ClientId")
    channel = find_channel(region, arn)
    now = world.now_ms
    relay = relay_of(channel)
    live = relay.live(now)
    op = "ConnectAsMaster" if role == "MASTER" else "ConnectAsViewer"
    limits = world.limits
    tps = limits.signaling_connect_tps if limits.throttling else None
    if tps is not None and tokens(relay.buckets, op, now, tps) < 1:
        raise ClientLimitExceededException(
            f"Limit exceeded on number of requests for {op} API for resource '{channel.name}'"
        )
    replaced = relay.master if role == "MASTER" else relay.viewers.get(str(client_id))
    most = limits.max_viewers_per_channel
    if (
        role == "VIEWER"
        and replaced is None
        and most is not None
        and sum(1 for c in live if c.role == "VIEWER") >= most
    ):
        raise ClientLimitExceededException(
            f"The channel {channel.name} already has {most} viewers connected."
        )
    if tps is not None:
        relay.buckets[op] = [tokens(relay.buckets, op, now, tps) - 1, now]
    if replaced is not None:
        replaced.go_away(now)
        replaced.close("replaced by a newer connection", now)
    relay.serials += 1
    connection = Connection(channel, role, client_id, now, relay.serials)
    if role == "MASTER":
        relay.master = connection
    else:
        relay.viewers[str(client_id)] = connection
    waiting = relay.held.pop(connection.key, None)
    if waiting:
        for held in waiting:
            if held.due_ms > now:
                connection.deliver(held.message, now)
    return connection


def _failure(
    connection: Connection, correlation: object, code: str, status: int, text: str, now: int
) -> None:
    if isinstance(correlation, str) and correlation:
        connection.deliver(
            {
                "messageType": "STATUS_RESPONSE",
                "statusResponse": {
                    "correlationId": correlation,
                    "errorType": code,
                    "statusCode": str(status),
                    "description": text,
                },
            },
            now,
        )


def send(world: World, connection: Connection, frame: object) -> bool:
    """Relay one client frame (the parsed JSON object); True if it was accepted.

    A frame that breaks a rule answers a STATUS_RESPONSE when it has a
    ``correlationId`` (see the module's rules); the caller never gets an error.
    """
    now = world.now_ms
    connection.refresh(now)
    if connection.closed is not None:
        return False
    connection.last_ms = now
    if not isinstance(frame, dict):
        return False
    correlation = frame.get("correlationId")
    action = frame.get("action")
    payload = frame.get("messagePayload")
    recipient = frame.get("recipientClientId")
    problem = None
    if correlation is not None and (
        not isinstance(correlation, str) or not _CLIENT_ID.fullmatch(correlation)
    ):
        problem = "correlationId must be 1-256 characters of [a-zA-Z0-9_.-]."
    elif action not in ACTIONS:
        problem = f"action must be one of {', '.join(ACTIONS)}, got {str(action)[:100]!r}."
    elif not isinstance(payload, str) or not _BASE64.fullmatch(payload):
        problem = "messagePayload must be base64 text."
    elif len(payload) > MAX_PAYLOAD:
        problem = f"messagePayload has {len(payload)} characters; the limit is {MAX_PAYLOAD}."
    elif connection.role == "MASTER" and recipient is None:
        problem = "A master must name the recipientClientId of the viewer."
    elif connection.role == "MASTER" and (
        not isinstance(recipient, str) or not _CLIENT_ID.fullmatch(recipient)
    ):
        problem = "recipientClientId must be 1-256 characters of [a-zA-Z0-9_.-]."
    if problem is not None:
        _failure(connection, correlation, "InvalidArgumentException", 400, problem, now)
        return False
    assert isinstance(action, str) and isinstance(payload, str)
    limits = world.limits
    tps = (
        None
        if not limits.throttling
        else limits.signaling_candidate_tps
        if action == "ICE_CANDIDATE"
        else limits.signaling_sdp_tps
    )
    if tps is not None:
        if tokens(connection.buckets, action, now, tps) < 1:
            _failure(
                connection,
                correlation,
                "ClientLimitExceededException",
                400,
                f"Limit exceeded on number of {action} messages for this connection ({tps} per second).",
                now,
            )
            return False
        connection.buckets[action] = [tokens(connection.buckets, action, now, tps) - 1, now]
    message: Message = {"messageType": action, "messagePayload": payload}
    if connection.client_id is not None:
        message = {"senderClientId": connection.client_id, **message}
    key = str(recipient) if connection.role == "MASTER" else MASTER_KEY
    deliver(world, connection.channel, key, action, message, sender=connection.key)
    return True


def deliver(
    world: World, channel: Channel, key: str, action: str, message: Message, *, sender: str
) -> None:
    """Deliver ``message`` to the connection of ``key`` now, or hold it for the
    channel's message TTL (replacing an older undelivered offer or answer of
    the same sender)."""
    now = world.now_ms
    relay = relay_of(channel)
    if action == "SDP_ANSWER" and key in relay.alexa:
        relay.alexa[key] = message["messagePayload"]
        return
    target = relay.recipient(key)
    if target is not None:
        target.refresh(now)
        if target.closed is None:
            target.deliver(message, now)
            return
    waiting = [h for h in relay.held.get(key, ()) if h.due_ms > now]
    if action in ("SDP_OFFER", "SDP_ANSWER"):
        waiting = [h for h in waiting if not (h.action == action and h.sender == sender)]
    waiting.append(_Held(action, now + channel.ttl * 1000, message, sender))
    relay.held[key] = waiting


def payload_text(data: bytes) -> str:
    """``data`` as a ``messagePayload``: base64."""
    return base64.b64encode(data).decode("ascii")
