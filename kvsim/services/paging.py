"""Pages of a sorted name index: what ListStreams and ListSignalingChannels share.

>>> from sortedcontainers import SortedDict
>>> index = SortedDict({name: name.upper() for name in ["a1", "a2", "a3", "b1"]})
>>> name_page(index, 2, None, "a")
(['A1', 'A2'], True)
>>> name_page(index, 2, "a2", "a")
(['A3'], False)
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sortedcontainers import SortedDict

__all__ = ["name_page"]


def name_page(
    index: SortedDict, limit: int, after: str | None, prefix: str | None
) -> tuple[list[Any], bool]:
    """Up to ``limit`` values of ``index`` (name → value) in name order, after the
    name ``after``, whose names start with ``prefix``; and whether more follow.
    O(log n + limit)."""
    start, inclusive = after, False
    if prefix is not None and (start is None or start < prefix):
        start, inclusive = prefix, True
    names: Iterator[str] = index.irange(minimum=start, inclusive=(inclusive, True))
    page: list[Any] = []
    more = False
    for name in names:
        if prefix is not None and not name.startswith(prefix):
            break
        if len(page) == limit:
            more = True
            break
        page.append(index[name])
    return page, more
