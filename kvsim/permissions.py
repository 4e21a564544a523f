"""Least privilege: clients limited to a set of IAM actions.

>>> sorted(expand_actions({"kinesisvideo:Describe*"}))
['DescribeStream', 'DescribeStreamStorageConfiguration']
>>> denial("CreateStream", "123456789012").code, denial("DescribeStream", "123456789012").code
('AccessDeniedException', 'NotAuthorizedException')
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable

from .config import OPERATIONS
from .errors import AccessDeniedException, ClientError, NotAuthorizedException

__all__ = ["denial", "expand_actions"]

_PREFIX = "kinesisvideo:"

# Operations whose model lists NotAuthorizedException; the others answer
# AccessDeniedException (the model's error where it has one, else the generic IAM error).
_NOT_AUTHORIZED = frozenset(
    {
        "DescribeStream",
        "UpdateStream",
        "UpdateDataRetention",
        "DeleteStream",
        "GetDataEndpoint",
        "TagStream",
        "UntagStream",
        "ListTagsForStream",
    }
)


def expand_actions(actions: Iterable[str]) -> frozenset[str]:
    """The operations a set of IAM actions allows (``*`` and ``?`` wildcards,
    case-insensitive as in IAM). Entries of other services are refused."""
    if isinstance(actions, str):
        raise TypeError("allowed_actions must be a collection of action names, not one str")
    allowed: set[str] = set()
    for action in actions:
        if not isinstance(action, str) or (
            action != "*" and not action.lower().startswith(_PREFIX)
        ):
            raise ValueError(
                f"allowed_actions entries look like 'kinesisvideo:DescribeStream', got {action!r}"
            )
        pattern = "*" if action == "*" else action[len(_PREFIX) :].lower()
        allowed.update(op for op in OPERATIONS if fnmatch.fnmatchcase(op.lower(), pattern))
    return frozenset(allowed)


def denial(operation: str, account_id: str) -> ClientError:
    """The authorization error ``operation`` answers for a caller without the right."""
    message = (
        f"User: arn:aws:iam::{account_id}:user/kvsim is not authorized to perform: "
        f"kinesisvideo:{operation}"
    )
    if operation in _NOT_AUTHORIZED:
        return NotAuthorizedException(message)
    return AccessDeniedException(message)
