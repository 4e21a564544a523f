"""GetIceServerConfig and SendAlexaOfferToMaster, on a channel's ``HTTPS`` endpoint.

kvsim rules where AWS is silent:

- **ICE servers.** Two TURN servers, each with three URIs in AWS's shapes
  (``turn:…:443?transport=udp``, ``turns:…:443?transport=udp``,
  ``turns:…:443?transport=tcp``) on hosts
  ``{a-b-c-d}.t-{8 hex}.kinesisvideo.{region}.{suffix}``: the address drawn
  from the seeded random source for each call, the ``t-`` digits fixed per
  channel. ``Username`` is ``<expiry epoch seconds>:<24 hex>``, ``Password``
  40 hex, ``Ttl`` 300: the credentials expire 5 minutes later on the virtual
  clock (:func:`expiry_of` reads the expiry back from a username).
- **Sessions.** A ``ClientId`` that is connected to the channel (as a viewer,
  or as the master's client id) has a session of 45 minutes from its
  connection: after that the call answers ``SessionExpiredException``. A
  ``ClientId`` not connected is accepted (clients fetch ICE servers before
  they connect, as the AWS samples do); one starting with ``AWS_`` (a
  reserved prefix) answers ``InvalidClientException``.
- **The channel** must be ACTIVE or UPDATING (else ``ResourceNotFoundException``).
- **SendAlexaOfferToMaster** delivers the offer to the connected master as an
  ``SDP_OFFER`` from ``SenderClientId`` (or holds it for ``MessageTtlSeconds``
  until a master connects) and returns as ``Answer`` the ``SDP_ANSWER`` the
  master sends back to ``SenderClientId`` while the offer is delivered (an
  in-process master answers from its ``on_message`` hook). Without one the
  call succeeds without ``Answer``: the master's later answer is not kept.
- Rates: 5 per second per channel, 100 per account (both operations).
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ...core.ids import dns_suffix
from ...model.errors import service_errors
from ..declarations import Declarations
from ..gate import Admission
from ..state import Region
from .relay import MASTER_KEY, SESSION_MS, deliver, find_channel, relay_of

if TYPE_CHECKING:
    from ..world import World

__all__ = ["TTL_SECONDS", "declare", "expiry_of", "ice_servers"]

declare = Declarations("kinesis-video-signaling")

_ERRORS = service_errors("kinesis-video-signaling")
InvalidClientException = _ERRORS["InvalidClientException"]
SessionExpiredException = _ERRORS["SessionExpiredException"]

#: How long TURN credentials live (``Ttl``), in seconds [QW].
TTL_SECONDS = 300
#: TURN servers per answer, and the URIs of each.
SERVERS = 2
_URIS = (
    "turn:{host}:443?transport=udp",
    "turns:{host}:443?transport=udp",
    "turns:{host}:443?transport=tcp",
)


def ice_servers(world: World, region: Region, arn: str) -> list[dict[str, Any]]:
    """The ``IceServerList`` of one call: fresh seeded addresses and credentials."""
    rng = world.rng
    expiry = world.now_ms // 1000 + TTL_SECONDS
    digits = zlib.crc32(arn.encode())
    servers = []
    for _ in range(SERVERS):
        address = "-".join(str(b) for b in rng.getrandbits(32).to_bytes(4, "big"))
        host = f"{address}.t-{digits:08x}.kinesisvideo.{region.name}.{dns_suffix(region.name)}"
        servers.append(
            {
                "Uris": [uri.format(host=host) for uri in _URIS],
                "Username": f"{expiry}:{rng.getrandbits(96):024x}",
                "Password": f"{rng.getrandbits(160):040x}",
                "Ttl": TTL_SECONDS,
            }
        )
    return servers


def expiry_of(username: str) -> int:
    """The epoch second a TURN ``Username`` this module made expires at."""
    return int(username.partition(":")[0])


@declare("GetIceServerConfig", rate=(100, 5), resource="channel")
def _get_ice_server_config(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """GetIceServerConfig: ``{"IceServerList": [{"Uris", "Username", "Password", "Ttl"}]}``."""
    client_id = p.get("ClientId")
    if client_id is not None and client_id[:4].upper() == "AWS_":
        raise InvalidClientException(f"The client {client_id} is invalid.")
    gate = Admission(world, region, "GetIceServerConfig")
    channel = find_channel(region, p["ChannelARN"])
    gate.resource(channel)
    relay = channel.signaling
    if client_id is not None and relay is not None:
        now = world.now_ms
        for connection in relay.live(now):
            if connection.client_id == client_id and now >= connection.opened_ms + SESSION_MS:
                raise SessionExpiredException(
                    f"The session of client {client_id} has expired (45 minutes after it "
                    "connected); reconnect to the channel."
                )
    gate.commit()
    return {"IceServerList": ice_servers(world, region, channel.arn)}


@declare("SendAlexaOfferToMaster", rate=(100, 5), resource="channel")
def _send_alexa_offer(world: World, region: Region, p: Mapping[str, Any]) -> dict[str, Any]:
    """SendAlexaOfferToMaster: the offer to the master; ``{"Answer": ...}`` if it answered."""
    gate = Admission(world, region, "SendAlexaOfferToMaster")
    channel = find_channel(region, p["ChannelARN"])
    gate.resource(channel)
    gate.commit()
    sender = p["SenderClientId"]
    message = {
        "senderClientId": sender,
        "messageType": "SDP_OFFER",
        "messagePayload": p["MessagePayload"],
    }
    relay = relay_of(channel)
    relay.alexa[sender] = None
    try:
        deliver(world, channel, MASTER_KEY, "SDP_OFFER", message, sender=sender)
        answer = relay.alexa[sender]
    finally:
        del relay.alexa[sender]
    return {} if answer is None else {"Answer": answer}
