"""The reference model of the signaling relay: connections, deliveries, held messages.

:class:`RelayModel` predicts what ``sim.signaling`` does for connect, send,
receive, close, ``go_away`` and the clock: who is connected to each channel,
what each connection has received and not read yet, which messages wait for a
recipient (until the channel's ``MessageTtlSeconds``), the time limits, and
the quotas of :class:`~kvsim.services.config.Limits`. As the rest of the
oracle it keeps its own copies of the rules (AWS's, in ``kvs-data-plane.md``
§9, and kvsim's, in :mod:`kvsim.services.kinesis_video_signaling.relay`)
instead of reading kvsim's tables, and it applies the time limits eagerly (as
if checked at every instant) where the relay applies them when a connection
is used.

The channels themselves are the channel model's (``model.signaling``): a
connection's channel is live while its :class:`ExpectedChannel` is ACTIVE or
UPDATING; one that is DELETING closed its connections when the deletion began.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from ...services.config import Limits
from .channel_model import ChannelModel, ExpectedChannel

__all__ = ["ExpectedConnection", "Refused", "RelayModel", "same_messages"]

# The oracle's own copies of the rules.
_ACTIONS = ("SDP_OFFER", "SDP_ANSWER", "ICE_CANDIDATE")
_MAX_MS, _IDLE_MS, _GRACE_MS = 3_600_000, 600_000, 60_000
_MAX_PAYLOAD = 10_000
_ID = re.compile(r"[a-zA-Z0-9_.-]{1,256}", re.ASCII).fullmatch
_BASE64 = re.compile(r"[a-zA-Z0-9+/=]+", re.ASCII).fullmatch
_MASTER = "\x00master"
IDLE = "the connection was idle for 10 minutes"
MAXED = "the connection reached its maximum duration (1 hour)"
DELETED = "the channel was deleted"
REPLACED = "replaced by a newer connection"
BY_CLIENT = "closed by the client"
_SHORT = {
    IDLE: "idle",
    MAXED: "maximum",
    DELETED: "deleted",
    REPLACED: "replaced",
    BY_CLIENT: "client",
}


class Refused(Exception):
    """A connection the model expects the relay to refuse, with the error's code."""

    def __init__(self, code: str, why: str) -> None:
        super().__init__(f"{code}: {why}")
        self.code = code
        self.why = why


@dataclass
class ExpectedConnection:
    """One connection as the model sees it."""

    channel: ExpectedChannel
    role: str
    client_id: str | None
    opened_ms: int
    last_ms: int
    #: Delivered, not read yet (the wire's objects), oldest first.
    inbox: list[dict[str, Any]] = field(default_factory=list)
    closed: str | None = None
    go_away_sent: bool = False
    #: Token buckets by action: (tokens, at ms).
    buckets: dict[str, tuple[float, int]] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return _MASTER if self.role == "MASTER" else str(self.client_id)

    def deliver(self, message: dict[str, Any], now_ms: int) -> None:
        self.inbox.append(message)
        self.last_ms = max(self.last_ms, now_ms)


@dataclass
class _Relay:
    # One channel's relay (keyed by ARN: a re-created channel is another relay).
    master: ExpectedConnection | None = None
    viewers: dict[str, ExpectedConnection] = field(default_factory=dict)
    #: recipient key -> [(action, due ms, message, sender key)], oldest first.
    held: dict[str, list[tuple[str, int, dict[str, Any], str]]] = field(default_factory=dict)
    buckets: dict[str, tuple[float, int]] = field(default_factory=dict)

    def connections(self) -> list[ExpectedConnection]:
        return [c for c in (self.master, *self.viewers.values()) if c is not None]


def _tokens(buckets: dict[str, tuple[float, int]], key: str, now: int, tps: float) -> float:
    found = buckets.get(key)
    if found is None:
        return tps
    level, at = found
    return min(tps, level + (now - at) * tps / 1000)


class RelayModel:
    """The expected relays of the channels of one account and region.

    ``events`` counts what happened (``signaling:delivered``,
    ``signaling:held``, ``signaling:held-delivered``, ``signaling:expired``,
    ``signaling:replaced-held``, ``signaling:GO_AWAY:takeover``,
    ``signaling:GO_AWAY:announced``, ``signaling:GO_AWAY:maximum``,
    ``signaling:STATUS_RESPONSE``, ``signaling:dropped-silently``,
    ``signaling:throttled-send``, ``signaling:closed:<reason>``,
    ``signaling:refused:<why>``) for the machine's coverage.
    """

    def __init__(self, channels: ChannelModel, limits: Limits) -> None:
        self.channels = channels
        self.limits = limits
        self.relays: dict[str, _Relay] = {}
        self.events: Counter[str] = Counter()
        self.delete_delay_ms = channels.delays_ms["DELETING"]

    # -- time -------------------------------------------------------------------------------

    def _deleted_at(self, channel: ExpectedChannel) -> int | None:
        if channel.status in ("ACTIVE", "UPDATING"):
            return None
        assert channel.status == "DELETING" and channel.due_ms is not None, channel
        return channel.due_ms - self.delete_delay_ms

    def _close(self, connection: ExpectedConnection, reason: str) -> None:
        connection.closed = reason
        self.events[f"signaling:closed:{_SHORT[reason]}"] += 1
        relay = self.relays.get(connection.channel.arn)
        if relay is None:
            return
        if relay.master is connection:
            relay.master = None
        elif relay.viewers.get(str(connection.client_id)) is connection:
            del relay.viewers[str(connection.client_id)]

    def settle_connection(self, connection: ExpectedConnection, now_ms: int) -> None:
        """Apply the time limits and the channel's deletion as of ``now_ms``."""
        if connection.closed is not None:
            return
        deleted = self._deleted_at(connection.channel)
        until = now_ms if deleted is None else min(now_ms, deleted)
        end = connection.opened_ms + _MAX_MS
        warn = end - _GRACE_MS
        if not connection.go_away_sent and until >= warn and warn < connection.last_ms + _IDLE_MS:
            connection.go_away_sent = True
            connection.deliver({"messageType": "GO_AWAY"}, warn)
            self.events["signaling:GO_AWAY:maximum"] += 1
        idle = connection.last_ms + _IDLE_MS
        if until >= min(end, idle):
            self._close(connection, MAXED if end <= idle else IDLE)
        elif deleted is not None:
            self._close(connection, DELETED)

    def settle(self, now_ms: int) -> None:
        """Apply the time limits of every open connection as of ``now_ms``."""
        for relay in self.relays.values():
            for connection in relay.connections():
                self.settle_connection(connection, now_ms)

    def _go_away(self, connection: ExpectedConnection, now_ms: int) -> None:
        if not connection.go_away_sent and connection.closed is None:
            connection.go_away_sent = True
            connection.deliver({"messageType": "GO_AWAY"}, now_ms)

    # -- what a test does -------------------------------------------------------------------

    def connect(
        self, arn: str, role: str, client_id: str | None, now_ms: int
    ) -> ExpectedConnection:
        """The connection ``sim.signaling.connect`` opens, or :class:`Refused`."""
        if role not in ("MASTER", "VIEWER"):
            raise Refused("InvalidArgumentException", "role")
        if role == "VIEWER" and client_id is None:
            raise Refused("InvalidArgumentException", "no-client-id")
        if client_id is not None and (not _ID(client_id) or client_id[:4].upper() == "AWS_"):
            raise Refused("InvalidArgumentException", "client-id")
        channel = self.channels.lookup(arn)
        if channel is None or channel.status not in ("ACTIVE", "UPDATING"):
            raise Refused("ResourceNotFoundException", "channel")
        relay = self.relays.setdefault(arn, _Relay())
        self.settle(now_ms)
        limits = self.limits
        op = "ConnectAsMaster" if role == "MASTER" else "ConnectAsViewer"
        tps = limits.signaling_connect_tps if limits.throttling else None
        if tps is not None and _tokens(relay.buckets, op, now_ms, tps) < 1:
            raise Refused("ClientLimitExceededException", "rate")
        replaced = relay.master if role == "MASTER" else relay.viewers.get(str(client_id))
        most = limits.max_viewers_per_channel
        if (
            role == "VIEWER"
            and replaced is None
            and most is not None
            and len(relay.viewers) >= most
        ):
            raise Refused("ClientLimitExceededException", "viewers")
        if tps is not None:
            relay.buckets[op] = (_tokens(relay.buckets, op, now_ms, tps) - 1, now_ms)
        if replaced is not None:
            self._go_away(replaced, now_ms)
            self._close(replaced, REPLACED)
            self.events["signaling:GO_AWAY:takeover"] += 1
        connection = ExpectedConnection(channel, role, client_id, now_ms, now_ms)
        if role == "MASTER":
            relay.master = connection
        else:
            relay.viewers[str(client_id)] = connection
        for _action, due, message, _sender in relay.held.pop(connection.key, []):
            if due > now_ms:
                connection.deliver(message, now_ms)
                self.events["signaling:held-delivered"] += 1
            else:
                self.events["signaling:expired"] += 1
        return connection

    def send(self, connection: ExpectedConnection, frame: dict[str, Any], now_ms: int) -> bool:
        """Whether the relay accepts ``frame`` (the connection must be open), with
        its effects: a delivery, a held message or a STATUS_RESPONSE."""
        self.settle(now_ms)
        assert connection.closed is None
        connection.last_ms = now_ms
        correlation = frame.get("correlationId")
        action = frame.get("action")
        payload = frame.get("messagePayload")
        recipient = frame.get("recipientClientId")
        master = connection.role == "MASTER"
        bad = (
            (correlation is not None and not (isinstance(correlation, str) and _ID(correlation)))
            or action not in _ACTIONS
            or not isinstance(payload, str)
            or not _BASE64(payload)
            or len(payload) > _MAX_PAYLOAD
            or (master and not (isinstance(recipient, str) and _ID(recipient)))
        )
        if bad:
            self._fail(connection, correlation, "InvalidArgumentException", now_ms)
            return False
        assert isinstance(action, str)
        limits = self.limits
        tps = (
            None
            if not limits.throttling
            else limits.signaling_candidate_tps
            if action == "ICE_CANDIDATE"
            else limits.signaling_sdp_tps
        )
        if tps is not None:
            if _tokens(connection.buckets, action, now_ms, tps) < 1:
                self.events["signaling:throttled-send"] += 1
                self._fail(connection, correlation, "ClientLimitExceededException", now_ms)
                return False
            connection.buckets[action] = (
                _tokens(connection.buckets, action, now_ms, tps) - 1,
                now_ms,
            )
        message: dict[str, Any] = {"messageType": action, "messagePayload": payload}
        if connection.client_id is not None:
            message = {"senderClientId": connection.client_id, **message}
        key = str(recipient) if master else _MASTER
        relay = self.relays[connection.channel.arn]
        target = relay.master if key == _MASTER else relay.viewers.get(key)
        if target is not None:
            target.deliver(message, now_ms)
            self.events["signaling:delivered"] += 1
            return True
        waiting = [h for h in relay.held.get(key, []) if h[1] > now_ms]
        if action in ("SDP_OFFER", "SDP_ANSWER"):
            kept = [h for h in waiting if not (h[0] == action and h[3] == connection.key)]
            if len(kept) < len(waiting):
                self.events["signaling:replaced-held"] += 1
            waiting = kept
        waiting.append((action, now_ms + connection.channel.ttl * 1000, message, connection.key))
        relay.held[key] = waiting
        self.events["signaling:held"] += 1
        return True

    def _fail(
        self, connection: ExpectedConnection, correlation: object, code: str, now_ms: int
    ) -> None:
        if isinstance(correlation, str) and correlation:
            status = {"correlationId": correlation, "errorType": code, "statusCode": "400"}
            connection.deliver({"messageType": "STATUS_RESPONSE", "statusResponse": status}, now_ms)
            self.events["signaling:STATUS_RESPONSE"] += 1
        else:
            self.events["signaling:dropped-silently"] += 1

    def receive(self, connection: ExpectedConnection, now_ms: int) -> list[dict[str, Any]]:
        """What ``receive()`` answers (see :func:`same_messages`)."""
        self.settle(now_ms)
        got, connection.inbox = connection.inbox, []
        return got

    def close(self, connection: ExpectedConnection, now_ms: int) -> None:
        """The client closes its connection."""
        self.settle(now_ms)
        if connection.closed is None:
            self._close(connection, BY_CLIENT)

    def go_away(self, arn: str, now_ms: int) -> int:
        """``sim.signaling.go_away``: how many open connections it reaches."""
        self.settle(now_ms)
        relay = self.relays.get(arn)
        if relay is None:
            return 0
        live = relay.connections()
        for connection in live:
            self._go_away(connection, now_ms)
        if live:
            self.events["signaling:GO_AWAY:announced"] += 1
        return len(live)

    def who(self, arn: str) -> dict[str, Any]:
        """What ``sim.signaling.connections(arn)`` answers (after :meth:`settle`)."""
        relay = self.relays.get(arn)
        if relay is None:
            return {"master": None, "viewers": []}
        master = relay.master
        return {
            "master": None if master is None else (master.client_id or ""),
            "viewers": sorted(relay.viewers),
        }


def same_messages(got: list[dict[str, Any]], expected: list[dict[str, Any]]) -> bool:
    """Whether ``receive()``'s messages are the expected ones: exactly, except for a
    STATUS_RESPONSE's ``description`` (kvsim's wording, not predicted)."""
    if len(got) != len(expected):
        return False
    for message, want in zip(got, expected, strict=True):
        if "statusResponse" in message:
            status = {k: v for k, v in message["statusResponse"].items() if k != "description"}
            message = {**message, "statusResponse": status}
        if message != want:
            return False
    return True
