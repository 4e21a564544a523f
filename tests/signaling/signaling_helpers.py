"""What the signaling tests over the network share: a served channel and presigned URLs."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from botocore.auth import SigV4QueryAuth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

import kvsim

REGION = "us-east-1"


def presign(url: str, params: dict[str, str], access_key: str = "AKIDEXAMPLE") -> str:
    """botocore's SigV4 query presigning of a WebSocket URL (signed as wss://, as SDKs do)."""
    secure = url.replace("ws://", "wss://", 1)
    request = AWSRequest(method="GET", url=secure, params=params)
    SigV4QueryAuth(Credentials(access_key, "secret"), "kinesisvideo", REGION, expires=299).add_auth(
        request
    )
    request.prepare()
    assert request.url is not None
    return request.url.replace("wss://", "ws://", 1)


@contextmanager
def served_channel(sim: kvsim.Simulator) -> Iterator[tuple[str, str, dict[str, dict[str, str]]]]:
    """Serve ``sim``; yield its URL, a new ACTIVE channel's ARN and the endpoints
    GetSignalingChannelEndpoint answers over HTTP, by role and protocol."""
    with sim.serve() as url:
        kv = boto3.client(
            "kinesisvideo",
            endpoint_url=url,
            region_name=REGION,
            aws_access_key_id="AKIDEXAMPLE",
            aws_secret_access_key="secret",
        )
        arn = kv.create_signaling_channel(ChannelName="door")["ChannelARN"]
        sim.advance(3)
        found = {}
        for role in ("MASTER", "VIEWER"):
            answer = kv.get_signaling_channel_endpoint(
                ChannelARN=arn,
                SingleMasterChannelEndpointConfiguration={
                    "Protocols": ["WSS", "HTTPS"],
                    "Role": role,
                },
            )
            found[role] = {
                e["Protocol"]: e["ResourceEndpoint"] for e in answer["ResourceEndpointList"]
            }
        yield url, arn, found
