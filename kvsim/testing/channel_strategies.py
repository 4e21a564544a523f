"""Hypothesis strategies for signaling channels and media storage (re-exported by
:mod:`kvsim.strategies`).

Every value satisfies the ``kinesisvideo`` model and kvsim's default limits,
as those of :mod:`kvsim.testing.strategies`: options are keyword-only, and an
invalid option raises :class:`hypothesis.errors.InvalidArgument` when the
strategy is built. ARNs and versions are well formed; which channel or stream
they name is up to the test (pass ``st.just(arn)`` for one it created).

>>> import kvsim
>>> from hypothesis import given, settings
>>> @settings(max_examples=10, database=None, deadline=None)
... @given(kwargs=create_signaling_channel_kwargs(names=channel_names(prefix="door-")))
... def check(kwargs):
...     sim = kvsim.Simulator()
...     kv = sim.client()
...     arn = kv.create_signaling_channel(**kwargs)["ChannelARN"]
...     assert ":channel/door-" in arn
>>> check()
"""

from __future__ import annotations

import string
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.strategies import SearchStrategy

from ..core.constants import is_account_id, is_region_name
from ..core.ids import partition
from ..model.catalog import service_spec
from .strategies import TAGS_PER_RESOURCE, _names, stream_names, tag_maps

__all__ = [
    "CHANNEL_NAME_MAX",
    "MESSAGE_TTL_MAX",
    "MESSAGE_TTL_MIN",
    "channel_arns",
    "channel_names",
    "create_signaling_channel_kwargs",
    "media_storage_configurations",
    "message_ttls",
    "stream_arns",
    "tag_lists",
    "update_media_storage_configuration_kwargs",
    "update_signaling_channel_kwargs",
    "versions",
]

_SHAPES = service_spec("kinesisvideo").shapes
#: The model's limits these strategies respect.
CHANNEL_NAME_MAX: int = _SHAPES["ChannelName"]["max"]
MESSAGE_TTL_MIN: int = _SHAPES["MessageTtlSeconds"]["min"]
MESSAGE_TTL_MAX: int = _SHAPES["MessageTtlSeconds"]["max"]
_VERSION_MAX: int = _SHAPES["Version"]["max"]
_VERSION_CHARACTERS = string.ascii_letters + string.digits
# Creation times of generated ARNs: 2001-09-09 .. 2286-11-20 in epoch milliseconds.
_CREATED_MS = (1_000_000_000_000, 9_999_999_999_999)


def _check_place(where: str, account_id: object, region_name: object) -> None:
    if not isinstance(account_id, str) or not is_account_id(account_id):
        raise InvalidArgument(f"{where}: account_id must be 12 digits, got {account_id!r}")
    if not isinstance(region_name, str) or not is_region_name(region_name):
        raise InvalidArgument(
            f"{where}: region_name must look like 'us-east-1', got {region_name!r}"
        )


def _check_strategy(where: str, name: str, value: object) -> None:
    if value is not None and not isinstance(value, SearchStrategy):
        raise InvalidArgument(f"{where}: {name} must be a hypothesis strategy, got {value!r}")


def _check_switch(where: str, name: str, value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(f"{where}: {name} must be True, False or None, got {value!r}")


def _check_int(where: str, name: str, value: object, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise InvalidArgument(f"{where}: {name} must be an int, got {value!r}")
    if not low <= value <= high:
        raise InvalidArgument(f"{where}: {name} must be between {low} and {high}, got {value!r}")
    return value


def _optionally(
    required: dict[str, SearchStrategy[Any]],
    members: dict[str, tuple[bool | None, SearchStrategy[Any]]],
) -> SearchStrategy[dict[str, Any]]:
    # A member switched True is always present, None sometimes, False never.
    optional = {}
    for member, (switch, values) in members.items():
        if switch is True:
            required[member] = values
        elif switch is None:
            optional[member] = values
    return st.fixed_dictionaries(required, optional=optional)


# -- names, ARNs, versions -------------------------------------------------------------------


def channel_names(
    *, min_size: int = 1, max_size: int = CHANNEL_NAME_MAX, prefix: str | None = None
) -> SearchStrategy[str]:
    """Valid ``ChannelName`` values: 1–256 characters of ``[a-zA-Z0-9_.-]``.

    Options as :func:`~kvsim.testing.strategies.stream_names`.

    >>> channel_names(max_size=257)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: channel_names(): max_size must be between 1 and 256, got 257
    """
    return _names("channel_names()", CHANNEL_NAME_MAX, min_size, max_size, prefix)


def _arns(
    where: str,
    kind: str,
    names: SearchStrategy[str] | None,
    default_names: SearchStrategy[str],
    account_id: str,
    region_name: str,
) -> SearchStrategy[str]:
    _check_place(where, account_id, region_name)
    _check_strategy(where, "names", names)
    head = f"arn:{partition(region_name)}:kinesisvideo:{region_name}:{account_id}:{kind}/"
    return st.builds(
        lambda name, created: f"{head}{name}/{created}",
        default_names if names is None else names,
        st.integers(*_CREATED_MS),
    )


def channel_arns(
    *,
    names: SearchStrategy[str] | None = None,
    account_id: str = "123456789012",
    region_name: str = "us-east-1",
) -> SearchStrategy[str]:
    """Well-formed channel ARNs of one account and region
    (``arn:aws:kinesisvideo:us-east-1:123456789012:channel/<name>/<creation ms>``),
    names from ``names`` (default :func:`channel_names`, up to 64 characters).

    >>> channel_arns(region_name="mars")
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: channel_arns(): region_name must look like 'us-east-1', got 'mars'
    """
    defaults = channel_names(max_size=64)
    return _arns("channel_arns()", "channel", names, defaults, account_id, region_name)


def stream_arns(
    *,
    names: SearchStrategy[str] | None = None,
    account_id: str = "123456789012",
    region_name: str = "us-east-1",
) -> SearchStrategy[str]:
    """Well-formed stream ARNs of one account and region, as :func:`channel_arns`."""
    defaults = stream_names(max_size=64)
    return _arns("stream_arns()", "stream", names, defaults, account_id, region_name)


def versions() -> SearchStrategy[str]:
    """Well-formed ``Version`` values (``CurrentVersion``): 1–64 of ``[a-zA-Z0-9]``."""
    return st.text(_VERSION_CHARACTERS, min_size=1, max_size=_VERSION_MAX)


# -- members ---------------------------------------------------------------------------------


def message_ttls(
    *, min_value: int = MESSAGE_TTL_MIN, max_value: int = MESSAGE_TTL_MAX
) -> SearchStrategy[int]:
    """Valid ``MessageTtlSeconds``: 5–120.

    >>> message_ttls(min_value=4)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: message_ttls(): min_value must be between 5 and 120, got 4
    """
    where = "message_ttls()"
    _check_int(where, "min_value", min_value, MESSAGE_TTL_MIN, MESSAGE_TTL_MAX)
    _check_int(where, "max_value", max_value, MESSAGE_TTL_MIN, MESSAGE_TTL_MAX)
    if min_value > max_value:
        raise InvalidArgument(
            f"{where}: min_value={min_value} is greater than max_value={max_value}"
        )
    return st.integers(min_value, max_value)


def tag_lists(
    *,
    min_size: int = 1,
    max_size: int = TAGS_PER_RESOURCE,
    keys: SearchStrategy[str] | None = None,
    values: SearchStrategy[str] | None = None,
) -> SearchStrategy[list[dict[str, str]]]:
    """Valid ``Tags`` lists of CreateSignalingChannel and TagResource:
    ``[{"Key": ..., "Value": ...}]`` with distinct keys, options as
    :func:`~kvsim.testing.strategies.tag_maps` (``min_size=0`` allows ``[]``,
    which CreateSignalingChannel accepts)."""
    return tag_maps(min_size=min_size, max_size=max_size, keys=keys, values=values).map(
        lambda tags: [{"Key": k, "Value": v} for k, v in tags.items()]
    )


def media_storage_configurations(
    *, stream_arns: SearchStrategy[str] | None = None, enabled: bool | None = None
) -> SearchStrategy[dict[str, Any]]:
    """Valid ``MediaStorageConfiguration`` values: ``{"Status": "ENABLED", "StreamARN": ...}``
    (ARNs from ``stream_arns``, default :func:`stream_arns`) or ``{"Status": "DISABLED"}``;
    ``enabled`` fixes the status (None: either).

    >>> media_storage_configurations(enabled="yes")
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: media_storage_configurations(): enabled must be True, False or None, got 'yes'
    """
    where = "media_storage_configurations()"
    _check_strategy(where, "stream_arns", stream_arns)
    _check_switch(where, "enabled", enabled)
    arns = _default_stream_arns() if stream_arns is None else stream_arns
    on = st.builds(lambda arn: {"Status": "ENABLED", "StreamARN": arn}, arns)
    off = st.just({"Status": "DISABLED"}).map(dict)
    if enabled is True:
        return on
    if enabled is False:
        return off
    return st.one_of(on, off)


_default_stream_arns = stream_arns


# -- whole requests --------------------------------------------------------------------------


def create_signaling_channel_kwargs(
    *,
    names: SearchStrategy[str] | None = None,
    with_channel_type: bool | None = None,
    with_ttl: bool | None = None,
    with_tags: bool | None = None,
    max_tags: int = TAGS_PER_RESOURCE,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a valid ``create_signaling_channel`` call.

    ``ChannelName`` comes from ``names`` (default :func:`channel_names`); each
    ``with_*`` switch includes its member always (True), never (False) or
    either (None): ``ChannelType`` (``SINGLE_MASTER``, the only type kvsim
    creates), ``SingleMasterConfiguration`` (:func:`message_ttls`), ``Tags``
    (:func:`tag_lists` of up to ``max_tags`` entries).

    >>> create_signaling_channel_kwargs(with_tags=True, max_tags=0)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: create_signaling_channel_kwargs(): with_tags=True needs max_tags >= 1
    """
    where = "create_signaling_channel_kwargs()"
    _check_strategy(where, "names", names)
    for option, value in (
        ("with_channel_type", with_channel_type),
        ("with_ttl", with_ttl),
        ("with_tags", with_tags),
    ):
        _check_switch(where, option, value)
    _check_int(where, "max_tags", max_tags, 0, 10_000)
    if max_tags == 0:
        if with_tags:
            raise InvalidArgument(f"{where}: with_tags=True needs max_tags >= 1")
        with_tags = False
    return _optionally(
        {"ChannelName": channel_names() if names is None else names},
        {
            "ChannelType": (with_channel_type, st.just("SINGLE_MASTER")),
            "SingleMasterConfiguration": (with_ttl, _ttl_configurations()),
            "Tags": (with_tags, tag_lists(max_size=max(max_tags, 1))),
        },
    )


def _ttl_configurations() -> SearchStrategy[dict[str, int]]:
    return st.fixed_dictionaries({}, optional={"MessageTtlSeconds": message_ttls()})


def update_signaling_channel_kwargs(
    *,
    channel_arns: SearchStrategy[str] | None = None,
    current_versions: SearchStrategy[str] | None = None,
    with_ttl: bool | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a valid ``update_signaling_channel`` call: ``ChannelARN``
    from ``channel_arns`` (default :func:`channel_arns`), ``CurrentVersion`` from
    ``current_versions`` (default :func:`versions`) and, by ``with_ttl``, a
    ``SingleMasterConfiguration`` (which may omit ``MessageTtlSeconds``: the TTL is kept).

    >>> update_signaling_channel_kwargs(current_versions="abc")
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: update_signaling_channel_kwargs(): current_versions must be a hypothesis strategy, got 'abc'
    """
    where = "update_signaling_channel_kwargs()"
    _check_strategy(where, "channel_arns", channel_arns)
    _check_strategy(where, "current_versions", current_versions)
    _check_switch(where, "with_ttl", with_ttl)
    return _optionally(
        {
            "ChannelARN": _default_channel_arns() if channel_arns is None else channel_arns,
            "CurrentVersion": versions() if current_versions is None else current_versions,
        },
        {"SingleMasterConfiguration": (with_ttl, _ttl_configurations())},
    )


_default_channel_arns = channel_arns


def update_media_storage_configuration_kwargs(
    *,
    channel_arns: SearchStrategy[str] | None = None,
    stream_arns: SearchStrategy[str] | None = None,
    enabled: bool | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a valid ``update_media_storage_configuration`` call:
    ``ChannelARN`` from ``channel_arns`` and a :func:`media_storage_configurations`
    value (``stream_arns``, ``enabled`` as there).

    >>> from hypothesis import given, settings, strategies as st
    >>> @settings(max_examples=10, database=None)
    ... @given(update_media_storage_configuration_kwargs(enabled=False))
    ... def check(kwargs):
    ...     assert kwargs["MediaStorageConfiguration"] == {"Status": "DISABLED"}
    >>> check()
    """
    where = "update_media_storage_configuration_kwargs()"
    _check_strategy(where, "channel_arns", channel_arns)
    return st.fixed_dictionaries(
        {
            "ChannelARN": _default_channel_arns() if channel_arns is None else channel_arns,
            "MediaStorageConfiguration": media_storage_configurations(
                stream_arns=stream_arns, enabled=enabled
            ),
        }
    )
