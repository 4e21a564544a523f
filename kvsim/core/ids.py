"""Identifiers: partitions, ARNs, versions, data endpoints, request ids.

>>> stream_arn("us-east-1", "123456789012", "cam-1", 1767225600000)
'arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/1767225600000'
>>> partition("cn-north-1"), partition("us-gov-west-1"), partition("eu-west-1")
('aws-cn', 'aws-us-gov', 'aws')
>>> partition("us-iso-east-1"), partition("us-isob-east-1"), dns_suffix("cn-north-1")
('aws-iso', 'aws-iso-b', 'amazonaws.com.cn')
>>> parse_stream_arn("arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam-1/1767225600000")
('aws', 'us-east-1', '123456789012', 'stream', 'cam-1', 1767225600000)
"""

from __future__ import annotations

import random
import re
import string

from .partitions import PARTITIONS

__all__ = [
    "SERVED_REGIONS",
    "VERSION_LENGTH",
    "data_endpoint",
    "default_kms_key",
    "new_version",
    "parse_stream_arn",
    "partition",
    "request_id",
    "stream_arn",
]

_ARN = re.compile(
    r"arn:([a-z\d-]+):kinesisvideo:([a-z0-9-]+):([0-9]+):([a-z]+)/([a-zA-Z0-9_.-]+)/([0-9]+)",
    re.ASCII,
)


#: Every region whose endpoints serve Kinesis Video (botocore's endpoint data).
SERVED_REGIONS: tuple[str, ...] = tuple(
    sorted(region for data in PARTITIONS.values() for region in data["regions"])
)
_PARTITION_OF = {region: name for name, data in PARTITIONS.items() for region in data["regions"]}
_PARTITION_PATTERNS = tuple(
    (name, re.compile(data["region_regex"]).match) for name, data in PARTITIONS.items()
)


def partition(region: str) -> str:
    """The AWS partition a region belongs to, as botocore's endpoint data says
    (its listed regions first, then its region patterns; ``aws`` otherwise)."""
    found = _PARTITION_OF.get(region)
    if found is None:
        found = next((name for name, match in _PARTITION_PATTERNS if match(region)), "aws")
    return found


def dns_suffix(region: str) -> str:
    """The DNS suffix of a region's endpoints."""
    suffix: str = PARTITIONS[partition(region)]["dns_suffix"]
    return suffix


def stream_arn(region: str, account_id: str, name: str, created_ms: int) -> str:
    """A stream's ARN: the creation time in epoch milliseconds tells incarnations apart."""
    return f"arn:{partition(region)}:kinesisvideo:{region}:{account_id}:stream/{name}/{created_ms}"


def parse_stream_arn(arn: str) -> tuple[str, str, str, str, str, int] | None:
    """``(partition, region, account, resource type, name, created ms)``, or None."""
    m = _ARN.fullmatch(arn)
    if m is None:
        return None
    part, region, account, kind, name, ms = m.groups()
    return part, region, account, kind, name, int(ms)


def default_kms_key(region: str, account_id: str) -> str:
    """The AWS-managed key reported when CreateStream names none."""
    return f"arn:{partition(region)}:kms:{region}:{account_id}:alias/aws/kinesisvideo"


#: The characters of a version: the real service's are mixed-case alphanumerics.
_VERSION_ALPHABET = string.ascii_letters + string.digits
#: The length of the real service's versions (``h64abdzI2OG5fNfd68y7``).
VERSION_LENGTH = 20
# Each random byte picks a character (byte mod 62): one getrandbits call and a
# bytes.translate, several times faster than random.choices. Not exactly
# uniform (the first 8 characters are a little likelier), which no version needs.
_BYTE_TO_CHARACTER = bytes(ord(_VERSION_ALPHABET[b % 62]) for b in range(256))


def new_version(rng: random.Random) -> str:
    """A fresh resource version: 20 mixed-case alphanumerics from the seeded source,
    as the real service's (the model allows 1-64 of ``[a-zA-Z0-9]``).

    >>> new_version(random.Random(0))
    'thSEeXJKWojiggTPxyUT'
    """
    raw = rng.getrandbits(8 * VERSION_LENGTH).to_bytes(VERSION_LENGTH, "little")
    return raw.translate(_BYTE_TO_CHARACTER).decode("ascii")


def data_endpoint(region: str, prefix: str, rng: random.Random) -> str:
    """A data-plane endpoint URL such as ``https://s-1a2b3c4d.kinesisvideo.us-west-2.amazonaws.com``."""
    return f"https://{prefix}-{rng.getrandbits(32):08x}.kinesisvideo.{region}.{dns_suffix(region)}"


_SHORT_ID_LIMIT = 16**12


def request_id(counter: int) -> str:
    """A request id in UUID form, derived from the simulator's call counter."""
    if counter < _SHORT_ID_LIMIT:  # one format instead of five slices
        return f"00000000-0000-0000-0000-{counter:012x}"
    digits = f"{counter:032x}"
    return f"{digits[:8]}-{digits[8:12]}-{digits[12:16]}-{digits[16:20]}-{digits[20:]}"
