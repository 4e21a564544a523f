"""Image generation and notifications come alive (issue 13 §5): tagged fragments of a
stream with an ENABLED configuration deliver images and messages, recorded in the
simulator (kvsim simulates neither S3 nor SNS)."""

from __future__ import annotations

import functools
import json
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

import kvsim
from kvsim.media.mkv import read_mkv, write_mkv
from kvsim.media.testvideo import h264_test_video

av = pytest.importorskip("av")

PRODUCER = datetime(2025, 6, 1, tzinfo=UTC)
PRODUCER_MS = int(PRODUCER.timestamp() * 1000)
TOPIC = "arn:aws:sns:us-east-1:123456789012:cam-events"
IMAGES = {
    "Status": "ENABLED",
    "ImageSelectorType": "PRODUCER_TIMESTAMP",
    "DestinationConfig": {"Uri": "s3://thumbs/cam/", "DestinationRegion": "us-east-1"},
    "SamplingInterval": 500,
    "Format": "JPEG",
    "WidthPixels": 80,
}
NOTIFICATIONS = {"Status": "ENABLED", "DestinationConfig": {"Uri": TOPIC}}
ALL_TAGS = [
    ("AWS_KINESISVIDEO_IMAGE_GENERATION", ""),
    ("AWS_KINESISVIDEO_IMAGE_PREFIX", "front"),
    ("AWS_KINESISVIDEO_NOTIFICATION", ""),
    ("site", "gate-3"),
]


@functools.cache
def clips() -> tuple[Any, Any]:
    return read_mkv(h264_test_video(duration=3.0, width=160, height=90))


def tagged(*tags: Any) -> bytes:
    """The 3 s video, fragment ``i`` carrying ``tags[i]``."""
    header, clusters = clips()
    return b"".join(write_mkv(header, list(zip(clusters, tags, strict=True))))


def world(
    images: dict[str, Any] | None = IMAGES,
    notifications: dict[str, Any] | None = NOTIFICATIONS,
    wait: float = 60,
) -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=11, timings=kvsim.Timings(call_latency=0))
    kv = sim.client()
    kv.create_stream(StreamName="cam", DataRetentionInHours=24)
    sim.advance(10)
    if images is not None:
        kv.update_image_generation_configuration(
            StreamName="cam", ImageGenerationConfiguration=images
        )
    if notifications is not None:
        kv.update_notification_configuration(
            StreamName="cam", NotificationConfiguration=notifications
        )
    sim.advance(wait)
    return sim


def put(sim: kvsim.Simulator, data: bytes) -> list[str]:
    acks = sim.put_media("cam", data, timecode_type="RELATIVE", producer_start=PRODUCER)
    persisted = [a["FragmentNumber"] for a in acks if a["EventType"] == "PERSISTED"]
    assert len(persisted) == len([a for a in acks if a["EventType"] == "BUFFERING"])
    return persisted


def test_tagged_fragments_deliver_images_with_the_documented_keys_and_metadata() -> None:
    sim = world()
    server = sim.now
    numbers = put(sim, tagged(ALL_TAGS, (), ALL_TAGS))
    images = sim.delivered_images("cam")
    # Two samples (0 and 500 ms) in each tagged fragment of 1 s.
    assert [i.timestamp for i in images] == [
        PRODUCER,
        PRODUCER + timedelta(milliseconds=500),
        PRODUCER + timedelta(seconds=2),
        PRODUCER + timedelta(milliseconds=2500),
    ]
    key = re.compile(
        r"cam/front_123456789012_cam_(\d+)_"
        r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}\.jpg"
    )
    for image in images:
        found = key.fullmatch(image.key)
        assert found is not None, image.key
        assert int(found[1]) == int(image.timestamp.timestamp() * 1000)
        assert (image.bucket, image.uri) == ("thumbs", f"s3://thumbs/{image.key}")
        assert image.image_format == "JPEG"
    assert len({i.key for i in images}) == 4
    first = images[0]
    assert first.metadata == {
        "site": "gate-3",
        "aws_kinesisvideo_fragment_number": numbers[0],
        "aws_kinesisvideo_producer_timestamp": str(PRODUCER_MS),
        "aws_kinesisvideo_server_timestamp": str(int(server.timestamp() * 1000)),
    }
    assert (first.fragment_number, first.stream_name) == (numbers[0], "cam")
    assert first.stream_arn.startswith("arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/")
    assert (first.producer_timestamp, first.server_timestamp) == (PRODUCER, server)
    assert first.delivered_at == server + timedelta(seconds=1)  # once persisted
    assert images[2].fragment_number == numbers[2]
    # The same seed and calls: the same keys (GUIDs from the seeded random source).
    again = world()
    put(again, tagged(ALL_TAGS, (), ALL_TAGS))
    assert [i.key for i in again.delivered_images()] == [i.key for i in images]


def test_content_is_the_keyframe_rendered_on_demand() -> None:
    config = {k: v for k, v in IMAGES.items() if k != "WidthPixels"}
    sim = world(images=config | {"Format": "PNG", "HeightPixels": 30})
    put(sim, tagged(ALL_TAGS, ALL_TAGS, ()))
    images = sim.delivered_images()
    assert [i.key.endswith(".png") for i in images] == [True] * 4
    contents = [i.content for i in images]
    assert contents[0] == contents[1] != contents[2]  # 500 ms in: still the keyframe
    for content in contents:
        assert content is not None and content[:4] == b"\x89PNG"
        (picture,) = av.CodecContext.create("png", "r").decode(av.Packet(content))
        assert (picture.width, picture.height) == (53, 30)
    assert images[0].content is contents[0]  # rendered once


def test_notifications_carry_the_documented_message() -> None:
    sim = world(images=None)
    server = sim.now
    numbers = put(sim, tagged((), ALL_TAGS, [("AWS_KINESISVIDEO_NOTIFICATION", "")]))
    notes = sim.notifications("cam")
    assert len(notes) == 2
    note = notes[0]
    assert note.topic_arn == TOPIC
    assert note.subject == "Kinesis Video Streams Notification"
    arn = sim.client().describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"]
    assert (
        json.loads(note.message)
        == note.body
        == {
            "StreamArn": arn,
            "FragmentNumber": numbers[1],
            "FragmentStartProducerTimestamp": PRODUCER_MS + 1000,
            "FragmentStartServerTimestamp": int(server.timestamp() * 1000) + 1000,
            "NotificationType": "PERSISTED",
            "NotificationPayload": {"site": "gate-3"},
        }
    )
    assert list(note.body) == [
        "StreamArn",
        "FragmentNumber",
        "FragmentStartProducerTimestamp",
        "FragmentStartServerTimestamp",
        "NotificationType",
        "NotificationPayload",
    ]
    assert notes[1].body["NotificationPayload"] == {}
    assert notes[1].delivered_at == server + timedelta(seconds=3)
    assert sim.notifications(arn) == notes
    assert sim.delivered_images() == []  # no image generation configuration
    assert sim.notifications(region_name="eu-west-1") == []
    assert sim.notifications("other") == []


def test_a_new_configuration_takes_a_minute() -> None:
    sim = world(wait=59)
    put(sim, tagged(ALL_TAGS, ALL_TAGS, ALL_TAGS))
    # Updated at t, effective at t + 60 s: the fragment arriving at t + 59 s
    # delivers nothing, the ones at t + 60 s and t + 61 s do.
    assert [n.body["FragmentStartProducerTimestamp"] for n in sim.notifications()] == [
        PRODUCER_MS + 1000,
        PRODUCER_MS + 2000,
    ]
    assert len(sim.delivered_images()) == 4
    # Updating again restarts the minute.
    sim.client().update_notification_configuration(
        StreamName="cam", NotificationConfiguration=NOTIFICATIONS
    )
    sim.put_media(
        "cam",
        tagged(ALL_TAGS, ALL_TAGS, ALL_TAGS),
        timecode_type="RELATIVE",
        producer_start=PRODUCER + timedelta(minutes=5),
    )
    assert len(sim.notifications()) == 2


@pytest.mark.parametrize(
    ("images", "notifications"),
    [
        (IMAGES | {"Status": "DISABLED"}, NOTIFICATIONS | {"Status": "DISABLED"}),
        (None, None),
    ],
)
def test_disabled_or_absent_configurations_deliver_nothing(
    images: dict[str, Any] | None, notifications: dict[str, Any] | None
) -> None:
    sim = world(images=images, notifications=notifications)
    put(sim, tagged(ALL_TAGS, ALL_TAGS, ALL_TAGS))
    assert sim.delivered_images() == [] and sim.notifications() == []


def test_untagged_fragments_deliver_nothing_and_removal_stops_at_once() -> None:
    sim = world()
    put(sim, tagged((), [("site", "gate-3")], ()))
    sim.put_fragments("cam", count=3)  # generated: no tags
    assert sim.delivered_images() == [] and sim.notifications() == []
    kv = sim.client()
    kv.update_image_generation_configuration(StreamName="cam")
    kv.update_notification_configuration(StreamName="cam")
    sim.put_media(
        "cam",
        tagged(ALL_TAGS, ALL_TAGS, ALL_TAGS),
        timecode_type="RELATIVE",
        producer_start=PRODUCER + timedelta(minutes=5),
    )
    assert sim.delivered_images() == [] and sim.notifications() == []


def test_a_refused_fragment_delivers_nothing() -> None:
    sim = world()
    too_many = ALL_TAGS + [(f"k{i}", "v") for i in range(7)]  # 11 tags: ack 4009
    sim.put_media(
        "cam", tagged(too_many, (), ()), timecode_type="RELATIVE", producer_start=PRODUCER
    )
    assert sim.delivered_images() == [] and sim.notifications() == []


def test_frames_without_a_picture_deliver_no_image() -> None:
    from kvsim.media.generate import generated_fragments

    sim = world(notifications=None)
    header, clusters = generated_fragments(count=2, duration=1.0)  # filler: no coded slice
    data = b"".join(write_mkv(header, [(c, ALL_TAGS) for c in clusters]))
    acks = sim.put_media("cam", data, timecode_type="RELATIVE", producer_start=PRODUCER)
    assert [a["EventType"] for a in acks].count("PERSISTED") == 2
    assert sim.delivered_images() == []


def test_a_fork_keeps_the_activation_but_not_the_deliveries() -> None:
    sim = world(wait=30)
    effective = int((kvsim.DEFAULT_START + timedelta(seconds=70)).timestamp() * 1000)
    assert sim.snapshot()["regions"][0]["resources"]["activations"] == [
        {"stream": "cam", "configuration": "images", "effective_ms": effective},
        {"stream": "cam", "configuration": "notifications", "effective_ms": effective},
    ]
    fork = sim.fork()
    put(sim, tagged(ALL_TAGS, (), ()))
    put(fork, tagged(ALL_TAGS, (), ()))
    assert sim.notifications() == fork.notifications() == []  # within the minute, both
    sim.advance(30)
    fork.advance(30)
    copy = sim.fork()
    later = PRODUCER + timedelta(minutes=1)
    for each in (sim, fork, copy):
        each.put_media(
            "cam", tagged(ALL_TAGS, (), ()), timecode_type="RELATIVE", producer_start=later
        )
    assert [len(each.notifications()) for each in (sim, fork, copy)] == [1, 1, 1]
    assert [i.key for i in sim.delivered_images()] == [i.key for i in fork.delivered_images()]
    assert [n.message for n in sim.notifications()] == [n.message for n in fork.notifications()]


def test_a_corrupt_activation_is_refused() -> None:
    data = world(wait=0).snapshot()
    data["regions"][0]["resources"]["activations"][0]["stream"] = "other"
    with pytest.raises(ValueError, match="no streams item 'other'"):
        kvsim.Simulator.restore(data)
    data["regions"][0]["resources"]["activations"][0]["configuration"] = "edge"
    with pytest.raises(ValueError, match="configuration"):
        kvsim.Simulator.restore(data)


def test_bad_filters() -> None:
    sim = world()
    with pytest.raises(ValueError, match="account_id must be 12 digits, got 'nope'"):
        sim.delivered_images(account_id="nope")
    with pytest.raises(ValueError, match="region_name must look like 'us-east-1', got 'moon'"):
        sim.notifications(region_name="moon")
