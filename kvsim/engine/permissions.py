"""Principals and least privilege: who a caller is and which actions it may call.

Every Kinesis Video service shares the ``kinesisvideo:`` IAM namespace, so
one pattern covers the operations of all five.

A caller without the right to an operation gets what the real service
answers: ``AccessDeniedException`` with HTTP 403 and the message
``User: <identity ARN> is not authorized to perform: kinesisvideo:<Action> on resource: <resource>``.

>>> sorted(expand_actions({"kinesisvideo:Describe*"}))[:2]
['DescribeEdgeConfiguration', 'DescribeImageGenerationConfiguration']
>>> from kvsim.services.registry import SIMULATED
>>> error = denial(SIMULATED["DescribeStream"], "us-east-1", "123456789012",
...                {"StreamName": "cam-1"}, None)
>>> error.code, error.http_status
('AccessDeniedException', 403)
>>> error.message
'User: arn:aws:iam::123456789012:user/kvsim is not authorized to perform: kinesisvideo:DescribeStream on resource: cam-1'
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from ..core.constants import is_account_id
from ..core.ids import partition
from ..model.errors import ClientError, access_denied, service_errors
from ..services.declarations import Operation
from ..services.registry import SIMULATED

__all__ = ["IAM_PREFIX", "Principal", "default_identity", "denial", "expand_actions"]

#: The IAM namespace of every Kinesis Video action.
IAM_PREFIX = "kinesisvideo:"

# The request members that name the resource a denial reports, most specific
# first: the real service reports the stream name a request gave (kvsim rule:
# else the ARN it gave, else "*").
_RESOURCE_MEMBERS = (
    "StreamName",
    "ChannelName",
    "StreamARN",
    "ChannelARN",
    "ResourceARN",
    "StreamArn",
    "ChannelArn",
    "HubDeviceArn",
)
# An IAM or STS principal ARN: arn:<partition>:<iam|sts>::<account>:<rest>.
_IDENTITY = re.compile(r"arn:[a-z][a-z0-9-]*:(?:iam|sts)::(\d{12}):\S+", re.ASCII)
_ACCESS_KEY_ID = re.compile(r"\w{1,128}", re.ASCII)


def expand_actions(actions: Iterable[str]) -> frozenset[str]:
    """The operations a set of IAM actions allows (``*`` and ``?`` wildcards,
    case-insensitive as in IAM). Entries of other services are refused."""
    if isinstance(actions, str):
        raise TypeError("allowed_actions must be a collection of action names, not one str")
    allowed: set[str] = set()
    for action in actions:
        if not isinstance(action, str) or (
            action != "*" and not action.lower().startswith(IAM_PREFIX)
        ):
            raise ValueError(
                f"allowed_actions entries look like 'kinesisvideo:DescribeStream', got {action!r}"
            )
        pattern = "*" if action == "*" else action[len(IAM_PREFIX) :].lower()
        allowed.update(op for op in SIMULATED if fnmatch.fnmatchcase(op.lower(), pattern))
    return frozenset(allowed)


def default_identity(region_name: str, account_id: str) -> str:
    """The identity of a caller registered without one: an IAM user ``kvsim``.

    >>> default_identity("cn-north-1", "123456789012")
    'arn:aws-cn:iam::123456789012:user/kvsim'
    """
    return f"arn:{partition(region_name)}:iam::{account_id}:user/kvsim"


@dataclass(frozen=True, slots=True)
class Principal:
    """A caller: an access-key id mapped to an account, an IAM-style identity
    ARN (None: :func:`default_identity`) and the IAM actions it may call
    (None: every action).

    >>> Principal("AKIDREADER", "111122223333", ("kinesisvideo:Describe*",)).may("DescribeStream")
    True
    >>> Principal("AKIDREADER", "111122223333", ("kinesisvideo:Describe*",)).may("CreateStream")
    False
    >>> Principal("AKID", "111122223333", identity="arn:aws:iam::444455556666:role/r")
    Traceback (most recent call last):
    ...
    ValueError: identity 'arn:aws:iam::444455556666:role/r' belongs to account 444455556666, not 111122223333
    """

    access_key_id: str
    account_id: str
    #: The IAM action patterns as given (``kinesisvideo:Describe*``), or None.
    allowed_actions: tuple[str, ...] | None = None
    identity: str | None = None
    #: The operations ``allowed_actions`` allows, or None for every operation.
    allowed: frozenset[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        key = self.access_key_id
        if not isinstance(key, str) or not _ACCESS_KEY_ID.fullmatch(key):
            raise ValueError(
                f"access_key_id must be 1-128 letters, digits or underscores, got {key!r}"
            )
        if not isinstance(self.account_id, str) or not is_account_id(self.account_id):
            raise ValueError(f"account_id must be 12 digits, got {self.account_id!r}")
        allowed = None
        if self.allowed_actions is not None:
            allowed = expand_actions(self.allowed_actions)
            object.__setattr__(self, "allowed_actions", tuple(self.allowed_actions))
        object.__setattr__(self, "allowed", allowed)
        identity = self.identity
        if identity is not None:
            found = _IDENTITY.fullmatch(identity) if isinstance(identity, str) else None
            if found is None:
                raise ValueError(
                    "identity must be an IAM or STS ARN such as "
                    f"'arn:aws:iam::{self.account_id}:user/alice', got {identity!r}"
                )
            if found.group(1) != self.account_id:
                raise ValueError(
                    f"identity {identity!r} belongs to account {found.group(1)}, "
                    f"not {self.account_id}"
                )

    def may(self, operation: str) -> bool:
        """Whether this principal may call ``operation`` (an API name). O(1)."""
        return self.allowed is None or operation in self.allowed

    def to_json(self) -> str | dict[str, Any]:
        """JSON-ready: the account alone when nothing else is set (the older form)."""
        if self.allowed_actions is None and self.identity is None:
            return self.account_id
        data: dict[str, Any] = {"account_id": self.account_id}
        if self.allowed_actions is not None:
            data["allowed_actions"] = list(self.allowed_actions)
        if self.identity is not None:
            data["identity"] = self.identity
        return data

    @classmethod
    def from_json(cls, access_key_id: str, data: str | Mapping[str, Any]) -> Principal:
        """The principal :meth:`to_json` wrote for ``access_key_id``."""
        if isinstance(data, str):
            return cls(access_key_id, data)
        actions = data.get("allowed_actions")
        return cls(
            access_key_id,
            data["account_id"],
            None if actions is None else tuple(actions),
            data.get("identity"),
        )


def _resource(params: Mapping[str, Any]) -> str:
    for member in _RESOURCE_MEMBERS:
        value = params.get(member)
        if isinstance(value, str):
            return value
    return "*"


def denial(
    operation: Operation,
    region_name: str,
    account_id: str,
    params: Mapping[str, Any],
    identity: str | None,
) -> ClientError:
    """The error ``operation`` answers a caller without the IAM right to it:
    ``AccessDeniedException`` (403) naming the caller's identity, the action
    and the resource the request named (``*`` when it named none)."""
    who = identity if identity is not None else default_identity(region_name, account_id)
    message = (
        f"User: {who} is not authorized to perform: {IAM_PREFIX}{operation.name} "
        f"on resource: {_resource(params)}"
    )
    cls = service_errors(operation.service).get(operation.denial) or access_denied(
        operation.service
    )
    return cls(message)
