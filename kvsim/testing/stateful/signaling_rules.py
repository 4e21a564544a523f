"""The state machine's rules for the signaling relay (``sim.signaling``).

:class:`SignalingRules` is a mixin of
:class:`~kvsim.testing.stateful.machine.KinesisVideoStateMachine`: rules that
connect masters and viewers to the machine's channels, send offers, answers
and candidates (valid, invalid, in bursts past the rates), receive, close,
announce ``GO_AWAY`` and wait past message TTLs and the idle timeout, each
checked against :class:`~kvsim.testing.stateful.signaling_model.RelayModel`
at once; and an invariant comparing who is connected, and why each closed
connection closed, after every step (only while there are connections: a
step costs nothing more before the first connect).

``coverage`` counts ``signaling:<event>`` (the model's events: deliveries,
held messages delivered or expired, takeovers, STATUS_RESPONSE, closes by
reason, refusals by reason).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule

from ...engine.signaling import SignalingClosedError, SignalingConnection
from ...model.errors import ClientError
from .channel_rules import ChannelRules
from .signaling_model import ExpectedConnection, Refused, RelayModel, same_messages

if TYPE_CHECKING:
    from ...engine.simulator import Simulator
    from .reference import ReferenceModel

__all__ = ["CLIENT_POOL", "SignalingRules"]

#: Viewer client ids the rules draw from, few so that they collide (and reach the viewer
#: limit of the machine's limits); the last two are refused.
CLIENT_POOL = ("phone", "tablet", "kiosk", "AWS_bad", "no spaces")
_CLIENTS = st.sampled_from(CLIENT_POOL[:3]) | st.sampled_from(CLIENT_POOL)
_ROLES = st.sampled_from(("MASTER", "VIEWER", "VIEWER"))
_MASTER_IDS = st.none() | st.sampled_from(("cam", "phone"))
# Which connection a rule uses: the newest open one of a role, or any by index.
_WHICH = st.integers(0, 7)
# What a send rule sends: a valid frame, or one the relay refuses.
_KINDS = st.sampled_from(
    ("ok", "ok", "ok", "ok", "bad action", "bad payload", "too long", "no recipient")
)
_ACTIONS = st.sampled_from(("SDP_OFFER", "SDP_ANSWER", "ICE_CANDIDATE"))
# Waits (seconds): within and past the channels' TTLs (5-120 s), to the idle timeout.
_WAITS = st.sampled_from((4.0, 6.0, 61.0, 121.0, 600.0))
_PAYLOAD = "eyJ0eXBlIjogIm9mZmVyIiwgInNkcCI6ICJ2PTAifQ=="  # {"type": "offer", "sdp": "v=0"}


class SignalingRules(ChannelRules):
    """Rules for connect / send / receive / close of the signaling relay (a mixin of
    :class:`~kvsim.testing.stateful.machine.KinesisVideoStateMachine`)."""

    #: Connections the rules opened (open or not), with their model twins.
    _signaling: list[tuple[SignalingConnection, ExpectedConnection]]
    _relay_model: RelayModel | None = None

    if TYPE_CHECKING:  # provided by the machine
        sim: Simulator
        model: ReferenceModel
        account_id: ClassVar[str]
        region_name: ClassVar[str]

        def record(self, outcome: str) -> None: ...

        def now_ms(self) -> int: ...

    @property
    def relay_model(self) -> RelayModel:
        """The reference model of the relay (made on first use)."""
        found = self._relay_model
        if found is None:
            found = self._relay_model = RelayModel(self.model.signaling, self.model.limits)
            self._signaling = []
        return found

    def _where(self) -> dict[str, str]:
        return {"account_id": self.account_id, "region_name": self.region_name}

    def _count(self) -> None:
        events = self.relay_model.events
        for event, count in events.items():
            for _ in range(count):
                self.record(event)
        events.clear()

    def _settled(self) -> int:
        # Run what is due (channel changes) and settle both models: the time.
        self.sim.advance(0)
        now = self.now_ms()
        self.model.settle(now)
        self.relay_model.settle(now)
        return now

    def pick_connection(self, which: int, *, open_only: bool = True) -> int | None:
        """The index of a connection the rules opened: among the open ones (or all,
        without ``open_only``), ``which`` modulo their number; None if there is none."""
        self._settled()
        found = [
            i for i, (_, twin) in enumerate(self._signaling) if not open_only or twin.closed is None
        ]
        return found[which % len(found)] if found else None

    # -- rules ------------------------------------------------------------------------------

    @rule(
        arn=ChannelRules.channel_arns,
        pick=st.integers(0, 19).map(lambda i: i if i < 16 else None),
        role=_ROLES,
        viewer=_CLIENTS,
        master_id=_MASTER_IDS,
        mode=st.sampled_from(("one", "one", "one", "crowd", "session", "session")),
        wait=_WAITS,
    )
    def signaling_connect(
        self,
        arn: str,
        pick: int | None,
        role: str,
        viewer: str,
        master_id: str | None,
        mode: str,
        wait: float,
    ) -> None:
        """``sim.signaling.connect`` as a master (with or without a client id) or a
        viewer, to a live channel (preferably ACTIVE) or the drawn ARN. In ``crowd``
        mode every viewer of CLIENT_POOL then four masters connect at once (past the
        viewer limit and the connection rate); in ``session`` mode, what an
        application does (:meth:`signaling_session`)."""
        if pick is not None:
            arn = self.choose_channel(arn, pick | 1)
        if mode == "session":
            self.signaling_session(arn, wait, master_first=master_id is None)
        elif mode == "crowd":
            for client_id in CLIENT_POOL[:3]:
                self._connect(arn, "VIEWER", client_id)
            for _ in range(4):
                self._connect(arn, "MASTER", master_id)
        else:
            self._connect(arn, role, master_id if role == "MASTER" else viewer)

    def _connect(self, arn: str, role: str, client_id: str | None) -> int | None:
        model = self.relay_model
        now = self._settled()
        try:
            twin = model.connect(arn, role, client_id, now)
        except Refused as refused:
            expected: Refused | None = refused
        else:
            expected = None
        try:
            connection = self.sim.signaling.connect(arn, role, client_id, **self._where())
        except ClientError as error:
            code = error.response["Error"]["Code"]
            assert expected is not None, f"connect {role} {client_id!r} refused: {code}"
            assert code == expected.code, f"connect {role} {client_id!r}: {code} != {expected}"
            self.record(f"signaling:refused:{expected.why}")
            self._count()
            return None
        assert expected is None, f"connect {role} {client_id!r} accepted; model: {expected}"
        self.record(f"signaling:connect:{role}")
        self._signaling.append((connection, twin))
        self._count()
        self._compare_inbox(len(self._signaling) - 1)
        return len(self._signaling) - 1

    @rule(
        arn=ChannelRules.channel_arns,
        which=_WHICH,
        action=_ACTIONS,
        kind=_KINDS,
        to=_CLIENTS,
        correlate=st.booleans(),
        burst=st.sampled_from((1, 1, 1, 2, 6, 21)),
    )
    def signaling_send(
        self, arn: str, which: int, action: str, kind: str, to: str, correlate: bool, burst: int
    ) -> None:
        """Send ``burst`` frames (6 offers pass the 5 per second, 21 candidates the 20)
        from a connection the rules opened (an open one unless ``which`` is 6 or 7): valid
        ones (a master names a viewer of CLIENT_POOL) or ones the relay refuses; with
        a ``correlationId`` or not. On a closed connection: SignalingClosedError.
        Without an open connection, a viewer connects first (to a live channel)."""
        index = self.pick_connection(which, open_only=which < 6)
        if index is None:
            index = self._connect(self.choose_channel(arn, which | 1), "VIEWER", "phone")
        if index is None:
            return
        connection, twin = self._signaling[index]
        frame: dict[str, Any] = {"action": action, "messagePayload": _PAYLOAD}
        if twin.role == "MASTER" and kind != "no recipient":
            frame["recipientClientId"] = to
        if kind == "bad action":
            frame["action"] = "HELLO"
        elif kind == "bad payload":
            frame["messagePayload"] = "not base64!"
        elif kind == "too long":
            frame["messagePayload"] = "QUFB" * 2_501
        for n in range(burst):
            if correlate:
                frame["correlationId"] = f"c{n}"
            now = self._settled()
            if twin.closed is not None:
                try:
                    connection.send_frame(frame)
                except SignalingClosedError as error:
                    assert error.reason == twin.closed, f"{error.reason!r} != {twin.closed!r}"
                    self.record("signaling:send-on-closed")
                    return
                raise AssertionError(f"a send on a connection closed ({twin.closed}) went through")
            expected = self.relay_model.send(twin, dict(frame), now)
            accepted = connection.send_frame(frame)
            assert accepted == expected, f"send {frame} accepted={accepted}, model {expected}"
        self._count()
        self._compare_inbox(index)

    def _compare_inbox(self, index: int) -> None:
        connection, twin = self._signaling[index]
        now = self._settled()
        expected = self.relay_model.receive(twin, now)
        got = connection.receive()
        assert same_messages(got, expected), f"receive() {got} != model {expected}"
        self._count()

    @rule(
        which=_WHICH,
        act=st.sampled_from(("receive", "receive", "close", "go_away", "wait")),
        wait=_WAITS,
    )
    def signaling_client(self, which: int, act: str, wait: float) -> None:
        """On a connection the rules opened: ``receive()`` (closed ones keep their
        unread messages; exactly what the model delivered), ``close()`` it, or
        announce GO_AWAY to its channel (``sim.signaling.go_away``), or let ``wait``
        seconds pass (within or past message TTLs, to the idle timeout) and receive."""
        index = self.pick_connection(which, open_only=act == "close")
        if index is None:
            return
        connection, twin = self._signaling[index]
        if act == "close":
            self.relay_model.close(twin, self._settled())
            connection.close()
            self._count()
            return
        if act == "go_away":
            arn = twin.channel.arn
            expected = self.relay_model.go_away(arn, self._settled())
            got = self.sim.signaling.go_away(arn, **self._where())
            assert got == expected, f"go_away reached {got}, model {expected}"
        elif act == "wait":
            self.sim.advance(wait)
        self._compare_inbox(index)

    def signaling_session(self, arn: str, wait: float, master_first: bool) -> None:
        """What an application does, a second after the last step: the viewer
        ``phone`` (replacing any) sends an offer and a candidate, waits ``wait``
        seconds, the master connects (unless ``master_first``: it was connected
        first), reads them and answers; the viewer reads the answer. Offers sent to
        an absent master wait the channel's TTL (or expire)."""
        self.sim.advance(1)  # the connection rates' buckets are full again
        master = self._connect(arn, "MASTER", None) if master_first else None
        index = self._connect(arn, "VIEWER", "phone")
        if index is None:
            return
        for action in ("SDP_OFFER", "ICE_CANDIDATE"):
            self._send(index, {"action": action, "messagePayload": _PAYLOAD})
        self.sim.advance(wait)
        if master is None or self._signaling[master][1].closed is not None:
            master = self._connect(arn, "MASTER", None)
        if master is None:
            return
        self._compare_inbox(master)
        self._send(
            master,
            {"action": "SDP_ANSWER", "messagePayload": _PAYLOAD, "recipientClientId": "phone"},
        )
        self._compare_inbox(index)

    def _send(self, index: int, frame: dict[str, Any]) -> None:
        connection, twin = self._signaling[index]
        now = self._settled()
        if twin.closed is not None:
            return
        expected = self.relay_model.send(twin, dict(frame), now)
        accepted = connection.send_frame(frame)
        assert accepted == expected, f"send {frame} accepted={accepted}, model {expected}"
        self._count()

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def signaling_matches_model(self) -> None:
        """Who is connected to each channel the rules used, and why each connection
        closed, are as the model says (nothing to do before the first connect)."""
        model = self._relay_model
        if model is None or not model.relays:
            return
        self._settled()
        for arn in model.relays:
            got = self.sim.signaling.connections(arn, **self._where())
            assert got == model.who(arn), f"{arn}: connected {got} != model {model.who(arn)}"
        for connection, twin in self._signaling:
            assert connection.closed == twin.closed, (
                f"{connection}: closed {connection.closed!r} != model {twin.closed!r}"
            )
        self._count()
