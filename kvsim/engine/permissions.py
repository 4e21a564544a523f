"""Least privilege: clients limited to a set of IAM actions.

Every Kinesis Video service shares the ``kinesisvideo:`` IAM namespace, so
one pattern covers the operations of all five.

>>> sorted(expand_actions({"kinesisvideo:Describe*"}))
['DescribeStream', 'DescribeStreamStorageConfiguration']
>>> from kvsim.services.registry import SIMULATED
>>> denial(SIMULATED["CreateStream"], "123456789012").code
'AccessDeniedException'
>>> denial(SIMULATED["DescribeStream"], "123456789012").code
'NotAuthorizedException'
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from ..model.errors import ERROR_CLASSES, ClientError, service_errors
from ..services.declarations import Operation
from ..services.registry import SIMULATED

__all__ = ["IAM_PREFIX", "denial", "expand_actions"]

#: The IAM namespace of every Kinesis Video action.
IAM_PREFIX = "kinesisvideo:"


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


def denial(operation: Operation, account_id: str) -> ClientError:
    """The authorization error ``operation`` answers for a caller without the right:
    its declared one (``NotAuthorizedException`` where its model lists it, else
    ``AccessDeniedException``), with its service's HTTP status."""
    message = (
        f"User: arn:aws:iam::{account_id}:user/kvsim is not authorized to perform: "
        f"{IAM_PREFIX}{operation.name}"
    )
    cls = service_errors(operation.service).get(operation.denial) or ERROR_CLASSES[operation.denial]
    return cls(message)
