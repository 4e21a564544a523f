"""Constants shared by every layer: the default account and region, the epoch,
Java's int range and AWS's account and region formats, each written once.

>>> check_account_region("123456789012", "eu-west-1")
>>> check_account_region("1234", "eu-west-1")
Traceback (most recent call last):
...
ValueError: account_id must be 12 digits, got '1234'
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Final

__all__ = [
    "ACCOUNT_ID_PATTERN",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION_NAME",
    "DEFAULT_START",
    "EPOCH",
    "JAVA_INT_MAX",
    "JAVA_INT_MIN",
    "REGION_NAME_PATTERN",
    "check_account_region",
    "is_account_id",
    "is_region_name",
]

#: The account of a caller no one mapped to another (facade, HTTP and boto3 alike).
DEFAULT_ACCOUNT_ID: Final = "123456789012"
#: The region of a client made without ``region_name``.
DEFAULT_REGION_NAME: Final = "us-east-1"
#: Where the virtual clock starts unless ``Simulator(start=...)`` says otherwise.
DEFAULT_START: Final = datetime(2026, 1, 1, tzinfo=UTC)
#: The Unix epoch, tz-aware: virtual time counts milliseconds from it.
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

# The service reads model integers into Java's 32-bit ints.
JAVA_INT_MAX: Final = 2**31 - 1
JAVA_INT_MIN: Final = -(2**31)

#: An AWS account id: twelve digits.
ACCOUNT_ID_PATTERN: Final = r"[0-9]{12}"
#: A region name such as ``us-east-1`` or ``us-gov-west-1``.
REGION_NAME_PATTERN: Final = r"[a-z]{2}(-[a-z0-9]+)+-[0-9]+"

is_account_id = re.compile(ACCOUNT_ID_PATTERN).fullmatch
is_region_name = re.compile(REGION_NAME_PATTERN).fullmatch


def check_account_region(account_id: object, region_name: object) -> None:
    """Raise ``ValueError`` unless both look like AWS's (12 digits; ``xx-name-N``)."""
    if not isinstance(account_id, str) or not is_account_id(account_id):
        raise ValueError(f"account_id must be 12 digits, got {account_id!r}")
    if not isinstance(region_name, str) or not is_region_name(region_name):
        raise ValueError(f"region_name must look like 'us-east-1', got {region_name!r}")
