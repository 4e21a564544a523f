"""A streamed binary payload as the facade hands it over: botocore's ``StreamingBody`` shape.

GetMedia, GetClip and GetMediaForFragmentList answer a binary payload.
Through boto3, botocore wraps it in its ``StreamingBody``; the facade's
clients wrap it in this class, which reads the same way.

>>> body = StreamingBody([b"ab", b"cd", b"e"])
>>> body.read(3), body.read(), body.read()
(b'abc', b'de', b'')
>>> list(StreamingBody(b"abcdef").iter_chunks(4))
[b'abcd', b'ef']
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from types import TracebackType

__all__ = ["StreamingBody"]


class StreamingBody:
    """A read-once binary body over bytes or an iterable of byte chunks."""

    __slots__ = ("_buffer", "_chunks", "_closed")

    def __init__(self, payload: bytes | Iterable[bytes]) -> None:
        if isinstance(payload, bytes | bytearray):
            self._buffer = bytes(payload)
            self._chunks: Iterator[bytes] = iter(())
        else:
            self._buffer = b""
            self._chunks = iter(payload)
        self._closed = False

    def __repr__(self) -> str:
        return f"<kvsim StreamingBody{' closed' if self._closed else ''}>"

    def read(self, amt: int | None = None) -> bytes:
        """Up to ``amt`` bytes (all that is left if None); ``b""`` at the end."""
        if self._closed:
            raise ValueError("I/O operation on a closed StreamingBody")
        if amt is None:
            # One join of the rest, not a copy per chunk.
            data = b"".join((self._buffer, *self._chunks))
            self._buffer = b""
            return data
        if len(self._buffer) < amt:
            parts = [self._buffer]
            have = len(self._buffer)
            while have < amt:
                chunk = next(self._chunks, None)
                if chunk is None:
                    break
                parts.append(chunk)
                have += len(chunk)
            self._buffer = b"".join(parts)
        data, self._buffer = self._buffer[:amt], self._buffer[amt:]
        return data

    def iter_chunks(self, chunk_size: int = 1024) -> Iterator[bytes]:
        """The rest of the body in chunks of ``chunk_size`` bytes (the last may be shorter)."""
        while chunk := self.read(chunk_size):
            yield chunk

    def chunks(self) -> Iterator[bytes]:
        """The rest of the body as it came: what is buffered, then each chunk whole.

        >>> list(StreamingBody([b"ab", b"cd"]).chunks())
        [b'ab', b'cd']
        """
        if self._buffer:
            data, self._buffer = self._buffer, b""
            yield data
        yield from self._chunks

    def __iter__(self) -> Iterator[bytes]:
        return self.iter_chunks()

    def close(self) -> None:
        """Drop what is left, and close the payload's iterator (a media reader's
        body then releases its connection)."""
        chunks = self._chunks
        self._buffer, self._chunks, self._closed = b"", iter(()), True
        close = getattr(chunks, "close", None)
        if close is not None:
            close()

    def __enter__(self) -> StreamingBody:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()
