"""PutMedia over HTTP (``POST /putMedia`` in ``kvsim serve``): a chunked MKV body in,
newline-separated JSON acks out as fragments arrive; errors before the 200 (issue 12)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import boto3
import pytest

import kvsim
from kvsim.media.generate import generated_mkv

AUTH = (
    "AWS4-HMAC-SHA256 Credential=AKIDPRODUCER/20260101/us-east-1/kinesisvideo/aws4_request, "
    "SignedHeaders=host, Signature=00"
)


class Served:
    """A world with the stream ``cam`` (1 h retention) served over HTTP."""

    def __init__(self, sim: kvsim.Simulator, base: str) -> None:
        self.sim = sim
        self.base = base
        self.kv = self.client("kinesisvideo", base)

    def client(self, service: str, url: str) -> Any:
        return boto3.client(
            service,
            region_name="us-east-1",
            endpoint_url=url,
            aws_access_key_id="AKIDPRODUCER",
            aws_secret_access_key="x",
        )

    def endpoint(self, api: str, stream: str = "cam") -> str:
        return str(self.kv.get_data_endpoint(StreamName=stream, APIName=api)["DataEndpoint"])


@pytest.fixture
def served() -> Iterator[Served]:
    sim = kvsim.Simulator(seed=5, timings=kvsim.Timings(call_latency=0))
    kv = sim.client()
    kv.create_stream(StreamName="cam", DataRetentionInHours=1)
    kv.create_stream(StreamName="buffer")  # retention 0
    sim.advance(5)
    with sim.serve() as base:
        yield Served(sim, base)


def put_media(
    url: str,
    body: bytes,
    *,
    pieces: int = 5,
    headers: dict[str, str] | None = None,
    chunked: bool = True,
) -> tuple[int, dict[str, str], bytes]:
    """POST ``body`` to ``url``/putMedia in ``pieces`` chunks; (status, headers, body)."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    sent = {
        "Authorization": AUTH,
        "x-amzn-stream-name": "cam",
        "x-amzn-fragment-timecode-type": "RELATIVE",
        "x-amzn-producer-start-timestamp": "1767225600.5",
    }
    sent.update(headers or {})
    if chunked:
        sent["Transfer-Encoding"] = "chunked"
    else:
        sent["Content-Length"] = str(len(body))
    conn.putrequest("POST", parts.path + "/putMedia", skip_accept_encoding=True)
    for name, value in sent.items():
        if value:
            conn.putheader(name, value)
    conn.endheaders()
    size = -(-len(body) // pieces) if body else 1
    for start in range(0, len(body), size):
        piece = body[start : start + size]
        conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
    if chunked:
        conn.send(b"0\r\n\r\n")
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, {k.lower(): v for k, v in response.getheaders()}, data


def acks(data: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in data.splitlines()]


def test_a_chunked_body_is_acknowledged_fragment_by_fragment(served: Served) -> None:
    media = generated_mkv(count=4, duration=2.0, frame_rate=10, frame_size=300)
    status, headers, data = put_media(served.endpoint("PUT_MEDIA"), media, pieces=7)
    assert status == 200
    assert headers["transfer-encoding"] == "chunked"
    assert headers["content-type"] == "application/json"
    got = acks(data)
    assert [a["EventType"] for a in got] == ["BUFFERING", "RECEIVED", "PERSISTED"] * 4
    assert [a["FragmentTimecode"] for a in got[::3]] == [0, 2000, 4000, 6000]
    numbers = [a["FragmentNumber"] for a in got[::3]]
    assert all(isinstance(n, str) and len(n) == 47 for n in numbers)
    assert numbers == sorted(numbers, key=int)
    # The archive lists what was put, with the producer's start time.
    archive = served.client("kinesis-video-archived-media", served.endpoint("LIST_FRAGMENTS"))
    listed = archive.list_fragments(StreamName="cam")["Fragments"]
    assert sorted(f["FragmentNumber"] for f in listed) == sorted(numbers)
    first = min(listed, key=lambda f: int(f["FragmentNumber"]))
    assert first["ProducerTimestamp"].timestamp() == 1767225600.5
    assert first["FragmentLengthInMilliseconds"] == 2000
    # The producer sent in real time: 8 s of video took 8 virtual seconds.
    assert served.sim.now.isoformat() == "2026-01-01T00:00:13+00:00"


def test_a_body_with_a_content_length_works_too(served: Served) -> None:
    media = generated_mkv(count=2, duration=1.0)
    status, _headers, data = put_media(served.endpoint("PUT_MEDIA"), media, chunked=False)
    assert status == 200
    assert [a["EventType"] for a in acks(data)] == ["BUFFERING", "RECEIVED", "PERSISTED"] * 2


def test_a_stream_without_retention_gets_no_persisted(served: Served) -> None:
    media = generated_mkv(count=2, duration=1.0)
    url = served.endpoint("PUT_MEDIA", "buffer")
    status, _headers, data = put_media(url, media, headers={"x-amzn-stream-name": "buffer"})
    assert status == 200
    assert [a["EventType"] for a in acks(data)] == ["BUFFERING", "RECEIVED"] * 2


def test_fragment_errors_are_acks_after_the_200(served: Served) -> None:
    media = generated_mkv(count=2, duration=25.0)  # over the 20 s limit
    status, _headers, data = put_media(served.endpoint("PUT_MEDIA"), media)
    assert status == 200
    got = acks(data)
    assert [(a["EventType"], a.get("ErrorId")) for a in got] == [
        ("BUFFERING", None),
        ("ERROR", 4002),
        ("BUFFERING", None),
        ("ERROR", 4002),
    ]
    assert got[1]["ErrorCode"] == "MAX_FRAGMENT_DURATION_REACHED"


def test_broken_chunked_framing_ends_with_error_4000(served: Served) -> None:
    url = urlsplit(served.endpoint("PUT_MEDIA"))
    conn = http.client.HTTPConnection(url.hostname or "", url.port, timeout=10)
    conn.putrequest("POST", url.path + "/putMedia")
    for name, value in {
        "Authorization": AUTH,
        "x-amzn-stream-name": "cam",
        "x-amzn-fragment-timecode-type": "ABSOLUTE",
        "Transfer-Encoding": "chunked",
    }.items():
        conn.putheader(name, value)
    conn.endheaders()
    conn.send(b"zz\r\nnot hex\r\n")
    response = conn.getresponse()
    assert response.status == 200
    assert acks(response.read()) == [
        {
            "EventType": "ERROR",
            "FragmentTimecode": 0,
            "ErrorId": 4000,
            "ErrorCode": "STREAM_READ_ERROR",
        }
    ]
    conn.close()
    # The stream's one connection was released.
    status, _headers, _data = put_media(served.endpoint("PUT_MEDIA"), generated_mkv(count=1))
    assert status == 200


def _error(status: int, headers: dict[str, str], data: bytes) -> tuple[int, str, str]:
    assert headers["content-type"] == "application/json"
    assert headers["x-amzn-requestid"]
    return status, headers["x-amzn-errortype"], json.loads(data)["Message"]


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"x-amzn-stream-name": "nope"}, (404, "ResourceNotFoundException")),
        ({"x-amzn-stream-name": ""}, (400, "InvalidArgumentException")),  # neither
        (
            {"x-amzn-stream-arn": "arn:aws:kinesisvideo:us-east-1:123456789012:stream/cam/1"},
            (400, "InvalidArgumentException"),  # both
        ),
        ({"x-amzn-fragment-timecode-type": "LOCAL"}, (400, "InvalidArgumentException")),
        ({"x-amzn-producer-start-timestamp": "soon"}, (400, "InvalidArgumentException")),
        ({"Authorization": ""}, (403, "MissingAuthenticationTokenException")),
    ],
)
def test_errors_before_the_200(
    served: Served, headers: dict[str, str], expected: tuple[int, str]
) -> None:
    before = served.sim.now
    status, code, _message = _error(
        *put_media(served.endpoint("PUT_MEDIA"), generated_mkv(count=1), headers=headers)
    )
    assert (status, code) == expected
    assert served.sim.now == before
    assert (
        served.sim.client("kinesis-video-archived-media").list_fragments(StreamName="cam")[
            "Fragments"
        ]
        == []
    )


def test_one_connection_per_stream(served: Served) -> None:
    session = served.sim.put_media_session("cam")
    try:
        status, code, message = _error(
            *put_media(served.endpoint("PUT_MEDIA"), generated_mkv(count=1))
        )
    finally:
        session.abort()
    assert (status, code) == (400, "ConnectionLimitExceededException")
    assert "at most 1" in message


def test_five_connections_a_second(served: Served) -> None:
    url = served.endpoint("PUT_MEDIA")
    for _ in range(5):
        assert put_media(url, b"")[0] == 200  # an empty body: no fragment, no time
    status, code, message = _error(*put_media(url, b""))
    assert (status, code) == (400, "ClientLimitExceededException")
    assert message == "Limit exceeded on number of requests for PutMedia API for resource 'cam'"


def test_put_media_needs_the_streams_media_host(served: Served) -> None:
    media = generated_mkv(count=1)
    status, headers, data = put_media(served.base, media)  # the control-plane host
    assert status == 403 and data.startswith(b"<AccessDeniedException>")
    assert "x-amzn-errortype" not in headers
    status, code, _m = _error(*put_media(served.endpoint("LIST_FRAGMENTS"), media))
    assert (status, code) == (400, "InvalidEndpointException")
    served.sim.client().create_stream(StreamName="other", DataRetentionInHours=1)
    served.sim.advance(5)
    status, code, message = _error(*put_media(served.endpoint("PUT_MEDIA", "other"), media))
    assert (status, code) == (400, "InvalidEndpointException")
    assert "of the stream cam" in message and "PUT_MEDIA" in message


def test_a_principal_without_put_media_is_denied() -> None:
    sim = kvsim.Simulator(seed=5, timings=kvsim.Timings(call_latency=0))
    sim.client().create_stream(StreamName="cam", DataRetentionInHours=1)
    sim.advance(5)
    sim.register_credentials("AKIDPRODUCER", "123456789012", allowed_actions=["kinesisvideo:Get*"])
    with sim.serve() as base:
        served = Served(sim, base)
        status, code, message = _error(*put_media(served.endpoint("PUT_MEDIA"), b""))
    assert (status, code) == (403, "AccessDeniedException")
    assert "kinesisvideo:PutMedia on resource: cam" in message
