"""Assertions shared by the operation tests (importable as ``helpers``: pytest puts
``tests/`` on ``sys.path`` for its test modules)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

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
