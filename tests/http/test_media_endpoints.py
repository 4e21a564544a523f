"""Data-plane calls must use their stream's data endpoint, as in AWS (issue 12).

Through genuine boto3 clients, in process (``kvsim.boto``) and over
``sim.serve()``: the control-plane host answers 403 with AWS's XML body
(botocore's code ``"403"``), the wrong kind of data host and another stream's
host answer the modeled errors, the right host answers; refusals change
nothing and take no virtual time. No request under ``kvsim.boto.mock`` leaves
the process.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import botocore.config
import botocore.exceptions
import pytest

import kvsim
import kvsim.boto
from kvsim.services.data_hosts import UNAUTHORIZABLE

NO_RETRIES = botocore.config.Config(retries={"max_attempts": 1, "mode": "standard"})
MEDIA = "kinesis-video-media"
ARCHIVE = "kinesis-video-archived-media"
#: The API name of each data-plane service's endpoint.
API = {MEDIA: "GET_MEDIA", ARCHIVE: "LIST_FRAGMENTS"}


def _get_media(client: Any, stream: str = "cam") -> Any:
    return client.get_media(StreamName=stream, StartSelector={"StartSelectorType": "EARLIEST"})


def _list_fragments(client: Any, stream: str = "cam") -> Any:
    return client.list_fragments(StreamName=stream)


def _fragment_list(client: Any, stream: str = "cam") -> Any:
    numbers = [f["FragmentNumber"] for f in client.list_fragments(StreamName=stream)["Fragments"]]
    return client.get_media_for_fragment_list(StreamName=stream, Fragments=numbers or ["1"])


#: (service, call) of each simulated data-plane operation.
CALLS: list[tuple[str, Callable[..., Any]]] = [
    (MEDIA, _get_media),
    (ARCHIVE, _list_fragments),
    (ARCHIVE, _fragment_list),
]
IDS = ["GetMedia", "ListFragments", "GetMediaForFragmentList"]


def _world() -> kvsim.Simulator:
    sim = kvsim.Simulator(seed=3, timings=kvsim.Timings(call_latency=0.01))
    kv = sim.client()
    for name in ("cam", "door"):
        kv.create_stream(StreamName=name, DataRetentionInHours=1)
    sim.advance(5)
    sim.put_fragments("cam", count=3)
    sim.put_fragments("door", count=2)
    return sim


class World:
    """A world of two streams and a way to make data-plane clients on any URL."""

    def __init__(self, sim: kvsim.Simulator, make: Callable[[str, str | None], Any]) -> None:
        self.sim = sim
        self.make = make
        self.kv = make("kinesisvideo", None)

    def endpoint(self, stream: str, api: str) -> str:
        return str(self.kv.get_data_endpoint(StreamName=stream, APIName=api)["DataEndpoint"])

    def client(self, service: str, url: str | None) -> Any:
        return self.make(service, url)


@pytest.fixture(params=["in-process", "serve"])
def world(request: pytest.FixtureRequest) -> Iterator[World]:
    sim = _world()
    if request.param == "in-process":

        def make(service: str, url: str | None) -> Any:
            return kvsim.boto.client(sim, service, config=NO_RETRIES, endpoint_url=url)

        yield World(sim, make)
        return
    with sim.serve() as base:
        session = boto3.session.Session(
            aws_access_key_id="AKIDHOSTS", aws_secret_access_key="x", region_name="us-east-1"
        )

        def served(service: str, url: str | None) -> Any:
            return session.client(service, endpoint_url=url or base, config=NO_RETRIES)

        yield World(sim, served)


def _refused(world: World, call: Callable[[], Any]) -> Any:
    """``call`` fails, and the world, the clock and the trace are as they were."""
    sim = world.sim
    before = (sim._dump(), sim.now, len(sim.last_calls(10_000)))
    with pytest.raises(botocore.exceptions.ClientError) as info:
        call()
    assert (sim._dump(), sim.now, len(sim.last_calls(10_000))) == before
    return info.value


@pytest.mark.parametrize(("service", "call"), CALLS, ids=IDS)
def test_the_control_plane_host_answers_403_in_xml(
    world: World, service: str, call: Callable[..., Any]
) -> None:
    client = world.client(service, None)  # botocore's default: the control-plane host
    error = _refused(world, lambda: call(client))
    assert error.response["Error"]["Code"] == "403"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error.response["Error"]["Message"] == UNAUTHORIZABLE.decode()
    assert str(error).endswith(
        "operation: <AccessDeniedException><Message>Unable to determine service/operation "
        "name to be authorized</Message></AccessDeniedException>"
    )


@pytest.mark.parametrize(("service", "call"), CALLS, ids=IDS)
def test_the_streams_own_endpoint_answers(
    world: World, service: str, call: Callable[..., Any]
) -> None:
    client = world.client(service, world.endpoint("cam", API[service]))
    response = call(client)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 200


def test_get_media_on_the_archive_host_is_an_invalid_endpoint(world: World) -> None:
    client = world.client(MEDIA, world.endpoint("cam", "LIST_FRAGMENTS"))
    error = _refused(world, lambda: _get_media(client))
    assert error.response["Error"]["Code"] == "InvalidEndpointException"
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "GET_MEDIA" in error.response["Error"]["Message"]
    assert isinstance(error, client.exceptions.InvalidEndpointException)


@pytest.mark.parametrize(("service", "call"), CALLS[1:], ids=IDS[1:])
def test_archived_media_on_the_media_host_answers_403(
    world: World, service: str, call: Callable[..., Any]
) -> None:
    client = world.client(service, world.endpoint("cam", "GET_MEDIA"))
    error = _refused(world, lambda: call(client))
    assert error.response["Error"]["Code"] == "403"


def test_another_streams_media_host_is_an_invalid_endpoint(world: World) -> None:
    client = world.client(MEDIA, world.endpoint("door", "GET_MEDIA"))
    assert _get_media(client, "door")["ResponseMetadata"]["HTTPStatusCode"] == 200
    error = _refused(world, lambda: _get_media(client, "cam"))
    assert error.response["Error"]["Code"] == "InvalidEndpointException"
    assert "of the stream cam" in error.response["Error"]["Message"]


@pytest.mark.parametrize(("service", "call"), CALLS[1:], ids=IDS[1:])
def test_another_streams_archive_host_is_an_invalid_argument(
    world: World, service: str, call: Callable[..., Any]
) -> None:
    client = world.client(service, world.endpoint("door", "LIST_FRAGMENTS"))
    error = _refused(world, lambda: call(client, "cam"))
    assert error.response["Error"]["Code"] == "InvalidArgumentException"
    assert (
        "is not the ListFragments endpoint of the stream cam"
        in (error.response["Error"]["Message"])
    )


def test_a_stream_that_does_not_exist_is_not_found_on_any_data_host(world: World) -> None:
    client = world.client(MEDIA, world.endpoint("door", "GET_MEDIA"))
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        _get_media(client, "nope")


def test_served_endpoints_point_back_at_the_server() -> None:
    sim = _world()
    with sim.serve() as base:
        kv = boto3.client(
            "kinesisvideo",
            region_name="us-east-1",
            endpoint_url=base,
            aws_access_key_id="AKID",
            aws_secret_access_key="x",
        )
        served = kv.get_data_endpoint(StreamName="cam", APIName="GET_MEDIA")["DataEndpoint"]
    aws = sim.client().get_data_endpoint(StreamName="cam", APIName="GET_MEDIA")["DataEndpoint"]
    assert served == f"{base}/_endpoint/{aws.removeprefix('https://')}"
    # The trace keeps AWS's endpoint: only the answer on the wire is rewritten.
    assert sim.last_calls(2)[0]["outcome"]["response"]["DataEndpoint"] == aws


def test_no_request_under_mock_leaves_the_process(monkeypatch: pytest.MonkeyPatch) -> None:
    sim = _world()
    aws = {
        service: sim.client().get_data_endpoint(StreamName="cam", APIName=api)["DataEndpoint"]
        for service, api in API.items()
    }

    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"a request left the process: {args!r}")

    monkeypatch.setattr(socket, "create_connection", no_network)
    monkeypatch.setattr(socket.socket, "connect", no_network)
    urls: dict[str, list[str | None]] = {
        service: [
            None,  # the control-plane host
            aws[service],  # the stream's own
            aws[MEDIA if service == ARCHIVE else ARCHIVE],  # the other kind
            "https://s-00000000.kinesisvideo.us-east-1.amazonaws.com",  # no stream's
            # an endpoint a (stopped) kvsim server returned
            f"http://127.0.0.1:9/_endpoint/{aws[service].removeprefix('https://')}",
        ]
        for service in API
    }
    answered = []
    with kvsim.boto.mock(sim):
        for service, call in CALLS:
            for url in urls[service]:
                client = boto3.client(
                    service,
                    region_name="us-east-1",
                    endpoint_url=url,
                    aws_access_key_id="AKIDMOCK",
                    aws_secret_access_key="x",
                    config=NO_RETRIES,
                )
                try:
                    answered.append(call(client)["ResponseMetadata"]["HTTPStatusCode"])
                except botocore.exceptions.ClientError as error:
                    answered.append(error.response["ResponseMetadata"]["HTTPStatusCode"])
    # GetMedia: 403, 200, 400, 400, 200; ListFragments: 403, 200, 403, 403, 200; ...
    assert answered[:5] == [403, 200, 400, 400, 200]
    assert answered[5:10] == [403, 200, 403, 403, 200]


def test_clients_made_before_the_first_mock_are_served_for_every_service() -> None:
    # A fresh process: a boto3 session and clients of all five services exist
    # before kvsim.boto is first used (botocore keeps one handler per unique id
    # and emitter: the session must get kvsim's handler for each event).
    script = """
import socket, boto3, botocore.config, botocore.exceptions
clients = {
    name: boto3.client(name, region_name="us-east-1", aws_access_key_id="AKID",
                       aws_secret_access_key="x",
                       config=botocore.config.Config(retries={"max_attempts": 1}))
    for name in ("kinesisvideo", "kinesis-video-media", "kinesis-video-archived-media")
}
late = boto3.client("kinesis-video-media", region_name="us-east-1", aws_access_key_id="AKID",
                    aws_secret_access_key="x")
def no_network(*args, **kwargs):
    raise AssertionError("a request left the process")
socket.create_connection = no_network
socket.socket.connect = no_network
import kvsim, kvsim.boto
sim = kvsim.Simulator()
with kvsim.boto.mock(sim):
    clients["kinesisvideo"].list_streams()
    for client in (clients["kinesis-video-media"], late):
        try:
            client.get_media(StreamName="cam", StartSelector={"StartSelectorType": "NOW"})
        except botocore.exceptions.ClientError as error:
            assert error.response["Error"]["Code"] == "403", error.response
    try:
        clients["kinesis-video-archived-media"].list_fragments(StreamName="cam")
    except botocore.exceptions.ClientError as error:
        assert error.response["Error"]["Code"] == "403", error.response
print("served")
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "served"
