"""Scenarios run on a simulator as a timeline of events.

:func:`run_scenario` (or the lazy :func:`iter_events`) runs checked steps (see
:mod:`kvsim.scenarios.steps` for the format) and returns the timeline: every
call with its response or error code, and every status change that ran in
between. ``{"$last": ...}`` references in a call's ``args`` are resolved here,
against the successful responses so far.

A step that cannot run raises :class:`ScenarioError` naming it. Besides the
scenario's own mistakes (a ``$last`` with nothing to refer to), that is how
the exceptions of :data:`SCENARIO_FAULTS` (``ValueError``, ``TypeError``,
``OverflowError``, ``RecursionError``) that a step's execution raises are
reported: they come from what the scenario asked for, e.g. a clock or a
scheduled change pushed past the year 9999 (``OverflowError``), or settings
the simulator refuses. The message names the step, what it did and the
original exception (``step 2: advance failed: OverflowError: date value out of
range``), which stays chained as ``__cause__``. Service errors and
``ParamValidationError`` are events, not exceptions. Any other exception
(``KeyError``, ``AttributeError``, ``AssertionError``, ...) is a kvsim bug and
propagates unchanged.

>>> steps = load_scenario([
...     {"call": "create_stream", "args": {"StreamName": "cam-1"}},
...     {"advance": 3},
...     {"call": "create_stream", "args": {"StreamName": "cam-1"}},
... ])
>>> for event in run_scenario(steps):
...     print(event.step, f"{event.t:.3f}", event.kind, event.call or event.transition, event.error)
1 0.000 call create_stream None
2 0.050 advance None None
2 2.000 change CREATING -> ACTIVE None
3 3.050 call create_stream ResourceInUseException
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from ..core.kernel import ScheduledChange
from ..core.streaming import StreamingBody
from ..core.trace import jsonable
from ..engine.runtime import STREAMED
from ..engine.signaling import SignalingClosedError, SignalingConnection
from ..engine.simulator import Simulator
from ..model.errors import ClientError, ParamValidationError
from .steps import (
    REF_KEY,
    SERVICE_OF_CALL,
    AdvanceStep,
    CallStep,
    HubDeviceStep,
    PutFragmentsStep,
    ScenarioError,
    SignalingStep,
    Step,
    load_scenario,
)

__all__ = ["SCENARIO_FAULTS", "Event", "iter_events", "run_scenario"]

_MS = timedelta(milliseconds=1)

#: The exceptions a step's execution may raise because of what the scenario
#: (or a trace's header) asked for; :func:`iter_events` reports them as a
#: :class:`ScenarioError` naming the step. Anything else is a kvsim bug.
SCENARIO_FAULTS: tuple[type[Exception], ...] = (
    ValueError,
    TypeError,
    OverflowError,
    RecursionError,
)


# -- events -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Event:
    """One line of a timeline.

    ``kind`` is ``"call"``, ``"change"`` (a scheduled status change ran),
    ``"advance"`` or ``"run_until_idle"`` (a clock step began). ``step`` is the
    1-based step that produced it, ``time`` the virtual time it happened and
    ``t`` the virtual seconds since the scenario started. Fields that do not
    belong to the kind are None:

    - call: ``account_id``, ``region_name``, ``call``, ``args`` (as sent, with
      ``$last`` resolved), then ``response`` (without ``ResponseMetadata``) on
      success, or ``error`` (the error code, or ``"ParamValidationError"``)
      and ``message`` on failure;
    - change: ``account_id``, ``region_name``, ``resource`` (the ARN),
      ``transition`` (e.g. ``"CREATING -> ACTIVE"``);
    - advance: ``seconds``; advance and run_until_idle: ``until`` (the virtual
      time the step ends at);
    - hub_device: ``account_id``, ``region_name``, ``resource`` (the hub
      device ARN) and ``online``;
    - put_fragments: ``account_id``, ``region_name``, ``resource`` (the
      stream's name or ARN), ``args`` (the options), then ``response`` (the
      ``FragmentBatch`` as a dict) or ``error`` and ``message``;
    - signaling: ``call`` (the action: ``connect``, ``send``, ``receive``,
      ``close``, ``go_away``, ``reconnect_ice_server``), ``account_id`` and
      ``region_name`` (the connection's), ``resource`` (the channel's ARN),
      ``args`` (the step's other keys: ``connection``, ``role``,
      ``client_id``, ``frame``...), then ``response`` (connect and close
      ``{}``, send ``{"accepted": bool}``, receive ``{"messages": [...]}``,
      go_away and reconnect_ice_server ``{"connections": n}``) or ``error``
      and ``message`` (a refused connect's error code;
      ``SignalingClosedError`` and the reason for a send on a closed
      connection).
    """

    step: int
    kind: str
    time: datetime
    t: float
    account_id: str | None = None
    region_name: str | None = None
    call: str | None = None
    args: Mapping[str, Any] | None = None
    response: Mapping[str, Any] | None = None
    error: str | None = None
    message: str | None = None
    resource: str | None = None
    transition: str | None = None
    seconds: float | None = None
    until: datetime | None = None
    online: bool | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready dict with the documented keys of this event's kind, in a
        fixed order; datetimes become ISO 8601 strings."""
        out: dict[str, Any] = {
            "step": self.step,
            "t": self.t,
            "time": self.time.isoformat(),
            "kind": self.kind,
        }
        if self.kind == "call":
            out |= {
                "account_id": self.account_id,
                "region_name": self.region_name,
                "call": self.call,
                "args": jsonable(self.args),
                "error": self.error,
                "message": self.message,
                "response": jsonable(self.response),
            }
        elif self.kind == "put_fragments":
            out |= {
                "account_id": self.account_id,
                "region_name": self.region_name,
                "resource": self.resource,
                "args": jsonable(self.args),
                "error": self.error,
                "message": self.message,
                "response": jsonable(self.response),
            }
        elif self.kind == "signaling":
            out |= {
                "account_id": self.account_id,
                "region_name": self.region_name,
                "signaling": self.call,
                "resource": self.resource,
                "args": jsonable(self.args),
                "error": self.error,
                "message": self.message,
                "response": jsonable(self.response),
            }
        elif self.kind == "hub_device":
            out |= {
                "account_id": self.account_id,
                "region_name": self.region_name,
                "resource": self.resource,
                "online": self.online,
            }
        elif self.kind == "change":
            out |= {
                "account_id": self.account_id,
                "region_name": self.region_name,
                "resource": self.resource,
                "transition": self.transition,
            }
        else:
            if self.kind == "advance":
                out["seconds"] = self.seconds
            out["until"] = None if self.until is None else self.until.isoformat()
        return out


# -- running ----------------------------------------------------------------------------


def run_scenario(steps: Sequence[Step], sim: Simulator | None = None) -> list[Event]:
    """Run ``steps`` on ``sim`` (default: a fresh ``Simulator(seed=0)``) and
    return the whole timeline. Service errors are events, not exceptions; a
    step that cannot run raises :class:`ScenarioError`."""
    return list(iter_events(steps, sim))


def iter_events(steps: Sequence[Step], sim: Simulator | None = None) -> Iterator[Event]:
    """As :func:`run_scenario`, yielding each event as soon as it happened.

    The steps are checked (as by :func:`load_scenario`) before any of them runs."""
    checked = load_scenario(list(steps))
    runner = _Runner(Simulator(seed=0) if sim is None else sim)
    for number, step in enumerate(checked, start=1):
        yield from runner.run(step, number)


class _Runner:
    """Runs steps on one simulator and turns what happens into events."""

    def __init__(self, sim: Simulator) -> None:
        self.sim = sim
        self.start = sim.now
        self.clients: dict[tuple[str, str, str], Any] = {}
        self.responses: list[Mapping[str, Any]] = []
        # Signaling connections by name (None: its connect was refused), and
        # each one's account, region and channel.
        self.connections: dict[str | int, SignalingConnection | None] = {}
        self.places: dict[str | int, tuple[str, str, str | None]] = {}

    def _t(self, moment: datetime) -> float:
        return ((moment - self.start) // _MS) / 1000

    def _change(self, number: int, change: ScheduledChange) -> Event:
        return Event(
            number,
            "change",
            change.due,
            self._t(change.due),
            account_id=change.account_id,
            region_name=change.region_name,
            resource=change.resource,
            transition=change.transition,
        )

    def run(self, step: Step, number: int) -> Iterator[Event]:
        try:
            if isinstance(step, CallStep):
                yield from self._call(step, number)
            elif isinstance(step, AdvanceStep):
                yield from self._advance(step, number)
            elif isinstance(step, HubDeviceStep):
                yield from self._hub_device(step, number)
            elif isinstance(step, PutFragmentsStep):
                yield from self._put_fragments(step, number)
            elif isinstance(step, SignalingStep):
                yield from self._signaling(step, number)
            else:
                yield from self._idle(number)
        except ScenarioError:
            raise
        except SCENARIO_FAULTS as error:
            raise ScenarioError(
                f"{_doing(step)} failed: {type(error).__name__}: {error}", step=number
            ) from error

    def _advance(self, step: AdvanceStep, number: int) -> Iterator[Event]:
        sim = self.sim
        begin = sim.now
        try:
            target = begin + timedelta(milliseconds=round(step.seconds * 1000))
        except OverflowError:
            raise ScenarioError(
                f"advancing {step.seconds:g} seconds goes past the year 9999", step=number
            ) from None
        yield Event(number, "advance", begin, self._t(begin), seconds=step.seconds, until=target)
        while (pending := sim.pending()) and pending[0].due <= target:
            change = sim.step()
            assert change is not None
            yield self._change(number, change)
        sim.advance(((target - sim.now) // _MS) / 1000)

    def _idle(self, number: int) -> Iterator[Event]:
        sim = self.sim
        begin = sim.now
        pending = sim.pending()
        until = pending[-1].due if pending and pending[-1].due > begin else begin
        yield Event(number, "run_until_idle", begin, self._t(begin), until=until)
        while (change := sim.step()) is not None:
            yield self._change(number, change)

    def _hub_device(self, step: HubDeviceStep, number: int) -> Iterator[Event]:
        sim = self.sim
        begin = sim.now
        before = sim.pending()
        sim.set_hub_device_online(
            step.hub_device, step.online, account_id=step.account_id, region_name=step.region_name
        )
        yield Event(
            number,
            "hub_device",
            begin,
            self._t(begin),
            account_id=step.account_id,
            region_name=step.region_name,
            resource=step.hub_device,
            online=step.online,
        )
        for change in _ran_during(before, sim.pending(), sim.now):
            yield self._change(number, change)

    def _put_fragments(self, step: PutFragmentsStep, number: int) -> Iterator[Event]:
        sim = self.sim
        begin = sim.now
        before = sim.pending()
        fields: dict[str, Any]
        try:
            batch = sim.put_fragments(
                step.put_fragments,
                account_id=step.account_id,
                region_name=step.region_name,
                **step.options,
            )
        except ClientError as error:
            fields = {"error": error.response["Error"]["Code"], "message": error.message}
        else:
            fields = {"response": dataclasses.asdict(batch)}
        yield Event(
            number,
            "put_fragments",
            begin,
            self._t(begin),
            account_id=step.account_id,
            region_name=step.region_name,
            resource=step.put_fragments,
            call="put_fragments",
            args=dict(step.options),
            **fields,
        )
        for change in _ran_during(before, sim.pending(), sim.now):
            yield self._change(number, change)

    def _signaling(self, step: SignalingStep, number: int) -> Iterator[Event]:
        sim = self.sim
        begin = sim.now
        before = sim.pending()
        action, name = step.signaling, step.connection
        place = (step.account_id, step.region_name, step.channel)
        fields: dict[str, Any]
        if action == "connect":
            assert step.channel is not None and name is not None
            opened = None
            try:
                opened = sim.signaling.connect(
                    step.channel,
                    step.role,
                    step.client_id,
                    account_id=step.account_id,
                    region_name=step.region_name,
                )
            except ClientError as error:
                fields = {"error": error.response["Error"]["Code"], "message": error.message}
            else:
                fields = {"response": {}}
            self.connections[name] = opened
            self.places[name] = place
        elif action in ("go_away", "reconnect_ice_server"):
            assert step.channel is not None
            announce = getattr(sim.signaling, action)
            count = announce(step.channel, account_id=step.account_id, region_name=step.region_name)
            fields = {"response": {"connections": count}}
        else:
            assert name is not None
            connection = self.connections.get(name)
            if connection is None:
                raise ScenarioError(
                    f"connection {name!r} is not open: its connect step was refused",
                    step=number,
                )
            place = self.places[name]
            if action == "send":
                try:
                    accepted = connection.send_frame(step.frame or {})
                except SignalingClosedError as error:
                    fields = {"error": "SignalingClosedError", "message": error.reason}
                else:
                    fields = {"response": {"accepted": accepted}}
            elif action == "receive":
                fields = {"response": {"messages": connection.receive()}}
            else:
                connection.close()
                fields = {"response": {}}
        args = {
            k: v
            for k, v in step.to_json().items()
            if k not in ("signaling", "channel", "account_id", "region_name")
        }
        yield Event(
            number,
            "signaling",
            begin,
            self._t(begin),
            account_id=place[0],
            region_name=place[1],
            call=action,
            args=args,
            resource=place[2],
            **fields,
        )
        for change in _ran_during(before, sim.pending(), sim.now):
            yield self._change(number, change)

    def _client(self, step: CallStep) -> Any:
        service = SERVICE_OF_CALL[step.call]
        key = (service, step.account_id, step.region_name)
        client = self.clients.get(key)
        if client is None:
            client = self.clients[key] = self.sim.client(
                service, region_name=step.region_name, account_id=step.account_id
            )
        return client

    def _call(self, step: CallStep, number: int) -> Iterator[Event]:
        sim = self.sim
        args = self._resolve(step.args, number, "args")
        method = getattr(self._client(step), step.call)
        begin = sim.now
        before = sim.pending()
        fields: dict[str, Any] = {}
        try:
            response = method(**args)
        except ClientError as error:
            fields = {"error": error.response["Error"]["Code"], "message": error.message}
        except ParamValidationError as error:
            fields = {"error": "ParamValidationError", "message": error.report}
        else:
            response.pop("ResponseMetadata", None)
            for member, value in response.items():
                if isinstance(value, StreamingBody):
                    # A streamed payload (GetMedia and friends) is recorded as
                    # the trace records it, and closed unread: reading it is
                    # the consumer's business (its clock steps are their own steps).
                    value.close()
                    response[member] = STREAMED
            self.responses.append(response)
            fields = {"response": response}
        yield Event(
            number,
            "call",
            begin,
            self._t(begin),
            account_id=step.account_id,
            region_name=step.region_name,
            call=step.call,
            args=args,
            **fields,
        )
        for change in _ran_during(before, sim.pending(), sim.now):
            yield self._change(number, change)

    def _resolve(self, value: Any, number: int, where: str) -> Any:
        if isinstance(value, Mapping):
            if set(value) == {REF_KEY}:
                return self._lookup(value[REF_KEY], number, where)
            return {k: self._resolve(v, number, f"{where}.{k}") for k, v in value.items()}
        if isinstance(value, list):
            return [self._resolve(v, number, f"{where}[{i}]") for i, v in enumerate(value)]
        return value

    def _lookup(self, path: str, number: int, where: str) -> Any:
        for response in reversed(self.responses):
            found, value = _dig(response, path.split("."))
            if found:
                return value
        raise ScenarioError(
            f'{where}: {{"$last": "{path}"}}: no earlier successful response has {path}',
            step=number,
        )


def _doing(step: Step) -> str:
    # What a step does, for messages: "create_stream", "advance", "run_until_idle".
    if isinstance(step, CallStep):
        return step.call
    if isinstance(step, HubDeviceStep):
        return "hub_device"
    if isinstance(step, PutFragmentsStep):
        return "put_fragments"
    if isinstance(step, SignalingStep):
        return f"signaling {step.signaling}"
    return "advance" if isinstance(step, AdvanceStep) else "run_until_idle"


def _dig(value: Any, parts: Sequence[str]) -> tuple[bool, Any]:
    for part in parts:
        if isinstance(value, Mapping) and part in value:
            value = value[part]
        elif isinstance(value, list) and re.fullmatch(r"-?[0-9]+", part):
            index = int(part)
            if not -len(value) <= index < len(value):
                return False, None
            value = value[index]
        else:
            return False, None
    return True, value


def _ran_during(
    before: Sequence[ScheduledChange], after: Sequence[ScheduledChange], now: datetime
) -> list[ScheduledChange]:
    """The changes that ran while a call's latency passed: queued before the
    call, due by ``now`` and gone after it. A change the call itself replaced
    (its stream got a new change queued) did not run. A change both queued and
    run within one call's latency (a delay shorter than ``call_latency``)
    cannot be seen this way and is not reported."""
    still = set(after)
    known = set(before)
    requeued = {change.resource for change in after if change not in known}
    return [
        change
        for change in before
        if change not in still and change.due <= now and change.resource not in requeued
    ]
