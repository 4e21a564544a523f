"""The fragment stores in snapshots: :data:`FRAGMENTS`, the snapshot family of
:class:`~kvsim.services.fragments.FragmentStore` (its columns run-length encoded
by differences, each distinct media object once, as MKV)."""

from __future__ import annotations

import base64
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from sortedcontainers import SortedList

from ..core.resources import (
    Corrupt,
    Item,
    Place,
    need_fields,
    need_int,
    need_list,
    need_str,
)
from .fragments import FragmentStore

if TYPE_CHECKING:
    from .state import Region

__all__ = ["FRAGMENTS", "FragmentFamily"]


def _runs(values: Any) -> list[list[int]]:
    # Run-length encoding of the differences: [[delta, count], ...].
    runs: list[list[int]] = []
    previous = 0
    for value in values:
        delta = value - previous
        previous = value
        if runs and runs[-1][0] == delta:
            runs[-1][1] += 1
        else:
            runs.append([delta, 1])
    return runs


def _unrun(runs: list[list[int]]) -> list[int]:
    values: list[int] = []
    value = 0
    for delta, count in runs:
        for _ in range(count):
            value += delta
            values.append(value)
    return values


_COLUMNS = ("seqs", "server", "producer", "durations", "sizes")
_FIELDS = ("stream", "base", "next_seq", "expiry", "points", "columns", "media", "media_rows")


def _media_text(media: Any) -> str | None:
    if media is None:
        return None
    from ..media.mkv import write_mkv

    header, cluster = media
    data = b"".join(write_mkv(header, [(cluster, cluster.tags)]))
    return base64.b64encode(data).decode("ascii")


def _media_value(text: str | None) -> Any:
    if text is None:
        return None
    from ..media.mkv import read_mkv

    header, clusters = read_mkv(base64.b64decode(text))
    return header, clusters[0]


class FragmentFamily:
    """The fragment stores of a region's streams, for snapshots: columns run-length
    encoded by differences, each distinct media object once."""

    name = "fragments"

    def dump(self, region: Region) -> list[dict[str, Any]]:
        """One item per stream that holds a store, in name order."""
        items = []
        for stream in region.streams.values():
            store: FragmentStore | None = stream.fragments
            if store is None:
                continue
            rows = store.rows()
            table: dict[int, int] = {}
            texts: list[str | None] = []
            media_rows = []
            for row in rows:
                media = store.media[row]
                index = table.get(id(media))
                if index is None:
                    index = table[id(media)] = len(texts)
                    texts.append(_media_text(media))
                media_rows.append(index)
            extra: dict[str, Any] = {}
            feed = store.feed
            if feed is not None:
                # A producer on the clock: what it has left to send, and when.
                index = table.get(id(feed[4]))
                if index is None:
                    index = table[id(feed[4])] = len(texts)
                    texts.append(_media_text(feed[4]))
                extra["feed"] = [store.feeding, feed[0], feed[1], feed[2], feed[3], index, feed[5]]
            items.append(
                {
                    **extra,
                    "stream": stream.name,
                    "base": str(store.base),
                    "next_seq": store.next_seq,
                    "expiry": store.expiry,
                    "points": {k: list(v) for k, v in sorted(store.points.items())},
                    "columns": {
                        name: _runs(getattr(store, name)[store.head :]) for name in _COLUMNS
                    },
                    "media": texts,
                    "media_rows": _runs(media_rows),
                }
            )
        return items

    def check(self, items: object, place: Place) -> dict[str, Item]:
        """Refuse what :meth:`dump` could not have written; the stores by stream name."""
        checked: dict[str, Item] = {}
        for index, data in enumerate(need_list(items, place.where)):
            where = f"{place.where}[{index}]"
            item = need_fields(data, where, _FIELDS, ("feed",))
            name = need_str(item["stream"], (where, "stream"))
            if name in checked:
                raise Corrupt((where, "stream"), f"{name!r} appears twice")
            base = need_str(item["base"], (where, "base"))
            if not base.isdigit() or len(base) != 47:
                raise Corrupt((where, "base"), "a fragment number base has 47 digits")
            next_seq = need_int(item["next_seq"], (where, "next_seq"), low=0)
            expiry = need_int(item["expiry"], (where, "expiry"), low=0)
            try:
                columns = {col: _unrun(item["columns"][col]) for col in _COLUMNS}
                media_rows = _unrun(item["media_rows"])
            except (KeyError, TypeError, ValueError):
                raise Corrupt((where, "columns"), "malformed fragment columns") from None
            counts = {len(v) for v in columns.values()} | {len(media_rows)}
            if len(counts) != 1:
                raise Corrupt((where, "columns"), "the fragment columns differ in length")
            seqs, server = columns["seqs"], columns["server"]
            if any(b <= a for a, b in pairwise(seqs)) or (
                seqs and not 0 <= seqs[0] <= seqs[-1] < next_seq
            ):
                raise Corrupt((where, "columns"), "sequence numbers must increase below next_seq")
            if any(b < a for a, b in pairwise(server)):
                raise Corrupt((where, "columns"), "server timestamps must not go back")
            media = need_list(item["media"], (where, "media"))
            if any(not 0 <= m < len(media) for m in media_rows):
                raise Corrupt((where, "media_rows"), "a row names no media")
            feeding = 0
            if "feed" in item:
                feed = need_list(item["feed"], (where, "feed"))
                if len(feed) != 7 or any(type(v) is not int or v < 0 for v in feed):
                    raise Corrupt((where, "feed"), "a feed is 7 ints >= 0")
                if not feed[0] or not len(media) > feed[5]:
                    raise Corrupt((where, "feed"), "a feed names its change and media")
                feeding = feed[0]
            checked[name] = Item(
                where,
                "STORED",
                {"expiry": expiry, "feeding": feeding},
                ("streams", name, ("ACTIVE", "UPDATING", "CREATING", "DELETING")),
            )
        return checked

    def load(self, region: Region, items: list[Any]) -> None:
        """Recreate the stores :meth:`dump` wrote."""
        for item in items:
            stream = region.streams[item["stream"]]
            store = stream.fragments = FragmentStore(stream, base=int(item["base"]))
            store.next_seq = item["next_seq"]
            store.expiry = item["expiry"]
            store.points = {k: [float(v[0]), int(v[1])] for k, v in item["points"].items()}
            values = [_media_value(text) for text in item["media"]]
            columns = {col: _unrun(item["columns"][col]) for col in _COLUMNS}
            for col in _COLUMNS:
                getattr(store, col).extend(columns[col])
            store.media.extend(values[i] for i in _unrun(item["media_rows"]))
            store.bytes = sum(store.sizes)
            if "feed" in item:
                _seq, left, duration, size, producer, index, due = item["feed"]
                store.feed = [left, duration, size, producer, values[index], due]
                store.session = True
            producer = list(store.producer)
            if any(b < a for a, b in pairwise(producer)):
                store.producer_index = SortedList(zip(producer, store.seqs, strict=True))

    def key(self, resource: FragmentStore) -> str:
        """A store's key: its stream's name."""
        assert resource.stream is not None
        return resource.stream.name

    def find(self, region: Region, key: str) -> FragmentStore:
        """The store of the stream named ``key``."""
        store: FragmentStore | None = region.streams[key].fragments
        if store is None:
            raise KeyError(key)
        return store


#: The fragment store family.
FRAGMENTS = FragmentFamily()
