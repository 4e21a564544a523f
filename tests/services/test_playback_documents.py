"""What HLS and DASH sessions serve, through ``sim.fetch``: playlists across clock
advances (exact fragment numbers), the MPD, segments, expiry, rates and points (issue 13)."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urljoin

import pytest

import kvsim
from kvsim.media.mkv import read_mkv

START = datetime(2026, 1, 1, tzinfo=UTC)
MPD = "{urn:mpeg:dash:schema:mpd:2011}"
KVS = "{urn:aws:kinesisvideo:dash:2018}"


def world(fragments: int = 10, latency: float = 0, **limits: Any) -> kvsim.Simulator:
    """Stream ``cam``: fragments every 2 s from 00:00:05 (server = producer time)."""
    sim = kvsim.Simulator(
        seed=11, timings=kvsim.Timings(call_latency=latency), limits=kvsim.Limits(**limits)
    )
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    if fragments:
        sim.put_fragments("cam", count=fragments, duration=2.0)
    return sim


def numbers(sim: kvsim.Simulator) -> list[str]:
    """Every fragment number of ``cam``, oldest first."""
    pages = (
        sim.client("kinesis-video-archived-media")
        .get_paginator("list_fragments")
        .paginate(StreamName="cam")
    )
    found = [f["FragmentNumber"] for page in pages for f in page["Fragments"]]
    return sorted(found, key=int)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def hls(sim: kvsim.Simulator, **kwargs: Any) -> str:
    archive = sim.client("kinesis-video-archived-media")
    url: str = archive.get_hls_streaming_session_url(StreamName="cam", **kwargs)[
        "HLSStreamingSessionURL"
    ]
    return url


def dash(sim: kvsim.Simulator, **kwargs: Any) -> str:
    archive = sim.client("kinesis-video-archived-media")
    url: str = archive.get_dash_streaming_session_url(StreamName="cam", **kwargs)[
        "DASHStreamingSessionURL"
    ]
    return url


def media_url(sim: kvsim.Simulator, url: str) -> str:
    master = sim.fetch(url)
    assert master.status == 200
    return urljoin(url, master.text.splitlines()[-1])


def listed(text: str) -> list[str]:
    """The fragment numbers a media playlist lists, in order."""
    return [
        line.split("FragmentNumber=")[1].split("&")[0]
        for line in text.splitlines()
        if line.startswith(("getMP4MediaFragment", "getTSFragment"))
    ]


def on_demand(start_s: float, end_s: float, kind: str = "SERVER_TIMESTAMP") -> dict[str, Any]:
    return {
        "FragmentSelectorType": kind,
        "TimestampRange": {"StartTimestamp": at(start_s), "EndTimestamp": at(end_s)},
    }


def error(answer: Any) -> tuple[int, str, str]:
    return answer.status, answer.headers["x-amzn-ErrorType"], answer.text


# -- HLS -------------------------------------------------------------------------------------------


def test_on_demand_playlist_exactly() -> None:
    sim = world(fragments=3)
    url = hls(sim, PlaybackMode="ON_DEMAND", HLSFragmentSelector=on_demand(0, 11))
    token = url.partition("SessionToken=")[2]
    master = sim.fetch(url)
    assert master.headers["Content-Type"] == "application/x-mpegURL"
    assert master.text == (
        "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-INDEPENDENT-SEGMENTS\n"
        '#EXT-X-STREAM-INF:BANDWIDTH=247516,CODECS="avc1.42c01e",RESOLUTION=320x240\n'
        f"getHLSMediaPlaylist.m3u8?SessionToken={token}\n"
    )
    first, second, third = numbers(sim)
    playlist = sim.fetch(media_url(sim, url))
    assert playlist.status == 200 and playlist.headers["Content-Type"] == "application/x-mpegURL"
    entries = []
    for number in (first, second, third):
        entries += [
            "#EXT-X-DISCONTINUITY",
            *(
                [
                    f'#EXT-X-MAP:URI="getMP4InitFragment.mp4?FragmentNumber={first}&SessionToken={token}"'
                ]
                if number == first
                else []
            ),
            "#EXTINF:2.000,",
            f"getMP4MediaFragment.mp4?FragmentNumber={number}&SessionToken={token}",
        ]
    assert playlist.text.splitlines() == [
        "#EXTM3U",
        "#EXT-X-VERSION:7",
        "#EXT-X-TARGETDURATION:2",
        "#EXT-X-MEDIA-SEQUENCE:0",
        "#EXT-X-DISCONTINUITY-SEQUENCE:0",
        "#EXT-X-PLAYLIST-TYPE:VOD",
        "#EXT-X-INDEPENDENT-SEGMENTS",
        *entries,
        "#EXT-X-ENDLIST",
    ]


def test_on_demand_takes_the_oldest_max_results_and_shows_timestamps() -> None:
    sim = world()
    url = hls(
        sim,
        PlaybackMode="ON_DEMAND",
        HLSFragmentSelector=on_demand(7, 25),
        MaxMediaPlaylistFragmentResults=3,
        DisplayFragmentTimestamp="ALWAYS",
        DiscontinuityMode="NEVER",
    )
    text = sim.fetch(media_url(sim, url)).text
    assert listed(text) == numbers(sim)[1:4]
    assert [line for line in text.splitlines() if "PROGRAM-DATE-TIME" in line] == [
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:07.000Z",
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:09.000Z",
        "#EXT-X-PROGRAM-DATE-TIME:2026-01-01T00:00:11.000Z",
    ]
    assert "#EXT-X-DISCONTINUITY" not in text and text.count("#EXT-X-MAP") == 1


def test_on_discontinuity_marks_gaps_only() -> None:
    sim = world(fragments=2)  # 5, 7
    sim.advance(10)
    sim.put_fragments("cam", count=2, duration=2.0)  # 19, 21
    url = hls(
        sim,
        PlaybackMode="ON_DEMAND",
        HLSFragmentSelector=on_demand(0, 22),
        DiscontinuityMode="ON_DISCONTINUITY",
    )
    lines = sim.fetch(media_url(sim, url)).text.splitlines()
    marks = [i for i, line in enumerate(lines) if line == "#EXT-X-DISCONTINUITY"]
    assert len(marks) == 1
    assert lines[marks[0] + 2].split("=")[1].split("&")[0] == numbers(sim)[2]
    assert not any(line.startswith("#EXT-X-DISCONTINUITY-SEQUENCE") for line in lines)


def test_live_lists_the_newest_and_moves_with_the_clock() -> None:
    sim = world()
    url = hls(sim)
    playlist = media_url(sim, url)
    text = sim.fetch(playlist).text
    assert listed(text) == numbers(sim)[5:10]
    assert "#EXT-X-MEDIA-SEQUENCE:0" in text and "#EXT-X-ENDLIST" not in text
    assert "#EXT-X-PLAYLIST-TYPE" not in text
    sim.put_fragments("cam", count=2, duration=2.0)
    text = sim.fetch(playlist).text
    assert listed(text) == numbers(sim)[7:12]
    assert "#EXT-X-MEDIA-SEQUENCE:2" in text and "#EXT-X-DISCONTINUITY-SEQUENCE:2" in text


def test_live_never_fills_a_gap_behind_the_newest_listed() -> None:
    sim = world(fragments=3)
    url = hls(sim, HLSFragmentSelector={"FragmentSelectorType": "PRODUCER_TIMESTAMP"})
    playlist = media_url(sim, url)
    before = numbers(sim)
    assert listed(sim.fetch(playlist).text) == before
    # A producer whose clock is behind: older producer times arrive now.
    sim.put_fragments("cam", count=2, duration=2.0, producer_start=at(0))
    late = numbers(sim)[3:]
    sim.put_fragments("cam", count=1, duration=2.0, producer_start=at(100))
    newest = numbers(sim)[5:]
    text = sim.fetch(playlist).text
    assert listed(text) == before + newest
    assert not set(late) & set(listed(text))


def test_live_replay_adds_a_fragment_as_each_duration_elapses() -> None:
    sim = world()
    all_numbers = numbers(sim)
    url = hls(
        sim,
        PlaybackMode="LIVE_REPLAY",
        HLSFragmentSelector=on_demand(5, 23),
        MaxMediaPlaylistFragmentResults=3,
    )
    playlist = media_url(sim, url)
    assert listed(sim.fetch(playlist).text) == all_numbers[:1]
    sim.advance(1.999)
    assert listed(sim.fetch(playlist).text) == all_numbers[:1]
    sim.advance(0.001)
    assert listed(sim.fetch(playlist).text) == all_numbers[:2]
    sim.advance(6)
    text = sim.fetch(playlist).text
    assert listed(text) == all_numbers[2:5]
    assert "#EXT-X-MEDIA-SEQUENCE:2" in text and "#EXT-X-ENDLIST" not in text
    sim.advance(10)
    text = sim.fetch(playlist).text
    assert listed(text) == all_numbers[7:10] and text.endswith("#EXT-X-ENDLIST\n")


def test_live_replay_without_an_end_follows_new_fragments() -> None:
    sim = world(fragments=2)
    url = hls(
        sim,
        PlaybackMode="LIVE_REPLAY",
        HLSFragmentSelector={
            "FragmentSelectorType": "SERVER_TIMESTAMP",
            "TimestampRange": {"StartTimestamp": at(0)},
        },
    )
    playlist = media_url(sim, url)
    sim.advance(2)
    assert len(listed(sim.fetch(playlist).text)) == 2
    sim.put_fragments("cam", count=2, duration=2.0)
    text = sim.fetch(playlist).text
    assert listed(text) == numbers(sim) and "#EXT-X-ENDLIST" not in text


def test_segments_are_fragmented_mp4_of_the_fragment() -> None:
    sim = world(fragments=2)
    url = hls(sim, PlaybackMode="ON_DEMAND", HLSFragmentSelector=on_demand(0, 8))
    text = sim.fetch(media_url(sim, url)).text
    init_line = next(line for line in text.splitlines() if line.startswith("#EXT-X-MAP"))
    init = sim.fetch(urljoin(url, init_line.split('"')[1]))
    assert init.status == 200 and init.headers["Content-Type"] == "video/mp4"
    assert init.body[4:8] == b"ftyp" and b"avcC" in init.body
    segment_lines = [line for line in text.splitlines() if line.startswith("getMP4")]
    segment = sim.fetch(urljoin(url, segment_lines[1]))
    assert segment.status == 200 and segment.headers["Content-Type"] == "video/mp4"
    assert segment.body[4:8] == b"moof"
    assert int.from_bytes(segment.body[20:24], "big") == 2  # mfhd: its place in the session + 1
    # The same frames GetMediaForFragmentList returns.
    archive = sim.client("kinesis-video-archived-media")
    payload = archive.get_media_for_fragment_list(StreamName="cam", Fragments=numbers(sim)[1:2])
    cluster = read_mkv(payload["Payload"].read())[1][0]
    assert b"".join(f.data for f in cluster.frames) in segment.body
    assert int(segment.headers["Content-Length"]) == len(segment.body)


def test_every_request_takes_call_latency() -> None:
    sim = world(latency=0.05)
    url = hls(sim)
    before = sim.now
    sim.fetch(url)
    sim.fetch(url + "x")  # refused: 403, time passes all the same
    assert sim.now - before == timedelta(seconds=0.1)


# -- expiry, tokens, missing fragments --------------------------------------------------------------


def test_a_session_expires_after_expires_seconds() -> None:
    sim = world()
    short, long = hls(sim), hls(sim, Expires=600)
    playlist = media_url(sim, short)
    sim.advance(299.999)
    assert sim.fetch(playlist).status == 200
    sim.advance(0.001)
    for url in (short, playlist):
        assert error(sim.fetch(url)) == (
            403,
            "NotAuthorizedException",
            '{"Message":"Streaming session token is expired"}',
        )
    assert sim.fetch(long).status == 200
    sim.advance(3000)
    hls(sim, PlaybackMode="ON_DEMAND", HLSFragmentSelector=on_demand(0, 25))  # forgets both
    assert error(sim.fetch(long))[2] == '{"Message":"Streaming session token is expired"}'


@pytest.mark.parametrize(
    "token",
    ["", "nope", "Ci~", "CiAAAA~"],
)
def test_unknown_tokens_are_403(token: str) -> None:
    sim = world()
    answer = sim.fetch(
        "https://b-00000000.kinesisvideo.us-east-1.amazonaws.com/hls/v1/"
        f"getHLSMasterPlaylist.m3u8?SessionToken={token}"
    )
    assert error(answer) == (
        403,
        "NotAuthorizedException",
        '{"Message":"Streaming session token is invalid"}',
    )


def test_a_token_of_another_protocol_or_resource_is_refused() -> None:
    sim = world()
    url = hls(sim)
    other = world()
    assert hls(other) == url and other.fetch(url).status == 200  # the same seed, the same token
    dashed = dash(sim)
    assert (
        error(
            sim.fetch(
                dashed.replace("/dash/v1/getDASHManifest.mpd", "/hls/v1/getHLSMasterPlaylist.m3u8")
            )
        )[0]
        == 403
    )
    assert error(sim.fetch(url.replace("getHLSMasterPlaylist", "getNothing")))[:2] == (
        404,
        "ResourceNotFoundException",
    )


def test_fragments_outside_the_session_are_404() -> None:
    sim = world()
    url = hls(sim, PlaybackMode="ON_DEMAND", HLSFragmentSelector=on_demand(0, 10))
    token = url.partition("SessionToken=")[2]
    inside, outside = numbers(sim)[0], numbers(sim)[5]
    base = "getMP4MediaFragment.mp4?SessionToken=" + token
    assert sim.fetch(urljoin(url, f"{base}&FragmentNumber={inside}")).status == 200
    for number in (outside, "123", "x" * 80):
        answer = sim.fetch(urljoin(url, f"{base}&FragmentNumber={number}"))
        assert error(answer) == (
            404,
            "ResourceNotFoundException",
            f'{{"Message":"The fragment {number[:60]} is not in the streaming session."}}',
        )
    assert error(sim.fetch(urljoin(url, base)))[:2] == (400, "InvalidArgumentException")


def test_expired_fragments_and_deleted_streams() -> None:
    sim = world()
    url = hls(sim, PlaybackMode="ON_DEMAND", HLSFragmentSelector=on_demand(0, 25), Expires=43_200)
    playlist = media_url(sim, url)
    first = numbers(sim)[0]
    segment = (
        urljoin(url, f"getMP4MediaFragment.mp4?FragmentNumber={first}&") + url.partition("?")[2]
    )
    assert sim.fetch(segment).status == 200
    sim.advance(3600 - 25 + 5)  # the first fragment is older than the retention
    assert sim.fetch(segment).status == 404
    assert listed(sim.fetch(playlist).text) == numbers(sim)
    kv = sim.client()
    kv.delete_stream(StreamARN=kv.describe_stream(StreamName="cam")["StreamInfo"]["StreamARN"])
    assert error(sim.fetch(playlist)) == (
        404,
        "ResourceNotFoundException",
        '{"Message":"The requested stream is not found or not active."}',
    )


# -- rates and points -------------------------------------------------------------------------------


def test_session_rates() -> None:
    sim = world()
    url = hls(sim, PlaybackMode="ON_DEMAND", HLSFragmentSelector=on_demand(0, 25))
    playlist = media_url(sim, url)  # one master playlist call
    statuses = [sim.fetch(playlist).status for _ in range(6)]
    assert statuses == [200] * 5 + [400]
    assert error(sim.fetch(playlist)) == (
        400,
        "ClientLimitExceededException",
        '{"Message":"Limit exceeded on number of requests for GetHLSMediaPlaylist API for the '
        'streaming session"}',
    )
    sim.advance(0.2)
    segments = [urljoin(url, line) for line in _segment_lines(sim.fetch(playlist).text)]
    assert [sim.fetch(segments[i % 10]).status for i in range(21)] == [200] * 20 + [400]
    sim.advance(0.05)
    assert sim.fetch(segments[0]).status == 200
    off = world(throttling=False)
    url = hls(off)
    assert {off.fetch(url).status for _ in range(50)} == {200}


def _segment_lines(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("getMP4MediaFragment")]


def test_fragment_points() -> None:
    sim = world(fragment_metadata_points=10, fragment_media_points=1)
    url = hls(sim, PlaybackMode="ON_DEMAND", HLSFragmentSelector=on_demand(0, 25))
    playlist = media_url(sim, url)
    assert sim.fetch(playlist).status == 400  # 1,000 points: more than a second's 10
    url = hls(sim, MaxMediaPlaylistFragmentResults=5)
    playlist = media_url(sim, url)
    assert [sim.fetch(playlist).status for _ in range(3)] == [200, 200, 400]
    assert error(sim.fetch(playlist))[1:] == (
        "ClientLimitExceededException",
        '{"Message":"Limit exceeded on fragment metadata points for GetHLSMediaPlaylist API for '
        "resource 'cam'\"}",
    )


# -- DASH -------------------------------------------------------------------------------------------


def test_on_demand_manifest() -> None:
    sim = world(fragments=3)
    url = dash(
        sim,
        PlaybackMode="ON_DEMAND",
        DASHFragmentSelector=on_demand(0, 11),
        DisplayFragmentNumber="ALWAYS",
        DisplayFragmentTimestamp="ALWAYS",
    )
    token = url.partition("SessionToken=")[2]
    answer = sim.fetch(url)
    assert answer.status == 200 and answer.headers["Content-Type"] == "application/dash+xml"
    root = ET.fromstring(answer.body)
    assert root.get("type") == "static" and root.get("mediaPresentationDuration") == "PT6.000S"
    template = root.find(f"{MPD}Period/{MPD}AdaptationSet/{MPD}Representation/{MPD}SegmentTemplate")
    assert template is not None
    first = numbers(sim)[0]
    assert template.attrib == {
        "timescale": "1000",
        "presentationTimeOffset": "1767225605000",
        "startNumber": "0",
        "initialization": f"getMP4InitFragment.mp4?FragmentNumber={first}&SessionToken={token}",
        "media": f"getMP4MediaFragment.mp4?SequenceNumber=$Number$&SessionToken={token}",
    }
    timeline = [s.attrib for s in template.iter(f"{MPD}S")]
    assert timeline == [
        {
            "t": str(1767225605000 + 2000 * i),
            "d": "2000",
            f"{KVS}ts": f"{1767225605 + 2 * i}.000",
            f"{KVS}fn": number,
        }
        for i, number in enumerate(numbers(sim))
    ]
    for n in range(3):
        segment = sim.fetch(
            urljoin(url, f"getMP4MediaFragment.mp4?SequenceNumber={n}&SessionToken={token}")
        )
        assert segment.status == 200 and int.from_bytes(segment.body[20:24], "big") == n + 1
    assert (
        sim.fetch(
            urljoin(url, f"getMP4MediaFragment.mp4?SequenceNumber=3&SessionToken={token}")
        ).status
        == 404
    )


def test_live_manifest_is_dynamic_and_slides() -> None:
    sim = world()
    url = dash(sim, MaxManifestFragmentResults=2)
    root = ET.fromstring(sim.fetch(url).body)
    assert root.get("type") == "dynamic"
    assert root.get("publishTime") == "2026-01-01T00:00:25.000Z"
    template = root.find(f".//{MPD}SegmentTemplate")
    assert template is not None and template.get("startNumber") == "0"
    assert [s.get("t") for s in template.iter(f"{MPD}S")] == ["1767225621000", "1767225623000"]
    assert not any(f"{KVS}fn" in s.attrib for s in template.iter(f"{MPD}S"))
    sim.put_fragments("cam", count=3, duration=2.0)
    template = ET.fromstring(sim.fetch(url).body).find(f".//{MPD}SegmentTemplate")
    assert template is not None and template.get("startNumber") == "3"
    assert [s.get("t") for s in template.iter(f"{MPD}S")] == ["1767225627000", "1767225629000"]


# -- snapshots --------------------------------------------------------------------------------------


def test_sessions_survive_snapshots_and_forks_serve_the_same() -> None:
    sim = world()
    live, replay = (
        hls(sim),
        dash(
            sim,
            PlaybackMode="LIVE_REPLAY",
            DASHFragmentSelector={
                "FragmentSelectorType": "SERVER_TIMESTAMP",
                "TimestampRange": {"StartTimestamp": at(0)},
            },
        ),
    )
    playlist = media_url(sim, live)
    sim.fetch(playlist)
    sim.advance(4)
    snapshot = sim.snapshot()
    [region] = snapshot["regions"]
    # By session number (a seeded draw): this seed's LIVE session drew the lower one.
    assert [s["mode"] for s in region["resources"]["sessions"]] == ["LIVE", "LIVE_REPLAY"]
    fork = kvsim.Simulator.restore(snapshot)
    assert fork.snapshot() == snapshot
    for world_ in (sim, fork):
        world_.put_fragments("cam", count=1, duration=2.0)
    assert fork.fetch(playlist).text == sim.fetch(playlist).text
    assert fork.fetch(replay).text == sim.fetch(replay).text
    assert hls(fork) == hls(sim)  # the same next token
    sim.advance(300)
    assert error(sim.fetch(playlist))[0] == 403


def test_a_corrupt_session_in_a_snapshot_is_refused() -> None:
    sim = world()
    hls(sim)
    snapshot = sim.snapshot()
    session = snapshot["regions"][0]["resources"]["sessions"][0]
    session["number"] += 1
    with pytest.raises(ValueError, match="names another session than this one"):
        kvsim.Simulator.restore(snapshot)
    session["number"] -= 1
    session["stream"] = "nope"
    with pytest.raises(ValueError, match="sessions\\[0\\]: no streams item 'nope'"):
        kvsim.Simulator.restore(snapshot)


def test_a_segment_kvsim_cannot_package_is_refused_and_takes_no_media_point() -> None:
    # A LIVE session lists what arrives; fragments of another codec arrive later.
    sim = world(fragments=2, fragment_media_points=1)
    playlist = media_url(sim, hls(sim))
    sim.put_fragments("cam", count=1, duration=2.0, codec_id="V_MPEGH/ISO/HEVC")
    sim.advance(1)  # a full media-point bucket
    segments = [urljoin(playlist, line) for line in _segment_lines(sim.fetch(playlist).text)]
    assert len(segments) == 3
    status, code, _ = error(sim.fetch(segments[-1]))
    assert (status, code) == (400, "UnsupportedStreamMediaTypeException")
    # The refusal took no point: the bucket's one point still serves a good segment.
    assert sim.fetch(segments[0]).status == 200
    assert error(sim.fetch(segments[1]))[:2] == (400, "ClientLimitExceededException")
