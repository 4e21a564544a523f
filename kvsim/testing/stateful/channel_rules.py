"""The state machine's rules for signaling channels and media storage.

:class:`ChannelRules` is a mixin of
:class:`~kvsim.testing.stateful.machine.KinesisVideoStateMachine`: a rule per
channel and media storage operation, channel tagging, and an invariant that
compares every channel, its pending change and the media links with
``model.signaling`` (:mod:`~kvsim.testing.stateful.channel_model`) after each step.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import Bundle, MultipleResults, initialize, invariant, multiple, rule

from ...core.clock import to_ms
from ...core.ids import partition
from ...model.errors import ClientError
from .. import channel_strategies as kvch

if TYPE_CHECKING:
    from ...engine.simulator import Simulator
    from .checked import CheckedClient
    from .reference import ReferenceModel

__all__ = ["CHANNEL_POOL", "ChannelRules"]

#: Channel names the rules draw from, few so that they collide (and reach the quota).
CHANNEL_POOL = ("door", "gate", "Door", "yard.cam", "lobby_ch")
# Tag keys and values, few so that keys overwrite each other and reach the tag limit
# (cheap to draw: kvsim.strategies' own tests cover the whole alphabet).
_TAG_KEYS = st.sampled_from(("env", "site", "owner", "ключ", "標籤", "a:b/c=d", "k7"))
_TAG_LISTS = st.lists(
    st.fixed_dictionaries({"Key": _TAG_KEYS, "Value": st.sampled_from(("", "hq", "значение"))}),
    min_size=1,
    max_size=6,
)
_TTL = st.fixed_dictionaries({}, optional={"MessageTtlSeconds": kvch.message_ttls()})
_TTLS = st.none() | _TTL
_CREATE_OPTIONS = st.fixed_dictionaries(
    {},
    optional={
        # FULL_MESH: InvalidArgumentException (only SINGLE_MASTER is supported).
        "ChannelType": st.sampled_from(("SINGLE_MASTER", "SINGLE_MASTER", "FULL_MESH")),
        "SingleMasterConfiguration": _TTL,
        "Tags": _TAG_LISTS | st.just([]),
    },
)
# A live channel (stream) four times in five; None: the drawn ARN, often gone.
_PICKS = st.integers(0, 19).map(lambda i: i if i < 16 else None)
_VERSIONS = st.sampled_from(("current", "stale"))
_PROTOCOLS = st.none() | st.lists(
    st.sampled_from(("WSS", "HTTPS", "WEBRTC")), min_size=1, max_size=3
)
_PREFIXES = st.none() | st.sampled_from(("d", "D", "door", "g", "yard.", "x"))
_STALE = "STALE00000"
# The kinds of stream an UpdateMediaStorageConfiguration rule links (see stream_for).
_STREAM_KINDS = st.sampled_from(
    ("retaining", "retaining", "not retaining", "stored into", "any", "gone")
)


class ChannelRules:
    """Rules for the nine signaling channel and media storage operations (a mixin of
    :class:`~kvsim.testing.stateful.machine.KinesisVideoStateMachine`).

    ``channel_arns`` holds the ARNs CreateSignalingChannel returned (live or
    not); each rule's ``pick`` makes it act on a live channel (or stream) often
    enough to reach the status, version, quota and media storage rules.
    """

    channel_arns: ClassVar[Bundle[str]] = Bundle("channel_arns")

    if TYPE_CHECKING:  # provided by the machine
        sim: Simulator
        kv: CheckedClient
        model: ReferenceModel

        def record(self, outcome: str) -> None: ...

        def now_ms(self) -> int: ...

        def _dumped_region(self) -> dict[str, Any]: ...

    # -- choosing targets -------------------------------------------------------------------

    def choose_channel(self, arn: str, pick: int | None, *, by_name: bool = False) -> str:
        """``arn`` (drawn from ``channel_arns``) when ``pick`` is None or no channel is
        live, else the live channel ``pick`` (in name order, wrapping); its name with
        ``by_name``. An odd ``pick`` prefers the ACTIVE channels, if any."""
        signaling = self.model.signaling
        signaling.settle(self.now_ms())
        if pick is not None and signaling.channels:
            live = sorted(signaling.channels)
            if pick % 4 == 3:  # preferably one that stores media
                live = [n for n in live if signaling.channels[n].storage] or live
            if pick % 2:
                live = [n for n in live if signaling.channels[n].status == "ACTIVE"] or live
            channel = signaling.channels[live[pick % len(live)]]
            return channel.name if by_name else channel.arn
        if by_name:
            found = signaling.lookup(arn)
            return found.name if found is not None else arn.split("/")[1]
        return arn

    def choose_stream_arn(self, pick: int | None, *, linked: bool = False) -> str:
        """A stream ARN for media storage: with ``pick``, a live stream (when ``pick``
        is odd and there is one: with ``linked``, one a channel stores into, else an
        ACTIVE one that retains data; when it is even, preferably an ACTIVE one that
        does not), else one never created."""
        model = self.model
        model.settle(self.now_ms())
        if linked and pick is not None and pick % 2 and model.signaling.links:
            links = sorted(model.signaling.links)
            return links[pick // 2 % len(links)]
        if pick is not None and model.streams:
            names = sorted(model.streams)
            names = [
                n
                for n in names
                if model.streams[n].status == "ACTIVE"
                and bool(model.streams[n].retention) == bool(pick % 2)
            ] or names
            return model.streams[names[pick // 2 % len(names)]].arn
        region, account = model.region_name, model.account_id
        return f"arn:{partition(region)}:kinesisvideo:{region}:{account}:stream/gone/1"

    def wait_for(self, *refs: str) -> None:
        """Sleep as code polling for ACTIVE would: a second, or until the live channels
        and streams ``refs`` (ARNs) name have no change pending, whichever is later (a
        DELETING one is then gone; the request rates' buckets have refilled)."""
        now = self.now_ms()
        due = [now + 1000] + [
            found.due_ms
            for ref in refs
            if (found := self.model.signaling.lookup(ref) or self.model.lookup(ref)) is not None
            and found.due_ms is not None
        ]
        self.sim.advance((max(due) - now) / 1000)

    def channel_version(self, arn: str, choice: str | None) -> str | None:
        """The channel's current version, a stale one, or None (``choice`` None)."""
        if choice is None:
            return None
        channel = self.model.signaling.lookup(arn)
        return channel.version if choice == "current" and channel is not None else _STALE

    def _call(self, method: Any, **params: Any) -> str | None:
        # The checked client compared the outcome with the model; the error code, if any.
        try:
            method(**params)
        except ClientError as error:
            return str(error.response["Error"]["Code"])
        return None

    def _created(self, params: dict[str, Any]) -> MultipleResults[str]:
        try:
            arn = self.kv.create_signaling_channel(**params)["ChannelARN"]
        except ClientError:
            return multiple()
        return multiple(arn)

    # -- rules ------------------------------------------------------------------------------

    @initialize(target=channel_arns, name=st.sampled_from(CHANNEL_POOL))
    def first_channel(self, name: str) -> MultipleResults[str]:
        """Every run starts with one CreateSignalingChannel, so the channel rules have a target."""
        return self._created({"ChannelName": name})

    @rule(
        target=channel_arns,
        name=st.sampled_from(CHANNEL_POOL) | kvch.channel_names(max_size=6),
        options=_CREATE_OPTIONS,
    )
    def create_signaling_channel(self, name: str, options: dict[str, Any]) -> MultipleResults[str]:
        """CreateSignalingChannel with some optional members (a FULL_MESH type, too many
        tags or the quota make it fail); its ARN joins ``channel_arns``."""
        return self._created({"ChannelName": name, **options})

    @rule(arn=channel_arns, pick=_PICKS, by_name=st.booleans(), storage=st.booleans())
    def describe_signaling_channel(
        self, arn: str, pick: int | None, by_name: bool, storage: bool
    ) -> None:
        """DescribeSignalingChannel (or, with ``storage``, DescribeMediaStorageConfiguration)
        by name or ARN."""
        ref = self.choose_channel(arn, pick, by_name=by_name)
        method = (
            self.kv.describe_media_storage_configuration
            if storage
            else self.kv.describe_signaling_channel
        )
        self._call(method, **({"ChannelName": ref} if by_name else {"ChannelARN": ref}))

    @rule(max_results=st.none() | st.integers(1, 3), prefix=_PREFIXES)
    def list_signaling_channels(self, max_results: int | None, prefix: str | None) -> None:
        """Page through ListSignalingChannels (with a small MaxResults and a name prefix)."""
        params: dict[str, Any] = {}
        if max_results is not None:
            params["MaxResults"] = max_results
        if prefix is not None:
            params["ChannelNameCondition"] = {
                "ComparisonOperator": "BEGINS_WITH",
                "ComparisonValue": prefix,
            }
        for _page in range(10):
            try:
                page = self.kv.list_signaling_channels(**params)
            except ClientError:
                return
            if "NextToken" not in page:
                return
            params["NextToken"] = page["NextToken"]

    @rule(arn=channel_arns, pick=_PICKS, version=_VERSIONS, ttl=_TTLS, wait=st.booleans())
    def update_signaling_channel(
        self, arn: str, pick: int | None, version: str, ttl: dict[str, int] | None, wait: bool
    ) -> None:
        """UpdateSignalingChannel with the current or a stale version (``wait``: once the
        channel's pending change has happened)."""
        arn = self.choose_channel(arn, pick)
        if wait:
            self.wait_for(arn)
        params: dict[str, Any] = {
            "ChannelARN": arn,
            "CurrentVersion": self.channel_version(arn, version),
        }
        if ttl is not None:
            params["SingleMasterConfiguration"] = ttl
        self._call(self.kv.update_signaling_channel, **params)

    @rule(arn=channel_arns, pick=_PICKS, version=st.none() | _VERSIONS)
    def delete_signaling_channel(self, arn: str, pick: int | None, version: str | None) -> None:
        """DeleteSignalingChannel, with no, the current or a stale version."""
        arn = self.choose_channel(arn, pick)
        params: dict[str, Any] = {"ChannelARN": arn}
        current = self.channel_version(arn, version)
        if current is not None:
            params["CurrentVersion"] = current
        self._call(self.kv.delete_signaling_channel, **params)

    @rule(pick=_PICKS, version=st.none() | _VERSIONS)
    def delete_a_stored_into_stream(self, pick: int | None, version: str | None) -> None:
        """DeleteStream of a stream a channel stores media into (the link goes with it)."""
        links = sorted(self.model.signaling.links)
        if not links:
            return
        arn = links[(pick or 0) % len(links)]
        stream = self.model.lookup(arn)
        params: dict[str, Any] = {"StreamARN": arn}
        if version is not None and stream is not None:
            params["CurrentVersion"] = stream.version if version == "current" else _STALE
        self._call(self.kv.delete_stream, **params)

    @rule(
        arn=channel_arns,
        pick=_PICKS,
        protocols=_PROTOCOLS,
        role=st.none() | st.sampled_from(("MASTER", "VIEWER")),
    )
    def get_signaling_channel_endpoint(
        self, arn: str, pick: int | None, protocols: list[str] | None, role: str | None
    ) -> None:
        """GetSignalingChannelEndpoint (WEBRTC needs media storage ENABLED)."""
        configuration: dict[str, Any] = {}
        if protocols is not None:
            configuration["Protocols"] = protocols
        if role is not None:
            configuration["Role"] = role
        params: dict[str, Any] = {"ChannelARN": self.choose_channel(arn, pick)}
        if configuration:
            params["SingleMasterChannelEndpointConfiguration"] = configuration
        self._call(self.kv.get_signaling_channel_endpoint, **params)

    @rule(
        arn=channel_arns,
        pick=_PICKS,
        kind=_STREAM_KINDS,
        status=st.sampled_from(("ENABLED", "ENABLED", "DISABLED")),
        with_stream=st.booleans(),
        wait=st.booleans(),
    )
    def update_media_storage_configuration(
        self,
        arn: str,
        pick: int | None,
        kind: str,
        status: str,
        with_stream: bool,
        wait: bool,
    ) -> None:
        """UpdateMediaStorageConfiguration: ENABLED into a stream of the ``kind``
        (see :meth:`stream_for`), or DISABLED (``with_stream``: naming that stream, or
        the linked one when ``pick`` is odd); ``wait``: first let the channel's and the
        stream's pending changes happen, as code polling for ACTIVE would."""
        arn = self.choose_channel(arn, pick)
        signaling = self.model.signaling
        channel = signaling.lookup(arn)
        if (
            kind == "not retaining"
            and wait
            and not any(
                s.retention == 0 and s.status != "DELETING" for s in self.model.streams.values()
            )
        ):
            # A stream that keeps no data, for NoDataRetentionException.
            self._call(self.kv.create_stream, StreamName="no-retention")
        stream = self.stream_for(kind, channel.name if channel else None, pick)
        if wait:
            self.wait_for(arn, stream)
            channel = signaling.lookup(arn)
        configuration = {"Status": status}
        if status == "DISABLED" and channel is not None and channel.storage and pick and pick % 2:
            stream = channel.storage
        if with_stream or status == "ENABLED":
            configuration["StreamARN"] = stream
        holder = signaling.links.get(stream)
        code = self._call(
            self.kv.update_media_storage_configuration,
            ChannelARN=arn,
            MediaStorageConfiguration=configuration,
        )
        if (
            code == "ResourceInUseException"
            and holder is not None
            and channel is not None
            and holder != channel.name
            and channel.status == "ACTIVE"
        ):
            self.record("storage:ResourceInUseException:stored-by-another-channel")

    def stream_for(self, kind: str, channel: str | None, pick: int | None) -> str:
        """The ARN of a live stream of the ``kind`` (``retaining`` data, ``not
        retaining``, ``stored into`` by a channel other than ``channel``, ``any``) not
        being deleted, chosen by ``pick``; one never created for ``gone`` or when
        there is none."""
        model = self.model
        model.settle(self.now_ms())
        live = {n: s for n, s in model.streams.items() if s.status != "DELETING"}
        if kind == "stored into":
            found = sorted(a for a, n in model.signaling.links.items() if n != channel)
        else:
            found = sorted(
                s.arn
                for s in live.values()
                if kind == "any" or bool(s.retention) == (kind == "retaining")
            )
        found = found or sorted(s.arn for s in live.values())
        if kind == "gone" or not found:
            region, account = model.region_name, model.account_id
            return f"arn:{partition(region)}:kinesisvideo:{region}:{account}:stream/gone/1"
        return found[(pick or 0) % len(found)]

    @rule(pick=_PICKS, by_name=st.booleans())
    def describe_mapped_resource_configuration(self, pick: int | None, by_name: bool) -> None:
        """DescribeMappedResourceConfiguration of a live stream or one never created."""
        arn = self.choose_stream_arn(pick, linked=True)
        stream = self.model.lookup(arn)
        if by_name:
            ref = {"StreamName": stream.name if stream is not None else "gone"}
        else:
            ref = {"StreamARN": arn}
        self._call(self.kv.describe_mapped_resource_configuration, **ref)

    @rule(
        arn=channel_arns,
        pick=_PICKS,
        operation=st.sampled_from(("TagResource", "UntagResource", "ListTagsForResource")),
        tags=_TAG_LISTS,
    )
    def tag_signaling_channel(
        self, arn: str, pick: int | None, operation: str, tags: list[dict[str, str]]
    ) -> None:
        """TagResource, UntagResource or ListTagsForResource with a channel's ARN."""
        arn = self.choose_channel(arn, pick)
        if operation == "TagResource":
            self._call(self.kv.tag_resource, ResourceARN=arn, Tags=tags)
        elif operation == "UntagResource":
            channel = self.model.signaling.lookup(arn)
            held = sorted(channel.tags)[:2] if channel is not None else []
            keys = [t["Key"] for t in tags[:2]] + held
            self._call(self.kv.untag_resource, ResourceARN=arn, TagKeyList=keys)
        else:
            self._call(self.kv.list_tags_for_resource, ResourceARN=arn)

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def channels_match_model(self) -> None:
        """Every channel's status, version, TTL, tags, media link and pending change are
        as ``model.signaling`` says; its link events are counted in ``coverage``."""
        self.sim.advance(0)
        now = self.now_ms()
        signaling = self.model.signaling
        signaling.settle(now)
        for event, count in signaling.events.items():
            for _ in range(count):
                self.record(event)
        signaling.events.clear()
        dumped = self._dumped_region().get("channels", [])
        if not dumped and not signaling.channels:
            return
        pending: dict[str, list[tuple[int, str]]] = {}
        for change in self.sim.pending():
            if ":channel/" in change.resource:
                pending.setdefault(change.resource, []).append(
                    (to_ms(change.due), change.transition)
                )
        problems = signaling.mismatches(dumped, pending)
        assert not problems, problems
