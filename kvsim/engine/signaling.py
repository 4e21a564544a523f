"""``sim.signaling``: WebRTC signaling clients in process, on the virtual clock.

A test connects a master and viewers to a signaling channel, sends SDP offers,
answers and ICE candidates and reads what the others sent, with the real
service's message format (the rules are in
:mod:`kvsim.services.kinesis_video_signaling.relay`). ``kvsim serve`` answers
the same relay over WebSocket (:mod:`kvsim.http.signaling`).

The trace records each relay action as a ``{"signaling": ...}`` scenario step
with its outcome (see :mod:`kvsim.scenarios.steps`): connect, send (the frame),
receive (the messages), close, go_away and reconnect_ice_server. Connections
are named by :attr:`SignalingConnection.connection_id`, the order they were
opened in. An action's entry goes in before it runs, so what an
:attr:`~SignalingConnection.on_message` hook sends while it runs comes after
it, as a replay repeats it.

>>> import kvsim
>>> sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
>>> arn = sim.client().create_signaling_channel(ChannelName="door")["ChannelARN"]
>>> _ = sim.advance(2)
>>> master = sim.signaling.connect(arn, role="MASTER")
>>> viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
>>> viewer.send("SDP_OFFER", {"type": "offer", "sdp": "v=0..."})
>>> [(m["senderClientId"], m["messageType"], decode(m)) for m in master.receive()]
[('phone', 'SDP_OFFER', {'type': 'offer', 'sdp': 'v=0...'})]
>>> master.send("SDP_ANSWER", {"type": "answer", "sdp": "v=0..."}, recipient_client_id="phone")
>>> [m["messageType"] for m in viewer.receive()]
['SDP_ANSWER']
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from ..core.constants import DEFAULT_ACCOUNT_ID, DEFAULT_REGION_NAME
from ..core.trace import snapshot
from ..model.errors import ClientError
from ..services.kinesis_video_signaling import relay
from ..services.kinesis_video_signaling.relay import Connection, Message

if TYPE_CHECKING:
    from .runtime import Runtime

__all__ = ["Signaling", "SignalingClosedError", "SignalingConnection", "decode", "encode"]


class SignalingClosedError(Exception):
    """A send on a connection the service has closed (``reason`` says why)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"the signaling connection is closed: {reason}")
        self.reason = reason


def encode(payload: str | bytes | Mapping[str, Any]) -> str:
    """A ``messagePayload``: a str is taken as base64 already, bytes are
    base64-encoded, a mapping is sent as the SDKs send it (base64 of its JSON).

    >>> encode({"candidate": "c"}), encode(b"hi"), encode("aGk=")
    ('eyJjYW5kaWRhdGUiOiAiYyJ9', 'aGk=', 'aGk=')
    """
    if isinstance(payload, str):
        return payload
    if isinstance(payload, bytes | bytearray):
        return base64.b64encode(bytes(payload)).decode("ascii")
    if isinstance(payload, Mapping):
        return base64.b64encode(json.dumps(dict(payload)).encode()).decode("ascii")
    raise TypeError(f"payload must be str, bytes or a mapping, not {type(payload).__name__}")


def decode(message: Mapping[str, Any]) -> Any:
    """The JSON object a received message's ``messagePayload`` carries (None without one)."""
    payload = message.get("messagePayload")
    if payload is None:
        return None
    return json.loads(base64.b64decode(payload))


class SignalingConnection:
    """One client connected to a channel's signaling relay (as a WebSocket would be)."""

    __slots__ = ("_connection", "_id", "_runtime")

    def __init__(self, runtime: Runtime, connection: Connection, connection_id: int = 0) -> None:
        self._runtime = runtime
        self._connection = connection
        self._id = connection_id

    def __repr__(self) -> str:
        c = self._connection
        state = "open" if c.closed is None else "closed"
        who = "" if c.client_id is None else f" client_id={c.client_id!r}"
        return f"<SignalingConnection {c.role}{who} {state} {c.channel.arn}>"

    @property
    def connection_id(self) -> int:
        """Its name in the trace: the n-th connect attempt of this simulator (from 1)."""
        return self._id

    @property
    def role(self) -> str:
        """``"MASTER"`` or ``"VIEWER"``."""
        return self._connection.role

    @property
    def client_id(self) -> str | None:
        """The client id it connected with (None for a master without one)."""
        return self._connection.client_id

    @property
    def channel_arn(self) -> str:
        """The channel's ARN."""
        return self._connection.channel.arn

    @property
    def closed(self) -> str | None:
        """None while open, else why the service closed it (or ``"closed by the client"``)."""
        with self._runtime.lock:
            self._connection.refresh(self._runtime.world.now_ms)
            return self._connection.closed

    @property
    def on_message(self) -> Callable[[Message], None] | None:
        """A hook called with each message as it is delivered, at that virtual
        instant and under the simulator's lock (it may :meth:`send`, e.g. a
        master answering SendAlexaOfferToMaster); the message still lands in
        :meth:`receive`."""
        return self._connection.on_message

    @on_message.setter
    def on_message(self, hook: Callable[[Message], None] | None) -> None:
        self._connection.on_message = hook

    def send(
        self,
        action: str,
        payload: str | bytes | Mapping[str, Any],
        *,
        recipient_client_id: str | None = None,
        correlation_id: str | None = None,
    ) -> None:
        """Send ``{"action", "messagePayload", "recipientClientId", "correlationId"}``
        (see :func:`encode` for ``payload``). Nothing comes back on success; a
        failed send answers a ``STATUS_RESPONSE`` in :meth:`receive` only when
        ``correlation_id`` was given, as the real service does.
        :class:`SignalingClosedError` if the connection is closed."""
        frame: dict[str, Any] = {"action": action, "messagePayload": encode(payload)}
        if recipient_client_id is not None:
            frame["recipientClientId"] = recipient_client_id
        if correlation_id is not None:
            frame["correlationId"] = correlation_id
        self.send_frame(frame)

    def send_frame(self, frame: Mapping[str, Any]) -> bool:
        """Send one frame as the parsed JSON object a WebSocket client sends; True
        if the relay accepted it."""
        with self._runtime.lock:
            world = self._runtime.world
            connection = self._connection
            outcome = self._runtime.trace.signaling(
                world.now_ms, "send", {"connection": self._id, "frame": frame}
            )
            connection.refresh(world.now_ms)
            if connection.closed is not None:
                outcome.update(error="SignalingClosedError", message=connection.closed)
                raise SignalingClosedError(connection.closed)
            accepted = relay.send(world, connection, dict(frame))
            outcome["response"] = {"accepted": accepted}
            return accepted

    def receive(self) -> list[Message]:
        """The messages delivered since the last call, oldest first, as the wire's
        JSON objects (``senderClientId``, ``messageType``, ``messagePayload``,
        ``statusResponse``). Time limits apply as of now, so a connection left
        idle may have been closed (after a ``GO_AWAY`` when it reached its
        maximum duration); unread messages stay readable after it closed."""
        return self._take(record_empty=True)

    def poll(self) -> list[Message]:
        """:meth:`receive` for adapters that read again and again (``kvsim serve``'s
        WebSocket): only a poll that got messages is recorded in the trace (one
        that got none changed nothing)."""
        return self._take(record_empty=False)

    def _take(self, *, record_empty: bool) -> list[Message]:
        runtime = self._runtime
        with runtime.lock:
            now = runtime.world.now_ms
            fields = {"connection": self._id}
            outcome = runtime.trace.signaling(now, "receive", fields) if record_empty else None
            connection = self._connection
            connection.refresh(now)
            messages, connection.inbox = connection.inbox, []
            if outcome is None and messages:
                outcome = runtime.trace.signaling(now, "receive", fields)
            if outcome is not None:
                outcome["response"] = snapshot({"messages": messages})
            return messages

    def close(self) -> None:
        """Disconnect (the service treats the client as offline from now on)."""
        runtime = self._runtime
        with runtime.lock:
            now = runtime.world.now_ms
            outcome = runtime.trace.signaling(now, "close", {"connection": self._id})
            self._connection.close("closed by the client", now)
            outcome["response"] = {}


class Signaling:
    """The signaling relay of one simulator: ``sim.signaling``."""

    __slots__ = ("_runtime",)

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def connect(
        self,
        channel_arn: str,
        role: str = "MASTER",
        client_id: str | None = None,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
    ) -> SignalingConnection:
        """Connect to ``channel_arn``'s relay as ``role`` (``"MASTER"`` or
        ``"VIEWER"``; a viewer needs ``client_id``). Raises the service's error
        for a refused connection: ``ResourceNotFoundException`` (no ACTIVE
        channel), ``ClientLimitExceededException`` (3 connections per second,
        10 viewers), ``InvalidArgumentException`` (a bad client id). A new
        master replaces the connected one (which gets ``GO_AWAY`` and is
        closed); so does a viewer with a client id in use."""
        return self.open(channel_arn, role, client_id, account_id, region_name)

    def open(
        self,
        channel_arn: str,
        role: str,
        client_id: str | None,
        account_id: str,
        region_name: str,
        listener: Callable[[], None] | None = None,
    ) -> SignalingConnection:
        """:meth:`connect` for adapters (:mod:`kvsim.http.signaling`): ``listener``
        is called, under the simulator's lock, whenever the connection gets a
        message or is closed, so a socket can be woken."""
        runtime = self._runtime
        region = runtime.region(account_id, region_name)
        with runtime.lock:
            world = runtime.world
            world.catch_up()
            number = runtime.trace.next_connection()
            fields = {
                "channel": channel_arn,
                "role": role,
                "client_id": client_id,
                "connection": number,
                "account_id": account_id,
                "region_name": region_name,
            }
            outcome = runtime.trace.signaling(world.now_ms, "connect", fields)
            try:
                connection = relay.connect(world, region, channel_arn, role, client_id)
            except ClientError as error:
                runtime.reject(error, "ConnectAsMaster" if role == "MASTER" else "ConnectAsViewer")
                outcome.update(error=error.code, message=error.message)
                raise
            finally:
                world.forget_if_empty(region)
            connection.listener = listener
            outcome["response"] = {}
            return SignalingConnection(runtime, connection, number)

    def go_away(
        self,
        channel_arn: str,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
    ) -> int:
        """Send ``GO_AWAY`` to every open connection of the channel (as the
        service does before a deployment); returns how many got it."""
        return self._announce(channel_arn, account_id, region_name, "GO_AWAY")

    def reconnect_ice_server(
        self,
        channel_arn: str,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
    ) -> int:
        """Send ``RECONNECT_ICE_SERVER`` to every open connection of the channel;
        returns how many got it."""
        return self._announce(channel_arn, account_id, region_name, "RECONNECT_ICE_SERVER")

    def _announce(self, arn: str, account_id: str, region_name: str, kind: str) -> int:
        runtime = self._runtime
        with runtime.lock:
            world = runtime.world
            fields = {"channel": arn, "account_id": account_id, "region_name": region_name}
            outcome = runtime.trace.signaling(world.now_ms, kind.lower(), fields)
            region = world.regions.get((account_id, region_name))
            channel = None if region is None else region.channels_by_arn.get(arn)
            live = (
                []
                if channel is None or channel.signaling is None
                else channel.signaling.live(world.now_ms)
            )
            for connection in live:
                if kind == "GO_AWAY":
                    connection.go_away(world.now_ms)
                else:
                    connection.deliver({"messageType": kind}, world.now_ms)
            outcome["response"] = {"connections": len(live)}
            return len(live)

    def connections(
        self,
        channel_arn: str,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
    ) -> dict[str, Any]:
        """Who is connected now: ``{"master": client id or "" or None, "viewers": [ids]}``."""
        runtime = self._runtime
        with runtime.lock:
            world = runtime.world
            region = world.regions.get((account_id, region_name))
            channel = None if region is None else region.channels_by_arn.get(channel_arn)
            found = None if channel is None else channel.signaling
            if found is None:
                return {"master": None, "viewers": []}
            live = found.live(world.now_ms)
            master = next((c for c in live if c.role == "MASTER"), None)
            return {
                "master": None if master is None else (master.client_id or ""),
                "viewers": sorted(str(c.client_id) for c in live if c.role == "VIEWER"),
            }

    def storage_session(
        self,
        channel_arn: str,
        *,
        account_id: str = DEFAULT_ACCOUNT_ID,
        region_name: str = DEFAULT_REGION_NAME,
    ) -> dict[str, Any] | None:
        """The channel's live WebRTC storage session (JoinStorageSession*), or None."""
        runtime = self._runtime
        with runtime.lock:
            world = runtime.world
            region = world.regions.get((account_id, region_name))
            channel = None if region is None else region.channels_by_arn.get(channel_arn)
            found = (
                None if channel is None or channel.signaling is None else channel.signaling.storage
            )
            if found is None or not found.live(world.now_ms):
                return None
            described: dict[str, Any] = found.describe()
            return described


def busy_channels(runtime: Runtime) -> list[str]:
    """The ARNs of channels with signaling state a snapshot would lose (open
    connections, undelivered messages, a live storage session)."""
    world = runtime.world
    now = world.now_ms
    return [
        channel.arn
        for _key, region in sorted(world.regions.items())
        for channel in region.channels_by_arn.values()
        if channel.signaling is not None and channel.signaling.busy(now)
    ]
