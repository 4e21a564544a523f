"""Assertions and small tools shared by the tests (importable as ``helpers``: pytest
puts ``tests/`` on ``sys.path`` for its test modules)."""

from __future__ import annotations

import http.client
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from fractions import Fraction
from pathlib import Path
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


@contextmanager
def kvsim_serve_process(*options: str) -> Iterator[str]:
    """``python -m kvsim serve --port 0 OPTIONS`` in a subprocess for the ``with``
    block: its base URL. It must stop cleanly (exit 0) on SIGTERM."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "kvsim", "serve", "--port", "0", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    base = proc.stdout.readline().strip()
    try:
        assert base.startswith("http://127.0.0.1:"), proc.stderr.read() if proc.stderr else ""
        yield base
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=20)
    assert proc.returncode == 0


def advance_served(base: str, seconds: float) -> None:
    """Move a served world's virtual clock: ``POST /_kvsim/advance?seconds=N``."""
    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    connection.request("POST", f"/_kvsim/advance?seconds={seconds}")
    response = connection.getresponse()
    response.read()
    connection.close()
    assert response.status == 200


def ffmpeg_frame_times(url: str) -> tuple[int, list[Fraction], str]:
    """The FFmpeg command line (``imageio-ffmpeg``'s static build, which has the
    DASH demuxer PyAV's lacks) playing ``url``: its exit status, every decoded
    video frame's presentation time in seconds (``-f framemd5``), its errors."""
    imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")
    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-loglevel", "error", "-i", url]
    done = subprocess.run(
        [*command, "-map", "0:v", "-f", "framemd5", "-"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    base = Fraction(1)
    times = []
    for line in done.stdout.splitlines():
        if line.startswith("#tb 0:"):
            base = Fraction(line.split(":", 1)[1].strip())
        elif line and not line.startswith("#"):
            times.append(int(line.split(",")[2]) * base)
    return done.returncode, times, done.stderr


#: The JavaScript clients the tests drive (``tests/js``; ``.ci/run`` runs ``npm ci`` there).
JS = Path(__file__).resolve().parent / "js"


def node_with(package: str) -> str:
    """The ``node`` executable, with ``tests/js``'s ``package`` installed (skips the
    test without Node.js). A fresh clone gets exactly the lock file's packages
    (``npm ci``); an older ``node_modules`` without ``package`` is completed in
    place (``npm install --no-save``), not removed under other tests' feet."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if node is None or npm is None:
        pytest.skip(f"Node.js and npm are needed to run {package}")
    if not (JS / "node_modules" / package).is_dir():
        fresh = not (JS / "node_modules").is_dir()
        command = ["ci"] if fresh else ["install", "--no-save"]
        subprocess.run(
            [npm, *command, "--no-audit", "--no-fund"],
            cwd=JS,
            check=True,
            timeout=600,
            capture_output=True,
        )
    return node
