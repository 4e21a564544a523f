"""Assertions and small tools shared by the tests (importable as ``helpers``: pytest
puts ``tests/`` on ``sys.path`` for its test modules)."""

from __future__ import annotations

import http.client
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import pytest

import kvsim

if TYPE_CHECKING:
    from kvsim.http.server import KvsimServer

#: HTTP status of each error code answered with a status other than 400: the
#: model's, except AccessDeniedException, which the real service answers with 403.
STATUS = {
    "ResourceNotFoundException": 404,
    "StreamEdgeConfigurationNotFoundException": 404,
    "NotAuthorizedException": 401,
    "AccessDeniedException": 403,
}


def raises(method: Callable[..., Any], code: str, /, **kwargs: Any) -> kvsim.ClientError:
    """Call ``method`` and check it fails with ``code`` exactly as botocore reports it:
    the class, the code, the HTTP status (:data:`STATUS`), the operation name and ``str()``."""
    with pytest.raises(kvsim.ClientError) as info:
        method(**kwargs)
    err = info.value
    op = "".join(part.title() for part in method.__name__.split("_"))
    assert isinstance(err, getattr(kvsim.errors, code))
    assert err.response["Error"]["Code"] == code
    assert err.response["ResponseMetadata"]["HTTPStatusCode"] == STATUS.get(code, 400)
    assert err.operation_name == op
    message = err.response["Error"]["Message"]
    assert str(err) == f"An error occurred ({code}) when calling the {op} operation: {message}"
    return err


@contextmanager
def serving(server: KvsimServer) -> Iterator[KvsimServer]:
    """Serve ``server`` from a thread for the ``with`` block, then shut it down."""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def put_media_over_http(
    endpoint: str,
    body: bytes,
    *,
    stream: str,
    producer_start: datetime,
    region: str = "us-east-1",
) -> bytes:
    """A camera's PutMedia: ``body`` (MKV, RELATIVE timecodes from ``producer_start``)
    POSTed chunked to ``endpoint``, the stream's PUT_MEDIA data endpoint as
    ``kvsim serve`` answers it; returns the acknowledgements (newline-separated JSON)."""
    parts = urlsplit(endpoint)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=30)
    connection.putrequest("POST", parts.path + "/putMedia", skip_accept_encoding=True)
    for name, value in {
        "Authorization": f"AWS4-HMAC-SHA256 Credential=AKIDCAMERA/20260101/{region}/"
        "kinesisvideo/aws4_request, SignedHeaders=host, Signature=00",
        "x-amzn-stream-name": stream,
        "x-amzn-fragment-timecode-type": "RELATIVE",
        "x-amzn-producer-start-timestamp": f"{producer_start.timestamp():.3f}",
        "Transfer-Encoding": "chunked",
    }.items():
        connection.putheader(name, value)
    connection.endheaders()
    for start in range(0, len(body), 64 * 1024):
        piece = body[start : start + 64 * 1024]
        connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
    connection.send(b"0\r\n\r\n")
    response = connection.getresponse()
    acks = response.read()
    connection.close()
    assert response.status == 200, acks
    return acks
