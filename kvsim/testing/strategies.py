"""Hypothesis strategies for Kinesis Video Streams request values.

Every strategy generates, by default, only values the service accepts: they
satisfy the ``kinesisvideo`` model's lengths (Java strings, so UTF-16 code
units), patterns and enums, and kvsim's default limits. Options are
keyword-only; an invalid option raises :class:`hypothesis.errors.InvalidArgument`
as soon as the strategy is built, not when it is first drawn from.

This module imports hypothesis, a test dependency: ``import kvsim`` does not
import it; import ``kvsim.strategies`` from your tests.

>>> import kvsim
>>> from hypothesis import given, settings
>>> from kvsim import strategies as kvs
>>> @settings(max_examples=20, database=None, deadline=None)
... @given(kwargs=kvs.create_stream_kwargs(names=kvs.stream_names(prefix="cam-")))
... def test_create_stream_accepts_any_valid_request(kwargs):
...     kv = kvsim.Simulator().client("kinesisvideo")
...     arn = kv.create_stream(**kwargs)["StreamARN"]
...     assert arn.split("/")[1].startswith("cam-")
>>> test_create_stream_accepts_any_valid_request()
"""

from __future__ import annotations

import string
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..core.constants import JAVA_INT_MAX as _JAVA_INT_MAX
from ..core.ids import partition
from ..model.catalog import service_spec
from ..model.shapes import JAVA_LINE_TERMINATORS as _LINE_TERMINATORS
from ..model.validation import TAG_PUNCTUATION as TAG_PUNCTUATION
from ..services.config import Limits

__all__ = [
    "DEVICE_NAME_MAX",
    "KMS_KEY_ID_MAX",
    "MAX_DATA_RETENTION_HOURS",
    "MEDIA_TYPE_MAX",
    "NAME_CHARACTERS",
    "STREAM_NAME_MAX",
    "TAGS_PER_RESOURCE",
    "TAG_KEY_MAX",
    "TAG_PUNCTUATION",
    "TAG_VALUE_MAX",
    "create_stream_kwargs",
    "device_names",
    "kms_key_ids",
    "media_types",
    "retention_hours",
    "stream_names",
    "tag_keys",
    "tag_maps",
    "tag_values",
    "utf16_length",
]

#: Characters of StreamName and DeviceName: ``[a-zA-Z0-9_.-]+``.
NAME_CHARACTERS = string.digits + string.ascii_letters + "_.-"
# A token of a media type: Java's ``[\w\-\.\+]`` (ASCII ``\w``).
_MEDIA_TOKEN_CHARACTERS = string.ascii_lowercase + string.digits + string.ascii_uppercase + "_-.+"
# Media types seen in practice (each fits the model's pattern).
_COMMON_MEDIA_TYPES = (
    "video/h264",
    "video/h265",
    "audio/aac",
    "video/h264,audio/aac",
    "video/h265,audio/aac",
    "audio/opus",
    "audio/L16",
    "video/x-matroska",
)
_REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "ap-northeast-1", "cn-north-1")
_SHAPES = service_spec("kinesisvideo").shapes
_DEFAULTS = Limits()

#: The model's limits that these strategies respect by default.
STREAM_NAME_MAX: int = _SHAPES["StreamName"]["max"]
DEVICE_NAME_MAX: int = _SHAPES["DeviceName"]["max"]
MEDIA_TYPE_MAX: int = _SHAPES["MediaType"]["max"]
KMS_KEY_ID_MAX: int = _SHAPES["KmsKeyId"]["max"]
TAG_KEY_MAX: int = _SHAPES["TagKey"]["max"]
TAG_VALUE_MAX: int = _SHAPES["TagValue"]["max"]
TAGS_PER_RESOURCE = _DEFAULTS.max_tags_per_resource
MAX_DATA_RETENTION_HOURS = _DEFAULTS.max_data_retention_hours


# -- argument checks ----------------------------------------------------------------------


def _check_int(where: str, name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{where}: {name} must be an int, got {value!r}")
    if not low <= value <= high:
        raise InvalidArgument(f"{where}: {name} must be between {low} and {high}, got {value!r}")
    return value


def _check_order(where: str, low_name: str, low: int, high_name: str, high: int) -> None:
    if low > high:
        raise InvalidArgument(f"{where}: {low_name}={low} is greater than {high_name}={high}")


def _check_bool(where: str, name: str, value: object, *, optional: bool) -> None:
    if value is None and optional:
        return
    if not isinstance(value, bool):
        kind = "True, False or None" if optional else "True or False"
        raise InvalidArgument(f"{where}: {name} must be {kind}, got {value!r}")


def _check_strategy(where: str, name: str, value: object) -> None:
    if value is not None and not isinstance(value, SearchStrategy):
        raise InvalidArgument(f"{where}: {name} must be a hypothesis strategy, got {value!r}")


# -- UTF-16 lengths ------------------------------------------------------------------------


def utf16_length(text: str) -> int:
    """The length of ``text`` as Java (and so AWS) counts it: UTF-16 code units.

    >>> utf16_length("cam"), utf16_length("\\U0001d400")
    (3, 2)
    """
    return len(text) + sum(1 for c in text if ord(c) > 0xFFFF)


def _fit_utf16(max_units: int) -> Callable[[str], str]:
    # Drop characters from the end until the text fits max_units code units.
    def fit(text: str) -> str:
        while utf16_length(text) > max_units:
            text = text[:-1]
        return text

    return fit


def _bounded_text(
    alphabet: SearchStrategy[str], min_size: int, max_size: int
) -> SearchStrategy[str]:
    # text() counts code points; astral characters count twice in UTF-16.
    return (
        st.text(alphabet, min_size=min_size, max_size=max_size)
        .map(_fit_utf16(max_size))
        .filter(lambda text: utf16_length(text) >= min_size)
    )


# -- names ---------------------------------------------------------------------------------


def _names(
    where: str, limit: int, min_size: int, max_size: int, prefix: str | None
) -> SearchStrategy[str]:
    _check_int(where, "min_size", min_size, 1, limit)
    _check_int(where, "max_size", max_size, 1, limit)
    _check_order(where, "min_size", min_size, "max_size", max_size)
    if prefix is None:
        prefix = ""
    if not isinstance(prefix, str):
        raise InvalidArgument(f"{where}: prefix must be a str or None, got {prefix!r}")
    bad = sorted({c for c in prefix if c not in NAME_CHARACTERS})
    if bad:
        raise InvalidArgument(
            f"{where}: prefix {prefix!r} has characters outside [a-zA-Z0-9_.-]: {''.join(bad)!r}"
        )
    if len(prefix) > max_size:
        raise InvalidArgument(f"{where}: prefix {prefix!r} is longer than max_size={max_size}")
    rest = st.text(
        NAME_CHARACTERS, min_size=max(0, min_size - len(prefix)), max_size=max_size - len(prefix)
    )
    if not prefix:
        return rest
    return rest.map(lambda tail: prefix + tail)


def stream_names(
    *, min_size: int = 1, max_size: int = STREAM_NAME_MAX, prefix: str | None = None
) -> SearchStrategy[str]:
    """Valid ``StreamName`` values: 1–256 characters of ``[a-zA-Z0-9_.-]``.

    ``min_size``/``max_size`` bound the whole name, ``prefix`` included
    (1 ≤ min_size ≤ max_size ≤ 256); ``prefix`` must itself use the allowed
    characters. Names are case-sensitive, so ``"Cam"`` and ``"cam"`` differ.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(stream_names(prefix="cam-", max_size=8))
    ... def check(name):
    ...     assert name.startswith("cam-") and len(name) <= 8
    >>> check()
    >>> stream_names(min_size=0)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: stream_names(): min_size must be between 1 and 256, got 0
    >>> stream_names(prefix="cam 1")
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: stream_names(): prefix 'cam 1' has characters outside [a-zA-Z0-9_.-]: ' '
    """
    return _names("stream_names()", STREAM_NAME_MAX, min_size, max_size, prefix)


def device_names(
    *, min_size: int = 1, max_size: int = DEVICE_NAME_MAX, prefix: str | None = None
) -> SearchStrategy[str]:
    """Valid ``DeviceName`` values: 1–128 characters of ``[a-zA-Z0-9_.-]``.

    Options as :func:`stream_names`, with 128 as the upper bound.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(device_names(prefix="door-", max_size=10))
    ... def check(device):
    ...     assert device.startswith("door-") and len(device) <= 10
    >>> check()
    >>> device_names(max_size=129)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: device_names(): max_size must be between 1 and 128, got 129
    """
    return _names("device_names()", DEVICE_NAME_MAX, min_size, max_size, prefix)


# -- media types, KMS keys -------------------------------------------------------------------


def media_types(*, min_types: int = 1, max_types: int = 3) -> SearchStrategy[str]:
    """Valid ``MediaType`` values: ``type/subtype`` pairs joined by commas, ≤ 128 characters.

    Draws between ``min_types`` and ``max_types`` pairs (1 ≤ min_types ≤
    max_types ≤ 32; each token is sized so the whole value fits 128
    characters), mixed with common values such as ``"video/h264,audio/aac"``.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(media_types(max_types=2))
    ... def check(media_type):
    ...     assert 1 <= media_type.count("/") <= 2 and len(media_type) <= 128
    >>> check()
    >>> media_types(min_types=2, max_types=1)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: media_types(): min_types=2 is greater than max_types=1
    """
    where = "media_types()"
    _check_int(where, "min_types", min_types, 1, 32)
    _check_int(where, "max_types", max_types, 1, 32)
    _check_order(where, "min_types", min_types, "max_types", max_types)
    # n pairs of two tokens each, a "/" per pair and n - 1 commas must fit 128.
    token_max = ((MEDIA_TYPE_MAX - (max_types - 1)) // max_types - 1) // 2
    token = st.text(_MEDIA_TOKEN_CHARACTERS, min_size=1, max_size=token_max)
    pair = st.builds(lambda kind, sub: f"{kind}/{sub}", token, token)
    generated = st.lists(pair, min_size=min_types, max_size=max_types).map(",".join)
    common = [m for m in _COMMON_MEDIA_TYPES if min_types <= m.count("/") <= max_types]
    if not common:
        return generated
    return st.one_of(st.sampled_from(common), generated)


def _kms_aliases() -> SearchStrategy[str]:
    return st.text(string.ascii_letters + string.digits + "/_-", min_size=1, max_size=64)


def _kms_arn(region: str, account: str, resource: str) -> str:
    return f"arn:{partition(region)}:kms:{region}:{account}:{resource}"


def _realistic_kms_key_ids() -> SearchStrategy[str]:
    accounts = st.text(string.digits, min_size=12, max_size=12)
    regions = st.sampled_from(_REGIONS)
    key_ids = st.uuids().map(str)
    key_arns = st.builds(_kms_arn, regions, accounts, key_ids.map(lambda k: f"key/{k}"))
    aliases = _kms_aliases().map(lambda alias: f"alias/{alias}")
    alias_arns = st.builds(_kms_arn, regions, accounts, aliases)
    return st.one_of(key_ids, key_arns, alias_arns, aliases)


def kms_key_ids(*, arbitrary: bool = True) -> SearchStrategy[str]:
    """Valid ``KmsKeyId`` values: 1–2048 UTF-16 units, no line terminators (``.+``).

    kvsim, like AWS at CreateStream, does not check that the key exists. By
    default the values mix realistic forms (key ids, key ARNs, alias ARNs,
    ``alias/...`` names) with arbitrary text the pattern allows;
    ``arbitrary=False`` keeps to the realistic forms.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(kms_key_ids(arbitrary=False))
    ... def check(key):
    ...     assert key.startswith(("arn:", "alias/")) or len(key) == 36
    >>> check()
    """
    _check_bool("kms_key_ids()", "arbitrary", arbitrary, optional=False)
    realistic = _realistic_kms_key_ids()
    if not arbitrary:
        return realistic
    anything = st.characters(exclude_characters=_LINE_TERMINATORS)
    return st.one_of(realistic, _bounded_text(anything, 1, KMS_KEY_ID_MAX))


# -- tags ------------------------------------------------------------------------------------


def _tag_alphabet(ascii_only: bool) -> SearchStrategy[str]:
    if ascii_only:
        return st.sampled_from(string.ascii_letters + string.digits + " " + TAG_PUNCTUATION)
    # \p{L}, \p{Z} and \p{N}: letters, separators and numbers of every script.
    return st.characters(categories=["L", "Z", "N"], include_characters=TAG_PUNCTUATION)


def tag_keys(
    *, min_size: int = 1, max_size: int = TAG_KEY_MAX, ascii_only: bool = False
) -> SearchStrategy[str]:
    r"""Valid ``TagKey`` values: 1–128 UTF-16 units of ``[\p{L}\p{Z}\p{N}_.:/=+\-@]``.

    Unicode letters, separators (spaces, U+2028, U+2029…) and numbers of every
    script are allowed; lengths count UTF-16 code units, so an astral letter
    counts twice. ``ascii_only=True`` keeps to ASCII letters, digits, the
    space and ``_.:/=+-@``.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(tag_keys(max_size=4))
    ... def check(key):
    ...     assert 1 <= utf16_length(key) <= 4
    >>> check()
    """
    where = "tag_keys()"
    _check_int(where, "min_size", min_size, 1, TAG_KEY_MAX)
    _check_int(where, "max_size", max_size, 1, TAG_KEY_MAX)
    _check_order(where, "min_size", min_size, "max_size", max_size)
    _check_bool(where, "ascii_only", ascii_only, optional=False)
    return _bounded_text(_tag_alphabet(ascii_only), min_size, max_size)


def tag_values(
    *, min_size: int = 0, max_size: int = TAG_VALUE_MAX, ascii_only: bool = False
) -> SearchStrategy[str]:
    r"""Valid ``TagValue`` values: 0–256 UTF-16 units of ``[\p{L}\p{Z}\p{N}_.:/=+\-@]``.

    The empty string is a valid value. Options as :func:`tag_keys`.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(tag_values(max_size=3, ascii_only=True))
    ... def check(value):
    ...     assert value.isascii() and len(value) <= 3
    >>> check()
    >>> tag_values(min_size=5, max_size=4)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: tag_values(): min_size=5 is greater than max_size=4
    """
    where = "tag_values()"
    _check_int(where, "min_size", min_size, 0, TAG_VALUE_MAX)
    _check_int(where, "max_size", max_size, 0, TAG_VALUE_MAX)
    _check_order(where, "min_size", min_size, "max_size", max_size)
    _check_bool(where, "ascii_only", ascii_only, optional=False)
    return _bounded_text(_tag_alphabet(ascii_only), min_size, max_size)


def tag_maps(
    *,
    min_size: int = 1,
    max_size: int = TAGS_PER_RESOURCE,
    keys: SearchStrategy[str] | None = None,
    values: SearchStrategy[str] | None = None,
) -> SearchStrategy[dict[str, str]]:
    """Valid ``Tags`` maps (CreateStream, TagStream): 1–50 entries by default.

    ``keys``/``values`` replace :func:`tag_keys` / :func:`tag_values`, e.g.
    a small ``sampled_from`` so that keys collide across calls. ``max_size``
    may exceed 50 to provoke ``TagsPerResourceExceededLimitException``;
    ``min_size=0`` allows ``{}``, which the service rejects: omit ``Tags``
    instead of sending an empty map.

    >>> from hypothesis import given, settings, strategies as st
    >>> @settings(max_examples=20, database=None)
    ... @given(tag_maps(max_size=3, keys=st.sampled_from(["env", "site"])))
    ... def check(tags):
    ...     assert 1 <= len(tags) <= 2 and set(tags) <= {"env", "site"}
    >>> check()
    """
    where = "tag_maps()"
    _check_int(where, "min_size", min_size, 0, 10_000)
    _check_int(where, "max_size", max_size, 0, 10_000)
    _check_order(where, "min_size", min_size, "max_size", max_size)
    _check_strategy(where, "keys", keys)
    _check_strategy(where, "values", values)
    return st.dictionaries(
        tag_keys() if keys is None else keys,
        tag_values() if values is None else values,
        min_size=min_size,
        max_size=max_size,
    )


# -- retention, whole requests -------------------------------------------------------------


def retention_hours(
    *, min_value: int = 0, max_value: int = MAX_DATA_RETENTION_HOURS
) -> SearchStrategy[int]:
    """Valid ``DataRetentionInHours``: 0 (no persistence) to 87,600 (ten years).

    ``max_value`` may go up to Java's int range for worlds configured with
    ``Limits(max_data_retention_hours=...)`` above AWS's maximum.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(retention_hours(min_value=1, max_value=48))
    ... def check(hours):
    ...     assert 1 <= hours <= 48
    >>> check()
    >>> retention_hours(min_value=-1)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: retention_hours(): min_value must be between 0 and 2147483647, got -1
    """
    where = "retention_hours()"
    _check_int(where, "min_value", min_value, 0, _JAVA_INT_MAX)
    _check_int(where, "max_value", max_value, 0, _JAVA_INT_MAX)
    _check_order(where, "min_value", min_value, "max_value", max_value)
    return st.integers(min_value=min_value, max_value=max_value)


def create_stream_kwargs(
    *,
    names: SearchStrategy[str] | None = None,
    with_device: bool | None = None,
    with_media_type: bool | None = None,
    with_kms_key: bool | None = None,
    with_retention: bool | None = None,
    with_tags: bool | None = None,
    with_storage_configuration: bool | None = None,
    max_tags: int = TAGS_PER_RESOURCE,
    max_retention_hours: int = MAX_DATA_RETENTION_HOURS,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a valid ``create_stream`` call.

    ``StreamName`` comes from ``names`` (default :func:`stream_names`). Each
    optional member has a ``with_*`` switch: ``None`` (default) lets
    hypothesis include it or not, ``True`` always includes it, ``False``
    never does. ``max_tags`` (0–50 by default limits; 0 means no ``Tags``)
    and ``max_retention_hours`` bound the generated tags and retention.

    >>> from hypothesis import given, settings
    >>> @settings(max_examples=20, database=None)
    ... @given(create_stream_kwargs(with_tags=True, with_kms_key=False, max_tags=2))
    ... def check(kwargs):
    ...     assert 1 <= len(kwargs["Tags"]) <= 2 and "KmsKeyId" not in kwargs
    >>> check()
    >>> create_stream_kwargs(with_tags=True, max_tags=0)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: create_stream_kwargs(): with_tags=True needs max_tags >= 1
    """
    where = "create_stream_kwargs()"
    _check_strategy(where, "names", names)
    switches = {
        "DeviceName": ("with_device", with_device),
        "MediaType": ("with_media_type", with_media_type),
        "KmsKeyId": ("with_kms_key", with_kms_key),
        "DataRetentionInHours": ("with_retention", with_retention),
        "Tags": ("with_tags", with_tags),
        "StreamStorageConfiguration": ("with_storage_configuration", with_storage_configuration),
    }
    for option, value in switches.values():
        _check_bool(where, option, value, optional=True)
    _check_int(where, "max_tags", max_tags, 0, 10_000)
    _check_int(where, "max_retention_hours", max_retention_hours, 0, _JAVA_INT_MAX)
    if max_tags == 0:
        if with_tags:
            raise InvalidArgument(f"{where}: with_tags=True needs max_tags >= 1")
        switches["Tags"] = ("with_tags", False)
    members: dict[str, SearchStrategy[Any]] = {
        "DeviceName": device_names(),
        "MediaType": media_types(),
        "KmsKeyId": kms_key_ids(),
        "DataRetentionInHours": retention_hours(max_value=max_retention_hours),
        "Tags": tag_maps(max_size=max(max_tags, 1)),
        "StreamStorageConfiguration": st.fixed_dictionaries(
            {"DefaultStorageTier": st.sampled_from(["HOT", "WARM"])}
        ),
    }
    required: dict[str, SearchStrategy[Any]] = {
        "StreamName": stream_names() if names is None else names
    }
    optional: dict[str, SearchStrategy[Any]] = {}
    for member, (_option, value) in switches.items():
        if value is True:
            required[member] = members[member]
        elif value is None:
            optional[member] = members[member]
    return st.fixed_dictionaries(required, optional=optional)
