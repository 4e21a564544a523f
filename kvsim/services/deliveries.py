"""What image generation and notifications deliver, recorded for tests to assert on.

kvsim simulates neither Amazon S3 nor Amazon SNS: what a stream's
``ImageGenerationConfiguration`` would put in S3 and what its
``NotificationConfiguration`` would publish to SNS is recorded in the world,
in delivery order (:class:`Deliveries`, read through
``Simulator.delivered_images`` and ``Simulator.notifications``).

kvsim rules (AWS's documented ones first):

- **Activation.** A configuration set by an update takes effect 1 minute
  (:data:`ACTIVATION_MS`) of virtual time later: fragments whose server
  timestamp is earlier deliver nothing under it. Every update that sets a
  configuration restarts the minute; removing it stops deliveries at once.
  Only ``ENABLED`` configurations deliver, and only for fragments the stream
  persists (retention above 0).
- **Images** come only from fragments tagged ``AWS_KINESISVIDEO_IMAGE_GENERATION``:
  one per ``SamplingInterval`` from the fragment's start (by the
  configuration's ``ImageSelectorType``) while inside the fragment, each the
  picture of the nearest keyframe at or before it (as GetImages); samples with
  no such keyframe, and fragments without H.264 video, give none. The S3 key
  is ``{ImagePrefix}_{AccountID}_{StreamName}_{ImageTimecode}_{RandomGUID}.{jpg|png}``
  (the prefix from the ``AWS_KINESISVIDEO_IMAGE_PREFIX`` tag, left out with
  its ``_`` when there is none; the timecode in epoch milliseconds; the GUID
  a version-4 UUID drawn from the world's seeded random source), under the
  path of the destination URI when it has one (``s3://bucket/path`` →
  ``path/{key}``). The object metadata is the fragment's other tags (those
  not named ``AWS_KINESISVIDEO_*``), then ``aws_kinesisvideo_fragment_number``,
  ``aws_kinesisvideo_producer_timestamp`` and ``aws_kinesisvideo_server_timestamp``
  (epoch milliseconds, as text). Pictures are rendered only when a test reads
  :attr:`DeliveredImage.content` (so ingestion stays fast and needs no PyAV);
  ``None`` there means the decoder refused the frame. A sample whose keyframe
  holds no coded slice (kvsim's generated filler frames) delivers nothing, as
  media that gives no picture would not.
- **Notifications** come only from fragments tagged ``AWS_KINESISVIDEO_NOTIFICATION``:
  subject ``Kinesis Video Streams Notification``, a JSON message with
  ``StreamArn``, ``FragmentNumber``, ``FragmentStartProducerTimestamp`` and
  ``FragmentStartServerTimestamp`` (epoch milliseconds, numbers),
  ``NotificationType`` ``"PERSISTED"`` and ``NotificationPayload`` (the
  fragment's other tags, an object).
- **When.** Both are delivered when the fragment is persisted (its server
  timestamp plus its duration: ``delivered_at``).
- **Snapshots.** The deliveries themselves are not part of snapshots: a
  restored or forked simulator starts with none. When each configuration
  takes effect is (the :data:`ACTIVATIONS` family), so a fork delivers what
  the original would.

>>> parse_uri("s3://bucket/some/path/"), parse_uri("s3://bucket")
(('bucket', 'some/path'), ('bucket', ''))
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Final

from ..core.clock import from_ms
from ..core.resources import (
    Corrupt,
    Item,
    Place,
    need_fields,
    need_list,
    need_one_of,
    need_str,
    need_time,
    shown,
)

if TYPE_CHECKING:
    from .fragments import FragmentStore
    from .state import Region, Stream
    from .world import World

__all__ = [
    "ACTIVATIONS",
    "ACTIVATION_MS",
    "IMAGE_GENERATION_TAG",
    "IMAGE_PREFIX_TAG",
    "NOTIFICATION_SUBJECT",
    "NOTIFICATION_TAG",
    "DeliveredImage",
    "Deliveries",
    "Notification",
    "configured",
    "deliver",
    "parse_uri",
]

#: How long a new configuration takes to take effect, in ms.
ACTIVATION_MS: Final = 60_000
IMAGE_GENERATION_TAG: Final = "AWS_KINESISVIDEO_IMAGE_GENERATION"
IMAGE_PREFIX_TAG: Final = "AWS_KINESISVIDEO_IMAGE_PREFIX"
NOTIFICATION_TAG: Final = "AWS_KINESISVIDEO_NOTIFICATION"
NOTIFICATION_SUBJECT: Final = "Kinesis Video Streams Notification"
_SERVICE_TAGS: Final = "AWS_KINESISVIDEO_"
_URI: Final = re.compile(r"^[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)$")
_EXTENSIONS: Final = {"JPEG": "jpg", "PNG": "png"}


def parse_uri(uri: str) -> tuple[str, str]:
    """``(bucket, path)`` of a destination URI (the model's pattern; path without
    slashes at its ends)."""
    found = _URI.match(uri)
    if found is None:
        return uri, ""
    return found[2], found[3].strip("/")


@dataclass(frozen=True, slots=True, eq=False)
class DeliveredImage:
    """One image image generation put in S3 (as kvsim records it; see the module)."""

    #: ``s3://{bucket}/{key}``.
    uri: str
    bucket: str
    key: str
    #: The S3 object metadata.
    metadata: Mapping[str, str]
    #: ``"JPEG"`` or ``"PNG"``.
    image_format: str
    #: The image's time (the sample), by the configuration's ``ImageSelectorType``.
    timestamp: datetime
    stream_arn: str
    stream_name: str
    fragment_number: str
    producer_timestamp: datetime
    server_timestamp: datetime
    delivered_at: datetime
    _source: tuple[Any, Sequence[Any], int | None, int | None, int] = field(repr=False)
    _cache: list[bytes | None] = field(default_factory=list, repr=False)

    @property
    def content(self) -> bytes | None:
        """The image's bytes, rendered on first access (PyAV needed: ImportError
        naming the extra without it); None when the frame gives no picture."""
        if not self._cache:
            from ..media.images import render_image

            header, frames, width, height, quality = self._source
            self._cache.append(
                render_image(
                    header,
                    frames,
                    image_format=self.image_format,
                    width=width,
                    height=height,
                    quality=quality,
                )
            )
        return self._cache[0]


@dataclass(frozen=True, slots=True)
class Notification:
    """One message the notification configuration published to SNS (see the module)."""

    #: The destination topic (the configuration's ``DestinationConfig.Uri``).
    topic_arn: str
    subject: str
    #: The JSON text of the message.
    message: str
    stream_arn: str
    stream_name: str
    fragment_number: str
    delivered_at: datetime

    @property
    def body(self) -> dict[str, Any]:
        """The message, parsed."""
        parsed: dict[str, Any] = json.loads(self.message)
        return parsed


class Deliveries:
    """The world's record of deliveries (not part of snapshots)."""

    __slots__ = ("images", "notifications")

    def __init__(self) -> None:
        #: ``(account, region, image)`` in delivery order.
        self.images: list[tuple[str, str, DeliveredImage]] = []
        #: ``(account, region, notification)`` in delivery order.
        self.notifications: list[tuple[str, str, Notification]] = []


def configured(world: World, stream: Stream, what: str, config: Mapping[str, Any] | None) -> None:
    """Note that ``stream``'s ``what`` (``"images"`` or ``"notifications"``)
    configuration was set (it takes effect in a minute) or removed. O(1)."""
    key = (stream.name, what)
    activations = stream.region.activations
    if config is None:
        activations.pop(key, None)
    else:
        activations[key] = world.now_ms + ACTIVATION_MS


def _active(world: World, stream: Stream, what: str, config: Any, server_ms: int) -> bool:
    if config is None or config.get("Status") != "ENABLED":
        return False
    since = stream.region.activations.get((stream.name, what))
    return since is None or server_ms >= since


def deliver(world: World, stream: Stream, store: FragmentStore, rows: range) -> None:
    """Record what the fragments at physical ``rows`` of ``stream``'s store deliver,
    just stored. O(1) when the stream has no configuration or the fragments no
    tags, else O(frames + images) per fragment."""
    if (stream.images is None and stream.notifications is None) or not stream.retention:
        return
    for row in rows:
        media = store.media[row]
        if media is None or not media[1].tags:
            continue
        tags = media[1].tags
        names = {name for name, _value in tags}
        server = store.server[row]
        if IMAGE_GENERATION_TAG in names and _active(
            world, stream, "images", stream.images, server
        ):
            _images(world, stream, store, row, tags)
        if NOTIFICATION_TAG in names and _active(
            world, stream, "notifications", stream.notifications, server
        ):
            _notify(world, stream, store, row, tags)


def _custom(tags: Sequence[tuple[str, str]]) -> dict[str, str]:
    return {name: value for name, value in tags if not name.startswith(_SERVICE_TAGS)}


def _images(
    world: World, stream: Stream, store: FragmentStore, row: int, tags: Sequence[tuple[str, str]]
) -> None:
    from .kinesis_video_archived_media.images import keyframe_at

    config = stream.images
    assert config is not None
    producer, server = store.producer[row], store.server[row]
    start = server if config["ImageSelectorType"] == "SERVER_TIMESTAMP" else producer
    duration = store.durations[row]
    interval = max(1, config["SamplingInterval"])
    header, cluster = store.media[row]
    prefix = next((value for name, value in tags if name == IMAGE_PREFIX_TAG), None)
    bucket, path = parse_uri(config["DestinationConfig"]["Uri"])
    image_format = config["Format"]
    quality = int((config.get("FormatConfig") or {}).get("JPEGQuality", "80"))
    number = store.number(store.seqs[row])
    metadata = _custom(tags) | {
        "aws_kinesisvideo_fragment_number": number,
        "aws_kinesisvideo_producer_timestamp": str(producer),
        "aws_kinesisvideo_server_timestamp": str(server),
    }
    account, region = stream.location
    delivered = from_ms(server + duration)
    for offset in range(0, max(duration, 1), interval):
        outcome, frame = keyframe_at((header, cluster), offset)
        if outcome != "ok":
            continue
        guid = uuid.UUID(int=world.rng.getrandbits(128), version=4)
        parts = [prefix] if prefix is not None else []
        parts += [account, stream.name, str(start + offset), str(guid)]
        name = "_".join(parts) + "." + _EXTENSIONS[image_format]
        key = f"{path}/{name}" if path else name
        source = (
            header,
            cluster.frames[frame : frame + 1],
            config.get("WidthPixels"),
            config.get("HeightPixels"),
            quality,
        )
        image = DeliveredImage(
            uri=f"s3://{bucket}/{key}",
            bucket=bucket,
            key=key,
            metadata=dict(metadata),
            image_format=image_format,
            timestamp=from_ms(start + offset),
            stream_arn=stream.arn,
            stream_name=stream.name,
            fragment_number=number,
            producer_timestamp=from_ms(producer),
            server_timestamp=from_ms(server),
            delivered_at=delivered,
            _source=source,
        )
        world.deliveries.images.append((account, region, image))


def _notify(
    world: World, stream: Stream, store: FragmentStore, row: int, tags: Sequence[tuple[str, str]]
) -> None:
    config = stream.notifications
    assert config is not None
    number = store.number(store.seqs[row])
    body = {
        "StreamArn": stream.arn,
        "FragmentNumber": number,
        "FragmentStartProducerTimestamp": store.producer[row],
        "FragmentStartServerTimestamp": store.server[row],
        "NotificationType": "PERSISTED",
        "NotificationPayload": _custom(tags),
    }
    account, region = stream.location
    notification = Notification(
        topic_arn=config["DestinationConfig"]["Uri"],
        subject=NOTIFICATION_SUBJECT,
        message=json.dumps(body),
        stream_arn=stream.arn,
        stream_name=stream.name,
        fragment_number=number,
        delivered_at=from_ms(store.server[row] + store.durations[row]),
    )
    world.deliveries.notifications.append((account, region, notification))


# -- snapshots ---------------------------------------------------------------------------------

_KINDS: Final = ("images", "notifications")
_CONFIGS: Final = {"images": "images", "notifications": "notifications"}
_STATUSES: Final = ("CREATING", "ACTIVE", "UPDATING", "DELETING")


class ActivationFamily:
    """When the configurations of a region's streams take (or took) effect, for
    snapshots: ``{"stream", "configuration", "effective_ms"}``, keyed ``stream/configuration``."""

    name = "activations"

    def dump(self, region: Region) -> list[dict[str, Any]]:
        """The activations of the configurations the streams hold, in key order."""
        items = []
        for (name, what), since in sorted(region.activations.items()):
            stream = region.streams.get(name)
            if stream is None or getattr(stream, _CONFIGS[what]) is None:
                continue  # a stale entry: the stream, or its configuration, is gone
            items.append({"stream": name, "configuration": what, "effective_ms": since})
        return items

    def check(self, items: object, place: Place) -> dict[str, Item]:
        """Refuse anything :meth:`dump` could not have written; the items by key."""
        checked: dict[str, Item] = {}
        for index, value in enumerate(need_list(items, place.where)):
            where = f"{place.where}[{index}]"
            data = need_fields(value, where, ("stream", "configuration", "effective_ms"))
            name = need_str(data["stream"], (where, "stream"))
            what = need_one_of(data["configuration"], (where, "configuration"), _KINDS)
            since = need_time(data["effective_ms"], (where, "effective_ms"))
            if since > place.now_ms + ACTIVATION_MS:
                raise Corrupt(
                    (where, "effective_ms"),
                    f"{since} is more than a minute after now_ms {place.now_ms}",
                )
            key = f"{name}/{what}"
            if key in checked:
                raise Corrupt(where, f"{shown(key)} appears twice")
            checked[key] = Item(where, None, {}, ("streams", name, _STATUSES))
        return checked

    def load(self, region: Region, items: list[Any]) -> None:
        """Restore the activations :meth:`dump` wrote."""
        for data in items:
            region.activations[(data["stream"], data["configuration"])] = data["effective_ms"]

    def key(self, resource: tuple[str, str]) -> str:
        """An activation's key: ``stream/configuration``."""
        return f"{resource[0]}/{resource[1]}"

    def find(self, region: Region, key: str) -> tuple[str, str]:
        """The activation ``key`` of ``region``."""
        name, _, what = key.rpartition("/")
        if (name, what) not in region.activations:
            raise KeyError(key)
        return name, what


#: The family of pending configuration activations.
ACTIVATIONS = ActivationFamily()
