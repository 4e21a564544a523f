"""The hypothesis state machine: pools, strategies, rules and invariants.

:class:`KinesisVideoStateMachine` drives all 32 ``kinesisvideo`` operations
(streams, channels, configurations), the hub device control and the clock through a :class:`~kvsim.testing.stateful.checked.CheckedClient`; the
package docstring (:mod:`kvsim.stateful`) shows how to run and extend it.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    MultipleResults,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)

from ...core.clock import to_ms
from ...core.kernel import ScheduledChange
from ...engine.simulator import Simulator
from ...model.errors import ClientError
from ...services.config import Limits, Timings
from .. import strategies as kvs
from .checked import CheckedClient
from .config_model import ExpectedEdge
from .media_rules import MediaRules
from .playback_rules import PlaybackRules
from .reference import (
    ACTIVE,
    API_NAMES,
    CREATING,
    DELETING,
    STREAM_RATED,
    THROTTLED,
    UPDATING,
    ReferenceModel,
)
from .signaling_rules import SignalingRules

__all__ = [
    "DEVICE_POOL",
    "LOW_RATES",
    "NAME_POOL",
    "TAG_KEY_POOL",
    "KinesisVideoStateMachine",
]

#: Names the rules draw from, small so that they collide (and differ only in case).
NAME_POOL = ("cam-1", "cam-2", "cam-10", "Cam-1", "door.cam", "lobby_cam")
#: Devices of the default machine (two streams each at most, by its limits).
DEVICE_POOL = ("dev-a", "dev-b")
#: Tag keys, few so that they overwrite each other and reach the tag limit.
TAG_KEY_POOL = ("env", "site", "owner", "ключ", "標籤", "a:b/c=d+e-f@g")
#: Request rates of the default machine: low enough to be reached by the rules.
LOW_RATES = {op: (5.0, 1.0) for op in sorted(STREAM_RATED)} | {
    "CreateStream": (5.0, None),
    "ListStreams": (50.0, None),
}
_STALE_VERSION = "STALE00000"
#: The hub devices of the edge rules.
HUB_POOL = (
    "arn:aws:iot:us-east-1:123456789012:thing/hub-1",
    "arn:aws:iot:us-east-1:123456789012:thing/hub-2",
)
_reachable = st.none() | st.booleans()

# The configurations the rules send come from small fixed pools (drawing whole
# configurations costs more than the calls; kvsim.strategies' generators are
# tested against the model and the simulator on their own).
_SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:cam"
_SCHEDULE = {"ScheduleExpression": "0 0/5 * * * ?", "DurationInSeconds": 300}
_EDGE_POOL = tuple(
    config
    for hub in HUB_POOL
    for config in (
        {
            "HubDeviceArn": hub,
            "RecorderConfig": {
                "MediaSourceConfig": {"MediaUriSecretArn": _SECRET, "MediaUriType": "RTSP_URI"}
            },
        },
        {
            "HubDeviceArn": hub,
            "RecorderConfig": {
                "MediaSourceConfig": {"MediaUriSecretArn": _SECRET, "MediaUriType": "FILE_URI"},
                "ScheduleConfig": _SCHEDULE,
            },
            "UploaderConfig": {"ScheduleConfig": _SCHEDULE},
            "DeletionConfig": {
                "EdgeRetentionInHours": 24,
                "LocalSizeConfig": {
                    "MaxLocalMediaSizeInMB": 64,
                    "StrategyOnFullSize": "DENY_NEW_MEDIA",
                },
                "DeleteAfterUpload": False,
            },
        },
    )
)
_edge_configs = st.sampled_from(_EDGE_POOL)
_IMAGE = {
    "Status": "ENABLED",
    "ImageSelectorType": "SERVER_TIMESTAMP",
    "DestinationConfig": {"Uri": "s3://cam-images/lobby", "DestinationRegion": "us-east-1"},
    "SamplingInterval": 200,
    "Format": "JPEG",
    "FormatConfig": {"JPEGQuality": "80"},
}
# Image configurations: valid ones; ones the reference's rules refuse (below 200 ms,
# another region, a JPEG quality past 100); and None (a removal).
_image_configs = st.one_of(
    st.none(),
    st.sampled_from(
        (
            _IMAGE,
            {**_IMAGE, "Status": "DISABLED", "SamplingInterval": 1000},
            {
                **{k: v for k, v in _IMAGE.items() if k != "FormatConfig"},
                "Format": "PNG",
                "WidthPixels": 640,
            },
        )
    ),
    st.sampled_from(
        (
            {**_IMAGE, "SamplingInterval": 199},
            {**_IMAGE, "DestinationConfig": {"Uri": "s3://b", "DestinationRegion": "eu-west-1"}},
            {**_IMAGE, "FormatConfig": {"JPEGQuality": "101"}},
        )
    ),
)
_notification_configs = st.none() | st.sampled_from(
    tuple(
        {"Status": status, "DestinationConfig": {"Uri": "arn:aws:sns:us-east-1:123456789012:cam"}}
        for status in ("ENABLED", "DISABLED")
    )
)
# The transition kvsim's pending change of a stream in each transient status shows.
_NEXT_STATUS = {CREATING: ACTIVE, UPDATING: ACTIVE, DELETING: "DELETED"}

_tag_keys = st.one_of(st.sampled_from(TAG_KEY_POOL), kvs.tag_keys(max_size=8))
_tags = kvs.tag_maps(max_size=4, keys=_tag_keys, values=kvs.tag_values(max_size=8))
_key_lists = st.lists(_tag_keys, min_size=1, max_size=3)
_versions = st.sampled_from(("current", "stale"))
# See KinesisVideoStateMachine.choose.
_picks = st.integers(0, 15) | st.none()
# How many of the keys a stream holds an untag rule adds to its drawn keys.
_held = st.integers(0, 3)
_retentions = st.one_of(st.sampled_from((0, 1, 24, 87_600, 87_601)), kvs.retention_hours())
_create_options = st.fixed_dictionaries(
    {},
    optional={
        "DeviceName": st.sampled_from(DEVICE_POOL),
        "MediaType": kvs.media_types(max_types=2),
        "KmsKeyId": kvs.kms_key_ids(arbitrary=False),
        "DataRetentionInHours": _retentions,
        "Tags": _tags,
        "StreamStorageConfiguration": st.fixed_dictionaries(
            {"DefaultStorageTier": st.sampled_from(("HOT", "WARM"))}
        ),
    },
)


class KinesisVideoStateMachine(MediaRules, PlaybackRules, SignalingRules, RuleBasedStateMachine):
    """Drive all 32 operations and the clock; check kvsim against a reference model.

    Attributes for subclasses: ``self.sim`` (the :class:`~kvsim.Simulator`),
    ``self.kv`` (a :class:`CheckedClient` of ``account_id``/``region_name``),
    ``self.model`` (the :class:`ReferenceModel`), and the bundles ``names``
    (candidate stream names), ``arns`` (ARNs CreateStream returned, live or
    not) and ``refs`` (both). Override :meth:`make_limits` and
    :meth:`make_timings` to change the world; the defaults use small quotas and
    low request rates so that every error path is reached in a short run.

    ``coverage`` (one :class:`collections.Counter` per subclass) counts
    ``ok:<Operation>``, ``error:<Code>``, ``status:<Status>`` (as seen in
    responses) and ``edge:<SyncStatus>`` (in responses, and in the world after
    each step) across all runs; :meth:`reset_coverage` empties it.

    Example (see the package docstring, :mod:`kvsim.stateful`, for a subclass with a rule
    of its own)::

        TestKinesisVideo = KinesisVideoStateMachine.TestCase
    """

    names: ClassVar[Bundle[str]] = Bundle("names")
    arns: ClassVar[Bundle[str]] = Bundle("arns")
    refs: ClassVar[Bundle[str]] = Bundle("refs")

    #: The simulator's seed.
    seed: ClassVar[int] = 0
    #: The account and region the machine (and its reference model) works in.
    account_id: ClassVar[str] = "123456789012"
    region_name: ClassVar[str] = "us-east-1"
    #: ``MaxResults`` of the ListStreams paging invariant.
    page_size: ClassVar[int] = 2
    #: Outcomes reached, per subclass.
    coverage: ClassVar[Counter[str]] = Counter()

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "coverage" not in cls.__dict__:
            cls.coverage = Counter()

    def __init__(self) -> None:
        super().__init__()
        limits, timings = self.make_limits(), self.make_timings()
        self.sim = Simulator(self.seed, limits=limits, timings=timings)
        self.model = ReferenceModel(self.account_id, self.region_name, limits, timings)
        #: Disagreements found so far (also raised where they happen).
        self.mismatches: list[str] = []
        raw = self.sim.client(
            "kinesisvideo", region_name=self.region_name, account_id=self.account_id
        )
        self.kv = CheckedClient(self, raw)
        self._region_cache: tuple[tuple[int, ...], dict[str, Any]] | None = None
        self._pending_cache: tuple[tuple[int, ...], list[ScheduledChange]] | None = None

    # -- hooks ----------------------------------------------------------------------------

    def make_limits(self) -> Limits:
        """The quotas of the simulated world (override to change them)."""
        return Limits(
            max_streams_per_account=6,
            max_tags_per_resource=5,
            max_streams_per_device=2,
            max_channels_per_account=2,
            max_viewers_per_channel=2,
            rates=LOW_RATES,
        )

    def make_timings(self) -> Timings:
        """The delays of the simulated world (override to change them)."""
        return Timings(
            create_delay=0.5,
            update_delay=0.5,
            delete_delay=0.5,
            channel_create_delay=0.5,
            channel_update_delay=0.5,
            channel_delete_delay=0.5,
            call_latency=0.025,
            edge_sync_delay=0.2,
            edge_delete_delay=0.2,
            edge_retry_window=1.5,
        )

    @classmethod
    def reset_coverage(cls) -> None:
        """Forget the outcomes counted so far for this class."""
        cls.coverage.clear()

    # -- helpers --------------------------------------------------------------------------

    def now_ms(self) -> int:
        """The virtual time in epoch milliseconds."""
        return self.sim.runtime.world.now_ms

    def record(self, outcome: str) -> None:
        """Count one outcome in :attr:`coverage`."""
        type(self).coverage[outcome] += 1

    def ref_args(self, ref: str) -> dict[str, str]:
        """``StreamName=`` or ``StreamARN=`` for a name or an ARN from ``refs``."""
        return {"StreamARN": ref} if ref.startswith("arn:") else {"StreamName": ref}

    def choose(self, ref: str, pick: int | None) -> str:
        """The name or ARN a rule acts on: ``ref`` (drawn from a bundle) when ``pick``
        is None or no stream is live, else the live stream ``pick % 8`` (in name
        order, wrapping), by name if ``pick < 8`` and by ARN otherwise.

        Bundles hold names never created and ARNs of deleted streams, which
        reach the not-found paths; ``pick`` makes the rules hit live streams
        often enough to reach the rest."""
        self.model.settle(self.now_ms())
        if pick is None or not self.model.streams:
            return ref
        live = sorted(self.model.streams)
        stream = self.model.streams[live[pick % 8 % len(live)]]
        return stream.arn if pick >= 8 else stream.name

    def choose_edge(self, ref: str, pick: int | None, *, configurable: bool = False) -> str:
        """As :meth:`choose`, among the streams with an edge configuration when
        ``pick`` is odd and there are some: the configuration rules' likely
        targets. With ``configurable``, among the ACTIVE streams instead: those
        that retain data when ``pick % 4 == 1``, those that retain none (where
        an enabled configuration is refused) when ``pick % 4 == 3``."""
        if pick is not None and pick % 2:
            self.model.settle(self.now_ms())
            streams = self.model.streams
            if configurable:
                retaining = pick % 4 == 1
                candidates = sorted(
                    n
                    for n, s in streams.items()
                    if s.status == ACTIVE and (s.retention > 0) == retaining
                )
            else:
                candidates = sorted(n for n, s in streams.items() if s.edge is not None)
            if candidates:
                stream = streams[candidates[pick // 4 % len(candidates)]]
                return stream.arn if pick >= 8 else stream.name
        return self.choose(ref, pick)

    def choose_arn(self, arn: str, pick: int | None) -> str:
        """As :meth:`choose`, always giving an ARN."""
        chosen = self.choose(arn, pick)
        stream = self.model.lookup(chosen)
        return stream.arn if stream is not None and pick is not None else chosen

    def held_keys(self, ref: str, count: int) -> list[str]:
        """Up to ``count`` of the keys the stream ``ref`` holds, in sorted order."""
        stream = self.model.lookup(ref)
        return sorted(stream.tags)[:count] if stream is not None else []

    def version_for(self, ref: str, choice: str) -> str:
        """The stream's current version (``"current"``) or one that is not (``"stale"``)."""
        stream = self.model.lookup(ref)
        if choice == "current" and stream is not None:
            return stream.version
        return _STALE_VERSION

    # -- rules: names and streams ---------------------------------------------------------

    @initialize(targets=(arns, refs), name=st.sampled_from(NAME_POOL), options=_create_options)
    def first_stream(self, name: str, options: dict[str, Any]) -> MultipleResults[str]:
        """Every run starts with one CreateStream, so the stream rules have a target
        (retaining a day of data unless ``options`` say otherwise, so that the
        configuration rules have one too)."""
        return self._create(name, {"DataRetentionInHours": 24, **options})

    @precondition(lambda self: len(self.bundle("names")) < 8)
    @rule(
        targets=(names, refs),
        name=st.one_of(st.sampled_from(NAME_POOL), kvs.stream_names(max_size=12)),
    )
    def new_name(self, name: str) -> str:
        """Add a candidate stream name (to ``names`` and ``refs``), up to eight of them."""
        return name

    @rule(targets=(arns, refs), name=names, options=_create_options)
    def create_stream(self, name: str, options: dict[str, Any]) -> MultipleResults[str]:
        """CreateStream with some optional members; its ARN joins ``arns`` and ``refs``."""
        return self._create(name, options)

    def _create(self, name: str, options: dict[str, Any]) -> MultipleResults[str]:
        try:
            arn = self.kv.create_stream(StreamName=name, **options)["StreamARN"]
        except ClientError:
            return multiple()
        return multiple(arn)

    @rule(ref=refs, pick=_picks)
    def describe_stream(self, ref: str, pick: int | None) -> None:
        """DescribeStream by name or ARN."""
        self._quietly(self.kv.describe_stream, **self.ref_args(self.choose(ref, pick)))

    @rule(name=names, arn=arns)
    def describe_stream_by_name_and_arn(self, name: str, arn: str) -> None:
        """DescribeStream with both members (InvalidArgument when they disagree)."""
        self._quietly(self.kv.describe_stream, StreamName=name, StreamARN=arn)

    @rule(name=names, cut=st.integers(0, 12), max_results=st.integers(1, 4))
    def list_streams(self, name: str, cut: int, max_results: int) -> None:
        """One ListStreams page, with a prefix cut from a known name (none when ``cut`` is 0)."""
        params: dict[str, Any] = {"MaxResults": max_results}
        if cut:
            params["StreamNameCondition"] = {
                "ComparisonOperator": "BEGINS_WITH",
                "ComparisonValue": name[:cut],
            }
        self._quietly(self.kv.list_streams, **params)

    @rule(
        ref=refs,
        pick=_picks,
        version=_versions,
        device=st.none() | st.sampled_from(DEVICE_POOL),
        media_type=st.none() | kvs.media_types(max_types=2),
    )
    def update_stream(
        self, ref: str, pick: int | None, version: str, device: str | None, media_type: str | None
    ) -> None:
        """UpdateStream with the current or a stale version."""
        ref = self.choose(ref, pick)
        params: dict[str, Any] = {"CurrentVersion": self.version_for(ref, version)}
        if device is not None:
            params["DeviceName"] = device
        if media_type is not None:
            params["MediaType"] = media_type
        self._quietly(self.kv.update_stream, **self.ref_args(ref), **params)

    @rule(
        ref=refs,
        pick=_picks,
        version=_versions,
        increase=st.booleans(),
        change=st.one_of(st.integers(1, 48), st.just(87_600)),
    )
    def update_data_retention(
        self, ref: str, pick: int | None, version: str, increase: bool, change: int
    ) -> None:
        """UpdateDataRetention up or down (InvalidArgument past 0 or the maximum)."""
        ref = self.choose(ref, pick)
        self._quietly(
            self.kv.update_data_retention,
            **self.ref_args(ref),
            CurrentVersion=self.version_for(ref, version),
            Operation="INCREASE_DATA_RETENTION" if increase else "DECREASE_DATA_RETENTION",
            DataRetentionChangeInHours=change,
        )

    @rule(arn=arns, pick=_picks, version=st.sampled_from(("current", "stale", "omitted")))
    def delete_stream(self, arn: str, pick: int | None, version: str) -> None:
        """DeleteStream by ARN, with or without ``CurrentVersion``."""
        arn = self.choose_arn(arn, pick)
        params: dict[str, Any] = {"StreamARN": arn}
        if version != "omitted":
            params["CurrentVersion"] = self.version_for(arn, version)
        self._quietly(self.kv.delete_stream, **params)

    @rule(ref=refs, pick=_picks, api_name=st.sampled_from(API_NAMES))
    def get_data_endpoint(self, ref: str, pick: int | None, api_name: str) -> None:
        """GetDataEndpoint (stable per stream and kind of API)."""
        ref = self.choose(ref, pick)
        self._quietly(self.kv.get_data_endpoint, **self.ref_args(ref), APIName=api_name)

    # -- rules: tags ----------------------------------------------------------------------

    @rule(ref=refs, pick=_picks, tags=_tags)
    def tag_stream(self, ref: str, pick: int | None, tags: dict[str, str]) -> None:
        """TagStream by name or ARN."""
        ref = self.choose(ref, pick)
        self._quietly(self.kv.tag_stream, **self.ref_args(ref), Tags=tags)

    @rule(ref=refs, pick=_picks, keys=_key_lists, held=_held)
    def untag_stream(self, ref: str, pick: int | None, keys: list[str], held: int) -> None:
        """UntagStream of some keys the stream holds and some it may not (those are ignored)."""
        ref = self.choose(ref, pick)
        keys = self.held_keys(ref, held) + keys
        self._quietly(self.kv.untag_stream, **self.ref_args(ref), TagKeyList=keys)

    @rule(ref=refs, pick=_picks)
    def list_tags_for_stream(self, ref: str, pick: int | None) -> None:
        """ListTagsForStream by name or ARN."""
        self._quietly(self.kv.list_tags_for_stream, **self.ref_args(self.choose(ref, pick)))

    @rule(arn=arns, pick=_picks, tags=_tags)
    def tag_resource(self, arn: str, pick: int | None, tags: dict[str, str]) -> None:
        """TagResource with a list of ``{Key, Value}``."""
        pairs = [{"Key": k, "Value": v} for k, v in tags.items()]
        self._quietly(self.kv.tag_resource, ResourceARN=self.choose_arn(arn, pick), Tags=pairs)

    @rule(arn=arns, pick=_picks, keys=_key_lists, held=_held)
    def untag_resource(self, arn: str, pick: int | None, keys: list[str], held: int) -> None:
        """UntagResource of some keys the stream holds and some it may not."""
        arn = self.choose_arn(arn, pick)
        keys = keys + self.held_keys(arn, held)
        self._quietly(self.kv.untag_resource, ResourceARN=arn, TagKeyList=keys)

    @rule(arn=arns, pick=_picks)
    def list_tags_for_resource(self, arn: str, pick: int | None) -> None:
        """ListTagsForResource."""
        self._quietly(self.kv.list_tags_for_resource, ResourceARN=self.choose_arn(arn, pick))

    # -- rules: storage -------------------------------------------------------------------

    @rule(ref=refs, pick=_picks)
    def describe_stream_storage_configuration(self, ref: str, pick: int | None) -> None:
        """DescribeStreamStorageConfiguration by name or ARN."""
        ref = self.choose(ref, pick)
        self._quietly(self.kv.describe_stream_storage_configuration, **self.ref_args(ref))

    @rule(ref=refs, pick=_picks, version=_versions, tier=st.sampled_from(("HOT", "WARM")))
    def update_stream_storage_configuration(
        self, ref: str, pick: int | None, version: str, tier: str
    ) -> None:
        """UpdateStreamStorageConfiguration with the current or a stale version."""
        ref = self.choose(ref, pick)
        self._quietly(
            self.kv.update_stream_storage_configuration,
            **self.ref_args(ref),
            CurrentVersion=self.version_for(ref, version),
            StreamStorageConfiguration={"DefaultStorageTier": tier},
        )

    # -- rules: image generation, notification and edge configurations -------------------

    @rule(
        ref=refs,
        pick=_picks,
        images=st.booleans(),
        image=_image_configs,
        notification=_notification_configs,
    )
    def update_configuration(
        self,
        ref: str,
        pick: int | None,
        images: bool,
        image: dict[str, Any] | None,
        notification: dict[str, Any] | None,
    ) -> None:
        """UpdateImageGenerationConfiguration (sometimes breaking the reference's
        rules) or UpdateNotificationConfiguration: set one, or remove it (None)."""
        ref = self.choose_edge(ref, pick, configurable=True)
        if images:
            params = {} if image is None else {"ImageGenerationConfiguration": image}
            self._quietly(
                self.kv.update_image_generation_configuration, **self.ref_args(ref), **params
            )
        else:
            params = {} if notification is None else {"NotificationConfiguration": notification}
            self._quietly(self.kv.update_notification_configuration, **self.ref_args(ref), **params)

    @rule(ref=refs, pick=_picks, which=st.sampled_from(("images", "notifications", "edge")))
    def describe_configuration(self, ref: str, pick: int | None, which: str) -> None:
        """DescribeImageGenerationConfiguration, DescribeNotificationConfiguration or
        DescribeEdgeConfiguration, by name or ARN."""
        describe = {
            "images": self.kv.describe_image_generation_configuration,
            "notifications": self.kv.describe_notification_configuration,
            "edge": self.kv.describe_edge_configuration,
        }[which]
        ref = self.choose_edge(ref, pick) if which == "edge" else self.choose(ref, pick)
        self._quietly(describe, **self.ref_args(ref))

    @rule(ref=refs, pick=_picks, config=_edge_configs, reachable=_reachable)
    def start_edge_configuration_update(
        self, ref: str, pick: int | None, config: dict[str, Any], reachable: bool | None
    ) -> None:
        """StartEdgeConfigurationUpdate for one of the hub devices of HUB_POOL (which
        ``reachable``, unless None, first makes reachable or not)."""
        ref = self.choose_edge(ref, None if pick is None else pick | 1, configurable=True)
        if reachable is not None:
            self.set_hub_device_online(config["HubDeviceArn"], reachable)
        self._quietly(
            self.kv.start_edge_configuration_update, **self.ref_args(ref), EdgeConfig=config
        )

    @rule(ref=refs, pick=_picks, reachable=_reachable)
    def delete_edge_configuration(self, ref: str, pick: int | None, reachable: bool | None) -> None:
        """DeleteEdgeConfiguration by name or ARN (its hub device first made reachable or
        not by ``reachable``, unless None)."""
        ref = self.choose_edge(ref, pick)
        stream = self.model.lookup(ref)
        if reachable is not None and stream is not None and stream.edge is not None:
            self.set_hub_device_online(stream.edge.hub, reachable)
        self._quietly(self.kv.delete_edge_configuration, **self.ref_args(ref))

    @rule(hub=st.sampled_from(HUB_POOL), max_results=st.none() | st.integers(1, 3))
    def list_edge_agent_configurations(self, hub: str, max_results: int | None) -> None:
        """Page through ListEdgeAgentConfigurations of one hub device."""
        params: dict[str, Any] = {"HubDeviceArn": hub}
        if max_results is not None:
            params["MaxResults"] = max_results
        for _page in range(10):
            try:
                page = self.kv.list_edge_agent_configurations(**params)
            except ClientError:
                return
            if "NextToken" not in page:
                return
            params["NextToken"] = page["NextToken"]

    @rule(hub=st.sampled_from(HUB_POOL), online=st.booleans())
    def set_hub_device_online(self, hub: str, online: bool) -> None:
        """Make a hub device reachable or not (``sim.set_hub_device_online``)."""
        self.sim.set_hub_device_online(
            hub, online, account_id=self.account_id, region_name=self.region_name
        )
        self.model.set_hub(hub, online, self.now_ms())

    @rule(
        ref=refs,
        pick=_picks,
        config=_edge_configs,
        sync_online=st.booleans(),
        delete_online=st.booleans(),
    )
    def edge_round_trip(
        self,
        ref: str,
        pick: int | None,
        config: dict[str, Any],
        sync_online: bool,
        delete_online: bool,
    ) -> None:
        """What an operator does: start an edge configuration (its hub device
        reachable or not), wait for the agent and describe it, delete it (the hub
        reachable or not), wait and describe again. Every call is checked."""
        ref = self.choose_edge(ref, None if pick is None else pick | 1, configurable=True)
        hub = config["HubDeviceArn"]
        self.set_hub_device_online(hub, sync_online)
        try:
            self.kv.start_edge_configuration_update(**self.ref_args(ref), EdgeConfig=config)
        except ClientError:
            return
        self.wait_for_edge_agents()
        self._quietly(self.kv.describe_edge_configuration, **self.ref_args(ref))
        self.sim.advance(1)  # the per-stream rate of DeleteEdgeConfiguration: 1 TPS
        self.set_hub_device_online(hub, delete_online)
        self._quietly(self.kv.delete_edge_configuration, **self.ref_args(ref))
        self.wait_for_edge_agents()
        self._quietly(self.kv.describe_edge_configuration, **self.ref_args(ref))

    @precondition(
        lambda self: any(
            s.edge is not None and s.edge.due_ms is not None for s in self.model.streams.values()
        )
    )
    @rule()
    def wait_for_edge_agents(self) -> None:
        """Let the virtual clock reach every pending edge configuration change."""
        due = [
            s.edge.due_ms
            for s in self.model.streams.values()
            if s.edge is not None and s.edge.due_ms is not None
        ]
        if due:
            self.sim.advance(max(max(due) - self.now_ms(), 0) / 1000)

    # -- rules: the clock -----------------------------------------------------------------

    @rule(ms=st.integers(0, 3_000))
    def advance_clock(self, ms: int) -> None:
        """Let up to 3 virtual seconds pass."""
        self.sim.advance(ms / 1000)

    @rule()
    def step_clock(self) -> None:
        """Jump to the next scheduled change and run it (only that one: another change
        due at the same instant stays queued until the next call or advance)."""
        self.sim.step()
        self.sim.runtime.check()

    def _quietly(self, method: Callable[..., Any], **params: Any) -> None:
        # The checked client already compared the outcome with the model.
        with contextlib.suppress(ClientError):
            method(**params)

    # -- invariants -----------------------------------------------------------------------

    @invariant()
    def no_mismatch_was_swallowed(self) -> None:
        """Every disagreement was raised; this catches any that user code swallowed."""
        assert not self.mismatches, self.mismatches

    @invariant()
    def world_invariants_hold(self) -> None:
        """kvsim's own consistency checks (indexes, device counts, queue)."""
        self.sim.runtime.check()

    def settle(self) -> int:
        """Run what is due now (as any call would first) and settle the model; the time."""
        self.sim.advance(0)
        now = self.now_ms()
        self.model.settle(now)
        return now

    @invariant()
    def reference_matches_simulator(self) -> None:
        """Every stream's status, settings, tags and pending change are as the model says."""
        self.settle()
        actual = self._dumped_streams()
        assert sorted(actual) == sorted(self.model.streams), (
            f"streams {sorted(actual)} != model {sorted(self.model.streams)}"
        )
        # A stream's own change and its edge configuration's share the stream's ARN.
        pending: dict[str, list[ScheduledChange]] = {}
        for scheduled in self._pending():
            pending.setdefault(scheduled.resource, []).append(scheduled)
        edges = self._dumped_edges()
        for name, expected in self.model.streams.items():
            got = actual[name]
            want = {
                "arn": expected.arn,
                "created_ms": expected.created_ms,
                "status": expected.status,
                "device": expected.device,
                "media_type": expected.media_type,
                "kms_key": expected.kms_key,
                "retention": expected.retention,
                "tags": expected.tags,
                "tier": expected.tier,
            }
            assert {k: got[k] for k in want} == want, f"{name}: {got} != model {want}"
            assert got.get("images") == expected.images, f"{name}: images {got.get('images')}"
            assert got.get("notifications") == expected.notifications, f"{name}: notifications"
            # (Fragment expiry and producers on the clock: the media rules check those.)
            changes = [
                c for c in pending.get(expected.arn, []) if not c.transition.startswith("STORED")
            ]
            own = [c for c in changes if _is_stream_change(c, expected.status)]
            self._check_edge(
                name, expected.edge, edges.get(name), [c for c in changes if c not in own]
            )
            change = own[0] if own else None
            assert len(own) <= 1, f"{name}: {own}"
            if expected.due_ms is None:
                assert change is None, f"{name} is ACTIVE but has {change}"
            else:
                assert change is not None, f"{name} is {expected.status} with nothing pending"
                assert to_ms(change.due) == expected.due_ms, f"{name}: {change} != {expected}"
                transition = f"{expected.status} -> {_NEXT_STATUS[expected.status]}"
                assert change.transition == transition, f"{name}: {change.transition}"

    @invariant()
    def versions_change_only_on_metadata_updates(self) -> None:
        """The model adopts a new version only at CreateStream and metadata updates."""
        for name, got in self._dumped_streams().items():
            expected = self.model.streams.get(name)
            if expected is not None:
                assert got["version"] == expected.version, (
                    f"{name}: version {got['version']} != model {expected.version}"
                )

    @invariant()
    def nothing_stays_transient_past_its_delay(self) -> None:
        """No stream is CREATING/UPDATING/DELETING once its delay has passed."""
        now = self.settle()
        for change in self._pending():
            assert to_ms(change.due) > now, f"{change} is overdue at {now}"
        delay = self.model.delays_ms[CREATING]
        for name, got in self._dumped_streams().items():
            if got["status"] == CREATING:
                assert got["created_ms"] + delay > now, f"{name} is still CREATING"

    @invariant()
    def list_streams_pages_match_live_streams(self) -> None:
        """Paging ListStreams with a small ``MaxResults`` lists exactly the live streams."""
        self.model.settle(self.now_ms())
        before = set(self.model.streams)
        seen: list[str] = []
        params: dict[str, Any] = {"MaxResults": self.page_size}
        for _attempt in range(1_000):
            try:
                page = self.kv.list_streams(**params)
            except ClientError as error:
                assert error.response["Error"]["Code"] == THROTTLED, error
                self.sim.advance(0.1)
                continue
            seen += [info["StreamName"] for info in page["StreamInfoList"]]
            if "NextToken" not in page:
                break
            params = {"MaxResults": self.page_size, "NextToken": page["NextToken"]}
        else:
            raise AssertionError("ListStreams paging did not finish")
        # Each page was checked against the model at its own virtual time. While
        # paging, deletions may complete but no stream can appear.
        self.model.settle(self.now_ms())
        after = set(self.model.streams)
        assert seen == sorted(seen), f"pages out of order: {seen}"
        assert len(seen) == len(set(seen)), f"a stream was listed twice: {seen}"
        assert after <= set(seen) <= before, f"listed {seen}; live before {before}, after {after}"

    def _check_edge(
        self,
        name: str,
        expected: ExpectedEdge | None,
        got: dict[str, Any] | None,
        changes: list[ScheduledChange],
    ) -> None:
        if expected is None:
            assert got is None and not changes, f"{name}: an edge configuration {got} {changes}"
            return
        assert got is not None, f"{name}: no edge configuration, the model has {expected}"
        self.record(f"edge:{got['status']}")
        want = {
            "hub_device_arn": expected.hub,
            "config": expected.config,
            "status": expected.status,
            "created_ms": expected.created_ms,
            "updated_ms": expected.updated_ms,
        }
        assert {k: got[k] for k in want} == want, f"{name}: edge {got} != model {want}"
        assert (got["failed"] is not None) == expected.failed, f"{name}: edge {got}"
        if expected.due_ms is None:
            assert not changes, f"{name}'s edge configuration is {expected.status} with {changes}"
            return
        assert len(changes) == 1, f"{name}'s edge configuration: {changes}"
        after = expected.next_status or "DELETED"
        assert changes[0].transition == f"{expected.status} -> {after}", changes[0]
        assert to_ms(changes[0].due) == expected.due_ms, f"{name}: {changes[0]} != {expected}"

    def _step_key(self) -> tuple[int, ...]:
        # Anything a step can change moves the call count, the clock or the queue.
        runtime = self.sim.runtime
        queue = runtime.world.queue
        return (runtime.calls, runtime.world.now_ms, len(queue.heap), queue.last_seq)

    def _pending(self) -> list[ScheduledChange]:
        # sim.pending(), once per state of the world (the invariants share it).
        key = self._step_key()
        cached = self._pending_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        pending = self.sim.pending()
        self._pending_cache = (key, pending)
        return pending

    def _dumped_region(self) -> dict[str, Any]:
        # The invariants after one step read the same world: dump it once.
        runtime = self.sim.runtime
        key = self._step_key()
        cached = self._region_cache
        if cached is not None and cached[0] == key:
            return cached[1]
        found = runtime.world.regions.get((self.account_id, self.region_name))
        region: dict[str, Any] = {} if found is None else found.dump()
        self._region_cache = (key, region)
        return region

    def _dumped_edges(self) -> dict[str, dict[str, Any]]:
        return {e["stream"]: e for e in self._dumped_region().get("edge_configurations", [])}

    def _dumped_streams(self) -> dict[str, dict[str, Any]]:
        return {s["name"]: s for s in self._dumped_region().get("streams", [])}


def _is_stream_change(change: ScheduledChange, status: str) -> bool:
    # A stream's own change starts from its status; its edge configuration's from
    # SYNCING or DELETING (a DELETING stream has no edge configuration left).
    before = change.transition.partition(" -> ")[0]
    return before == status and before in (CREATING, UPDATING, DELETING)
