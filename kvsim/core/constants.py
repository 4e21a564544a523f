"""Constants shared by every layer: the default account and region, the epoch,
the virtual clock's range, Java's int range and AWS's account and region
formats, each written once.

>>> EPOCH + timedelta(milliseconds=MAX_MS) == datetime.max.replace(microsecond=999000, tzinfo=UTC)
True
>>> EPOCH + timedelta(milliseconds=LAST_CALL_MS)
datetime.datetime(9997, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc)
>>> EPOCH + timedelta(milliseconds=LAST_START_MS)
datetime.datetime(9996, 12, 31, 23, 59, 59, 999000, tzinfo=datetime.timezone.utc)

>>> check_account_region("123456789012", "eu-west-1")
>>> check_account_region("1234", "eu-west-1")
Traceback (most recent call last):
...
ValueError: account_id must be 12 digits, got '1234'
"""

from __future__ import annotations

import argparse
import re
from datetime import UTC, datetime, timedelta
from typing import Final

from .ids import SERVED_REGIONS

__all__ = [
    "ACCOUNT_ID_PATTERN",
    "DEFAULT_ACCOUNT_ID",
    "DEFAULT_REGION_NAME",
    "DEFAULT_START",
    "EPOCH",
    "JAVA_INT_MAX",
    "JAVA_INT_MIN",
    "KVSIM_VERSION",
    "LAST_CALL_MS",
    "LAST_START_MS",
    "MAX_DELAY_MS",
    "MAX_MS",
    "MAX_SEED",
    "REGION_NAME_PATTERN",
    "check_account_region",
    "check_region_served",
    "is_account_id",
    "is_region_name",
    "seed_option",
]

#: kvsim's version (``kvsim.__version__``), here so that adapters need not import
#: the package itself (an import cycle through ``kvsim/__init__``).
KVSIM_VERSION: Final = "0.1.0"

#: The account of a caller no one mapped to another (facade, HTTP and boto3 alike).
DEFAULT_ACCOUNT_ID: Final = "123456789012"
#: The region of a client made without ``region_name``.
DEFAULT_REGION_NAME: Final = "us-east-1"
#: Where the virtual clock starts unless ``Simulator(start=...)`` says otherwise.
DEFAULT_START: Final = datetime(2026, 1, 1, tzinfo=UTC)
#: The Unix epoch, tz-aware: virtual time counts milliseconds from it. The
#: clock never goes before it (stream ARNs carry their creation time in epoch ms).
EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
#: The end of the virtual clock: 9999-12-31T23:59:59.999Z in epoch ms, the last
#: millisecond a ``datetime`` can represent. The kernel refuses (``ValueError``)
#: to move the clock, or to schedule a change, past it.
MAX_MS: Final = (datetime(9999, 12, 31, 23, 59, 59, 999000, tzinfo=UTC) - EPOCH) // timedelta(
    milliseconds=1
)
#: The longest configured duration, in ms (365 days): each ``Timings`` value,
#: and the injected latency of one call (the sum of its operation's latency
#: faults). Bounding them at configuration time is what lets a call started by
#: :data:`LAST_CALL_MS` finish inside the clock without a check of its own.
MAX_DELAY_MS: Final = 365 * 86_400_000
#: The last instant an API call may start (9997-12-31T23:59:59.999Z): a call
#: moves the clock by at most ``call_latency`` + injected latency (two
#: :data:`MAX_DELAY_MS`) and schedules changes at most one ``MAX_DELAY_MS``
#: ahead, so whatever it does lands by :data:`MAX_MS`.
LAST_CALL_MS: Final = MAX_MS - 2 * MAX_DELAY_MS
#: The latest start of a simulator (9996-12-31T23:59:59.999Z): it leaves at
#: least a year (365 days) of API calls.
LAST_START_MS: Final = LAST_CALL_MS - MAX_DELAY_MS
#: Seeds are ints in ``range(MAX_SEED)`` (0 to 2**64 - 1): 64 bits, and no
#: negatives (``random.Random`` would seed -n and n alike).
MAX_SEED: Final = 2**64

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
    check_region_served(region_name)


def check_region_served(region_name: str) -> None:
    """Raise ``ValueError`` unless Kinesis Video is served in ``region_name``.

    >>> check_region_served("us-west-1")
    Traceback (most recent call last):
    ...
    ValueError: Kinesis Video is not available in 'us-west-1'; it is in: af-south-1, ap-east-1, ap-northeast-1, ap-northeast-2, ap-south-1, ap-southeast-1, ap-southeast-2, ap-southeast-5, ca-central-1, cn-north-1, eu-central-1, eu-south-2, eu-west-1, eu-west-2, eu-west-3, il-central-1, me-south-1, sa-east-1, us-east-1, us-east-2, us-gov-east-1, us-gov-west-1, us-iso-east-1, us-west-2
    """
    if region_name not in _SERVED:
        raise ValueError(
            f"Kinesis Video is not available in {region_name!r}; it is in: "
            + ", ".join(SERVED_REGIONS)
        )


_SERVED = frozenset(SERVED_REGIONS)


def seed_option(text: str) -> int:
    """Parse a ``--seed`` command-line value: an int in ``[0, 2**64)``.

    >>> seed_option("42")
    42
    >>> seed_option("-1")
    Traceback (most recent call last):
    ...
    argparse.ArgumentTypeError: a seed is an int in [0, 2**64), got '-1'
    """
    try:
        seed = int(text)
    except ValueError:
        seed = -1
    if not 0 <= seed < MAX_SEED or not text.strip().isdigit():
        raise argparse.ArgumentTypeError(f"a seed is an int in [0, 2**64), got {text[:40]!r}")
    return seed
