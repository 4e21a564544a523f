"""Hypothesis strategies for a stream's configurations: image generation,
notifications and the edge configuration (re-exported by :mod:`kvsim.strategies`).

Every value satisfies the model and the API reference's stricter rules (a
sampling interval of at least 200 ms, JPEG quality 1–100 for JPEG only, the
destination region equal to the stream's).

>>> import kvsim
>>> from hypothesis import given, settings
>>> @settings(max_examples=10, database=None, deadline=None)
... @given(kwargs=update_image_generation_configuration_kwargs(names=st.just("cam")))
... def check(kwargs):
...     sim = kvsim.Simulator()
...     kv = sim.client()
...     kv.create_stream(StreamName="cam", DataRetentionInHours=1)
...     sim.run_until_idle()
...     kv.update_image_generation_configuration(**kwargs)
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
from ..services.configs_state import JPEG_QUALITY, MIN_SAMPLING_INTERVAL_MS
from .strategies import stream_names

__all__ = [
    "edge_configs",
    "hub_device_arns",
    "image_generation_configurations",
    "notification_configurations",
    "start_edge_configuration_update_kwargs",
    "update_image_generation_configuration_kwargs",
    "update_notification_configuration_kwargs",
]

_SHAPES = service_spec("kinesisvideo").shapes
_THING_CHARACTERS = string.ascii_letters + string.digits + "_.-"
_BUCKET_CHARACTERS = string.ascii_lowercase + string.digits + "-"
# Quartz cron expressions of 11–100 characters (the model's only check).
_SCHEDULES = ("0 0/5 * * * ?", "0 0 * * * ?", "0 0 12 * * ?", "0 15 10 ? * MON-FRI")


def _check_place(where: str, account_id: object, region_name: object) -> None:
    if not isinstance(account_id, str) or not is_account_id(account_id):
        raise InvalidArgument(f"{where}: account_id must be 12 digits, got {account_id!r}")
    if not isinstance(region_name, str) or not is_region_name(region_name):
        raise InvalidArgument(
            f"{where}: region_name must look like 'us-east-1', got {region_name!r}"
        )


def _check_names(where: str, names: object) -> None:
    if names is not None and not isinstance(names, SearchStrategy):
        raise InvalidArgument(f"{where}: names must be a hypothesis strategy, got {names!r}")


def _check_optional_bool(where: str, name: str, value: object) -> None:
    if value is not None and not isinstance(value, bool):
        raise InvalidArgument(f"{where}: {name} must be True, False or None, got {value!r}")


def hub_device_arns(
    *, account_id: str = "123456789012", region_name: str = "us-east-1", max_name_size: int = 24
) -> SearchStrategy[str]:
    """Valid ``HubDeviceArn`` values: IoT thing ARNs of one account and region.

    >>> hub_device_arns(max_name_size=0)
    Traceback (most recent call last):
    ...
    hypothesis.errors.InvalidArgument: hub_device_arns(): max_name_size must be between 1 and 128, got 0
    """
    where = "hub_device_arns()"
    _check_place(where, account_id, region_name)
    if isinstance(max_name_size, bool) or not isinstance(max_name_size, int):
        raise InvalidArgument(f"{where}: max_name_size must be an int, got {max_name_size!r}")
    if not 1 <= max_name_size <= 128:
        raise InvalidArgument(
            f"{where}: max_name_size must be between 1 and 128, got {max_name_size!r}"
        )
    prefix = f"arn:{partition(region_name)}:iot:{region_name}:{account_id}:thing/"
    return st.text(_THING_CHARACTERS, min_size=1, max_size=max_name_size).map(
        lambda name: prefix + name
    )


_any_hub_device_arns = hub_device_arns


def _statuses(enabled: bool | None) -> SearchStrategy[str]:
    if enabled is None:
        return st.sampled_from(["ENABLED", "DISABLED"])
    return st.just("ENABLED" if enabled else "DISABLED")


def image_generation_configurations(
    *, region_name: str = "us-east-1", enabled: bool | None = None
) -> SearchStrategy[dict[str, Any]]:
    """Valid ``ImageGenerationConfiguration`` values for a stream of ``region_name``;
    ``enabled`` fixes ``Status`` (None: either)."""
    where = "image_generation_configurations()"
    _check_place(where, "123456789012", region_name)
    _check_optional_bool(where, "enabled", enabled)
    uris = st.builds(
        lambda bucket, prefix: f"s3://{bucket}" + (f"/{prefix}" if prefix else ""),
        st.text(_BUCKET_CHARACTERS, min_size=3, max_size=20).map(lambda b: f"b{b}"),
        st.text(string.ascii_letters + string.digits + "/_-", max_size=20),
    )

    def build(fmt: str, quality: int | None, base: dict[str, Any]) -> dict[str, Any]:
        config = {**base, "Format": fmt}
        if fmt == "JPEG" and quality is not None:
            config["FormatConfig"] = {"JPEGQuality": str(quality)}
        return config

    base = st.fixed_dictionaries(
        {
            "Status": _statuses(enabled),
            "ImageSelectorType": st.sampled_from(["SERVER_TIMESTAMP", "PRODUCER_TIMESTAMP"]),
            "DestinationConfig": st.fixed_dictionaries(
                {"Uri": uris, "DestinationRegion": st.just(region_name)}
            ),
            "SamplingInterval": st.integers(MIN_SAMPLING_INTERVAL_MS, 20_000),
        },
        optional={
            "WidthPixels": st.integers(1, _SHAPES["WidthPixels"]["max"]),
            "HeightPixels": st.integers(1, _SHAPES["HeightPixels"]["max"]),
        },
    )
    return st.builds(
        build,
        st.sampled_from(["JPEG", "PNG"]),
        st.one_of(st.none(), st.integers(*JPEG_QUALITY)),
        base,
    )


def notification_configurations(*, enabled: bool | None = None) -> SearchStrategy[dict[str, Any]]:
    """Valid ``NotificationConfiguration`` values (SNS topic ARNs as URIs)."""
    _check_optional_bool("notification_configurations()", "enabled", enabled)
    topics = st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=40)
    return st.fixed_dictionaries(
        {
            "Status": _statuses(enabled),
            "DestinationConfig": st.fixed_dictionaries(
                {"Uri": topics.map(lambda t: f"arn:aws:sns:us-east-1:123456789012:{t}")}
            ),
        }
    )


def _schedules() -> SearchStrategy[dict[str, Any]]:
    return st.fixed_dictionaries(
        {
            "ScheduleExpression": st.sampled_from(_SCHEDULES),
            "DurationInSeconds": st.integers(60, 3600),
        }
    )


def edge_configs(
    *, hub_device_arns: SearchStrategy[str] | None = None
) -> SearchStrategy[dict[str, Any]]:
    """Valid ``EdgeConfig`` values; ``HubDeviceArn`` from ``hub_device_arns``
    (default: :func:`hub_device_arns`)."""
    _check_names("edge_configs()", hub_device_arns)
    hubs = hub_device_arns if hub_device_arns is not None else _any_hub_device_arns()
    secrets = st.text(_THING_CHARACTERS, min_size=1, max_size=20).map(
        lambda s: f"arn:aws:secretsmanager:us-east-1:123456789012:secret:{s}"
    )
    recorder = st.fixed_dictionaries(
        {
            "MediaSourceConfig": st.fixed_dictionaries(
                {
                    "MediaUriSecretArn": secrets,
                    "MediaUriType": st.sampled_from(["RTSP_URI", "FILE_URI"]),
                }
            )
        },
        optional={"ScheduleConfig": _schedules()},
    )
    deletion = st.fixed_dictionaries(
        {},
        optional={
            "EdgeRetentionInHours": st.integers(1, 720),
            "LocalSizeConfig": st.fixed_dictionaries(
                {},
                optional={
                    "MaxLocalMediaSizeInMB": st.integers(64, 2_000_000),
                    "StrategyOnFullSize": st.sampled_from(
                        ["DELETE_OLDEST_MEDIA", "DENY_NEW_MEDIA"]
                    ),
                },
            ),
            "DeleteAfterUpload": st.booleans(),
        },
    )
    return st.fixed_dictionaries(
        {"HubDeviceArn": hubs, "RecorderConfig": recorder},
        optional={
            "UploaderConfig": st.fixed_dictionaries({"ScheduleConfig": _schedules()}),
            "DeletionConfig": deletion,
        },
    )


def _named(where: str, names: SearchStrategy[str] | None) -> SearchStrategy[dict[str, Any]]:
    _check_names(where, names)
    return st.builds(lambda n: {"StreamName": n}, stream_names() if names is None else names)


def update_image_generation_configuration_kwargs(
    *,
    names: SearchStrategy[str] | None = None,
    region_name: str = "us-east-1",
    enabled: bool | None = None,
    with_configuration: bool | None = True,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a valid ``update_image_generation_configuration`` call
    (``with_configuration=False``: a removal; None: either)."""
    where = "update_image_generation_configuration_kwargs()"
    _check_optional_bool(where, "with_configuration", with_configuration)
    configs = image_generation_configurations(region_name=region_name, enabled=enabled)
    return _with(_named(where, names), "ImageGenerationConfiguration", configs, with_configuration)


def update_notification_configuration_kwargs(
    *,
    names: SearchStrategy[str] | None = None,
    enabled: bool | None = None,
    with_configuration: bool | None = True,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a valid ``update_notification_configuration`` call."""
    where = "update_notification_configuration_kwargs()"
    _check_optional_bool(where, "with_configuration", with_configuration)
    configs = notification_configurations(enabled=enabled)
    return _with(_named(where, names), "NotificationConfiguration", configs, with_configuration)


def start_edge_configuration_update_kwargs(
    *,
    names: SearchStrategy[str] | None = None,
    hub_device_arns: SearchStrategy[str] | None = None,
) -> SearchStrategy[dict[str, Any]]:
    """Keyword arguments of a valid ``start_edge_configuration_update`` call."""
    where = "start_edge_configuration_update_kwargs()"
    return st.builds(
        lambda named, config: {**named, "EdgeConfig": config},
        _named(where, names),
        edge_configs(hub_device_arns=hub_device_arns),
    )


def _with(
    named: SearchStrategy[dict[str, Any]],
    member: str,
    configs: SearchStrategy[dict[str, Any]],
    switch: bool | None,
) -> SearchStrategy[dict[str, Any]]:
    with_config = st.builds(lambda n, c: {**n, member: c}, named, configs)
    if switch is True:
        return with_config
    if switch is False:
        return named
    return st.one_of(with_config, named)
