"""Hypothesis strategies for the signaling relay (re-exported by :mod:`kvsim.strategies`).

Every value is one the relay accepts, as the SDKs send it: client ids
(``X-Amz-ClientId``, ``recipientClientId``), correlation ids, payloads (base64
of the JSON object an SDK sends for an offer, an answer or a candidate) and
whole frames for a master or a viewer. Options are keyword-only; an invalid
option raises :class:`hypothesis.errors.InvalidArgument` when the strategy is
built.

>>> import kvsim
>>> from hypothesis import given, settings
>>> @settings(max_examples=10, database=None, deadline=None)
... @given(frame=signaling_frames(role="VIEWER"))
... def check(frame):
...     sim = kvsim.Simulator(timings=kvsim.Timings(call_latency=0))
...     arn = sim.client().create_signaling_channel(ChannelName="door")["ChannelARN"]
...     _ = sim.advance(2)
...     master = sim.signaling.connect(arn, role="MASTER")
...     viewer = sim.signaling.connect(arn, role="VIEWER", client_id="phone")
...     assert viewer.send_frame(frame)
...     assert [m["messageType"] for m in master.receive()] == [frame["action"]]
>>> check()
"""

from __future__ import annotations

import base64
import json
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from .strategies import NAME_CHARACTERS, _check_int, _names

__all__ = [
    "SIGNALING_ACTIONS",
    "SIGNALING_CLIENT_ID_MAX",
    "SIGNALING_PAYLOAD_MAX",
    "correlation_ids",
    "signaling_client_ids",
    "signaling_frames",
    "signaling_payloads",
]

#: What a client may send.
SIGNALING_ACTIONS = ("SDP_OFFER", "SDP_ANSWER", "ICE_CANDIDATE")
#: The longest client id (and correlation id).
SIGNALING_CLIENT_ID_MAX = 256
#: The longest ``messagePayload`` (base64 characters).
SIGNALING_PAYLOAD_MAX = 10_000


def signaling_client_ids(
    *, min_size: int = 1, max_size: int = SIGNALING_CLIENT_ID_MAX, prefix: str | None = None
) -> SearchStrategy[str]:
    """Valid client ids: 1–256 characters of ``[a-zA-Z0-9_.-]``, not starting with
    ``AWS_`` in any case (those are refused). Options as
    :func:`~kvsim.testing.strategies.stream_names`.

    >>> signaling_client_ids(prefix="aws_x")
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: signaling_client_ids(): a client id must not start with AWS_, got prefix 'aws_x'
    """
    where = "signaling_client_ids()"
    if isinstance(prefix, str) and prefix[:4].upper() == "AWS_":
        raise InvalidArgument(
            f"{where}: a client id must not start with AWS_, got prefix {prefix!r}"
        )
    names = _names(where, SIGNALING_CLIENT_ID_MAX, min_size, max_size, prefix)
    return names.filter(lambda name: name[:4].upper() != "AWS_")


def correlation_ids(*, max_size: int = SIGNALING_CLIENT_ID_MAX) -> SearchStrategy[str]:
    """Valid ``correlationId`` values: 1–``max_size`` characters of ``[a-zA-Z0-9_.-]``."""
    _check_int("correlation_ids()", "max_size", max_size, 1, SIGNALING_CLIENT_ID_MAX)
    return st.text(NAME_CHARACTERS, min_size=1, max_size=max_size)


def _encode(body: dict[str, Any]) -> str:
    return base64.b64encode(json.dumps(body).encode()).decode("ascii")


_SDP = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyz0123456789 =:/.-\r\n"), max_size=200)


def _bodies(action: str) -> SearchStrategy[dict[str, Any]]:
    if action == "ICE_CANDIDATE":
        return st.builds(
            lambda foundation, port, mid: {
                "candidate": f"candidate:{foundation} 1 udp 2130706431 127.0.0.1 {port} typ host",
                "sdpMid": str(mid),
                "sdpMLineIndex": mid,
            },
            st.integers(0, 2**32 - 1),
            st.integers(1024, 65535),
            st.integers(0, 3),
        )
    kind = "offer" if action == "SDP_OFFER" else "answer"
    return _SDP.map(lambda sdp: {"type": kind, "sdp": "v=0\r\n" + sdp})


def signaling_payloads(*, action: str | None = None) -> SearchStrategy[str]:
    """``messagePayload`` values as the SDKs send them: base64 of ``{"type", "sdp"}``
    for an offer or an answer, of ``{"candidate", "sdpMid", "sdpMLineIndex"}`` for a
    candidate (``action``: one of :data:`SIGNALING_ACTIONS`, None for any); always
    within the 10,000-character limit.

    >>> signaling_payloads(action="HELLO")
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: signaling_payloads(): action must be one of SDP_OFFER, SDP_ANSWER, ICE_CANDIDATE or None, got 'HELLO'
    """
    if action is not None and action not in SIGNALING_ACTIONS:
        raise InvalidArgument(
            f"signaling_payloads(): action must be one of {', '.join(SIGNALING_ACTIONS)} "
            f"or None, got {action!r}"
        )
    actions = SIGNALING_ACTIONS if action is None else (action,)
    return st.one_of(*(_bodies(a) for a in actions)).map(_encode)


def signaling_frames(
    *,
    role: str = "VIEWER",
    recipients: SearchStrategy[str] | None = None,
    with_correlation_id: bool | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """Frames a client of ``role`` (``"MASTER"`` or ``"VIEWER"``) sends and the relay
    accepts: ``action``, a matching ``messagePayload``, ``recipientClientId`` from
    ``recipients`` (a master's is required; default :func:`signaling_client_ids`),
    and a ``correlationId`` always (``with_correlation_id=True``), never
    (``False``) or sometimes (None).

    >>> signaling_frames(role="CAMERA")
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: signaling_frames(): role must be 'MASTER' or 'VIEWER', got 'CAMERA'
    """
    where = "signaling_frames()"
    if role not in ("MASTER", "VIEWER"):
        raise InvalidArgument(f"{where}: role must be 'MASTER' or 'VIEWER', got {role!r}")
    if recipients is not None and not isinstance(recipients, SearchStrategy):
        raise InvalidArgument(
            f"{where}: recipients must be a hypothesis strategy, got {recipients!r}"
        )
    if with_correlation_id is not None and not isinstance(with_correlation_id, bool):
        raise InvalidArgument(
            f"{where}: with_correlation_id must be True, False or None, got {with_correlation_id!r}"
        )
    to = signaling_client_ids(max_size=32) if recipients is None else recipients

    def frame(action: str) -> SearchStrategy[dict[str, Any]]:
        required: dict[str, SearchStrategy[Any]] = {
            "action": st.just(action),
            "messagePayload": signaling_payloads(action=action),
        }
        optional: dict[str, SearchStrategy[Any]] = {}
        (required if role == "MASTER" else optional)["recipientClientId"] = to
        if with_correlation_id is True:
            required["correlationId"] = correlation_ids(max_size=32)
        elif with_correlation_id is None:
            optional["correlationId"] = correlation_ids(max_size=32)
        return st.fixed_dictionaries(required, optional=optional)

    return st.sampled_from(SIGNALING_ACTIONS).flatmap(frame)
