"""Validation shapes built from the generated model tables, with kvsim's deviations applied.

Java patterns become Python ones where the two differ: ``.`` stops at every
Java line terminator, and the ``\\p{L}``/``\\p{Z}``/``\\p{N}`` classes of tag
text are checked by Unicode category (:class:`~kvsim.model.validation.TagText`).

>>> sorted(input_shape("kinesisvideo", "DeleteStream").members)
['CurrentVersion', 'StreamARN']
>>> input_shape("kinesisvideo", "DeleteStream").required
('StreamARN',)
>>> named_shape("kinesisvideo", "StreamName").matches("cam-1")
True
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from ..core.constants import JAVA_INT_MAX
from .catalog import service_spec
from .deviations import DROPPED
from .validation import (
    BLOB,
    BOOLEAN,
    FLOAT,
    TIMESTAMP,
    Integer,
    List,
    Map,
    Shape,
    String,
    Structure,
    TagText,
    Typed,
)

__all__ = ["JAVA_LINE_TERMINATORS", "input_shape", "java_regex", "named_shape", "named_string"]

#: Java's line terminators: its "." matches anything but these (Python's stops at "\n" only).
JAVA_LINE_TERMINATORS = "\n\r\u0085\u2028\u2029"
_JAVA_DOT = f"[^{JAVA_LINE_TERMINATORS}]"
_UNICODE_CLASSES = r"\p{"
_TYPED: dict[str, Typed] = {
    "boolean": BOOLEAN,
    "timestamp": TIMESTAMP,
    "blob": BLOB,
    "float": FLOAT,
    "double": FLOAT,
}


def java_regex(pattern: str) -> str:
    r"""The Python regex matching what Java's ``pattern`` matches (with ``re.ASCII``).

    >>> java_regex(".+") == "[^\n\r\u0085\u2028\u2029]+"
    True
    >>> java_regex(r"[a-z.]+\.x")
    '[a-z.]+\\.x'
    """
    out: list[str] = []
    in_class = escaped = False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        elif char == "." and not in_class:
            out.append(_JAVA_DOT)
            continue
        out.append(char)
    return "".join(out)


def _string(data: Mapping[str, Any], dropped: set[str]) -> String:
    pattern = None if "pattern" in dropped else data.get("pattern")
    low, high = data.get("min"), None if "max" in dropped else data.get("max")
    if pattern is not None and _UNICODE_CLASSES in pattern:
        return TagText(
            min=low or 0, max=high if high is not None else JAVA_INT_MAX, pattern=pattern
        )
    regex = None if pattern is None else java_regex(pattern)
    return String(
        min=low,
        max=high,
        pattern=pattern,
        regex=regex if regex != pattern else None,
        enum=data.get("enum"),
    )


class _Builder:
    """Builds the shapes of one operation's input, applying its deviations."""

    def __init__(self, service: str, operation: str) -> None:
        self.service = service
        self.operation = operation
        self.shapes = service_spec(service).shapes

    def build(self, name: str, path: tuple[str, ...]) -> Shape:
        data = self.shapes[name]
        dropped = {
            kind
            for (service, op, where, kind) in DROPPED
            if (service, op, where) == (self.service, self.operation, path)
        }
        kind = data["type"]
        if kind == "string":
            return _string(data, dropped)
        if kind in ("integer", "long"):
            return Integer(min=data.get("min"), max=data.get("max"))
        if kind == "list":
            return List(
                self.build(data["member"], (*path, "[]")),
                min=data.get("min"),
                max=None if "max" in dropped else data.get("max"),
            )
        if kind == "map":
            key = self.build(data["key"], (*path, "{key}"))
            value = self.build(data["value"], (*path, "{value}"))
            assert isinstance(key, String) and isinstance(value, String), name
            return Map(
                key, value, min=data.get("min"), max=None if "max" in dropped else data.get("max")
            )
        if kind == "structure":
            members = {
                member: self.build(info["shape"], (*path, member))
                for member, info in data["members"].items()
            }
            return Structure(members, required=data.get("required", ()))
        return _TYPED[kind]


@functools.cache
def input_shape(service: str, operation: str) -> Structure:
    """The validation shape of ``operation``'s input (built once)."""
    spec = service_spec(service).operations[operation]
    if spec.input is None:
        return Structure({})
    shape = _Builder(service, operation).build(spec.input, ())
    assert isinstance(shape, Structure)
    return shape


@functools.cache
def named_shape(service: str, name: str) -> Shape:
    """The validation shape of the model's shape ``name`` (no deviations applied)."""
    return _Builder(service, "").build(name, ())


def named_string(service: str, name: str) -> String:
    """The validation shape of the model's string shape ``name``."""
    shape = named_shape(service, name)
    assert isinstance(shape, String), f"{service} {name} is not a string shape"
    return shape
