"""Input validation, split between client and service exactly as botocore splits it.

botocore checks, before sending: required members, unknown members, Python
types, and ``min`` of string lengths, list lengths and integers. Everything
else in the model (``max``, ``pattern``, ``enum``, map sizes, and anything
JSON cannot carry faithfully) is the service's job, answered with
``InvalidArgumentException`` in AWS's validation-message style.

One walk over the input collects both kinds of problem: client-side ones win
(the request would never have been sent), otherwise all service-side ones are
reported in one message, as AWS does.

>>> name = String(min=1, max=8, pattern="[a-z]+")
>>> shape = Structure({"StreamName": name}, required=("StreamName",))
>>> shape.validate({"StreamName": "ABC"})
Traceback (most recent call last):
...
kvsim.errors.InvalidArgumentException: An error occurred (InvalidArgumentException) when calling the  operation: 1 validation error detected: Value 'ABC' at 'streamName' failed to satisfy constraint: Member must satisfy regular expression pattern: [a-z]+
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from ..core.clock import number_repr
from ..core.constants import JAVA_INT_MAX, JAVA_INT_MIN
from .errors import InvalidArgumentException, ParamValidationError

__all__ = [
    "BLOB",
    "BOOLEAN",
    "FLOAT",
    "TIMESTAMP",
    "Integer",
    "List",
    "Map",
    "Shape",
    "String",
    "Structure",
    "TagText",
    "Typed",
]

# The shapes' keyword arguments shadow these names inside their __init__.
builtins_min, builtins_max = min, max


class _Problems:
    """Collects client-side (botocore) and service-side (AWS) problems of one input."""

    __slots__ = ("client", "service")

    def __init__(self) -> None:
        self.client: list[str] = []
        self.service: list[str] = []

    def invalid_type(self, name: str, value: object, valid: Sequence[type | str]) -> None:
        names = ", ".join(str(t) for t in valid)
        self.client.append(
            f"Invalid type for parameter {name}, value: {_printed(value)}, "
            f"type: {type(value)}, valid types: {names}"
        )

    def constraint(self, path: str, value: object, constraint: str) -> None:
        self.service.append(
            f"Value '{_java_repr_safely(value)}' at '{path}' failed to satisfy constraint: "
            f"{constraint}"
        )


def _printed(value: object) -> str:
    """``str(value)``, as botocore and the service print a value, but never raising:
    Python refuses to print an int of over 4,300 digits, and containers nested
    thousands deep overflow its stack."""
    try:
        return str(value)
    except (ValueError, RecursionError):
        if isinstance(value, int):
            return number_repr(value)
        return f"<{type(value).__name__} nested too deeply to print>"


def _java_repr_safely(value: object) -> str:
    try:
        return _java_repr(value)
    except RecursionError:
        return f"<{type(value).__name__} nested too deeply to print>"


def _java_repr(value: object) -> str:
    """How the service (Java) prints a value in a validation message."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{_java_repr(k)}={_java_repr(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_java_repr(v) for v in value) + "]"
    return _printed(value)


def _wire_name(member: str) -> str:
    # AWS names a member in messages by its name with the first letter lowered.
    return member[:1].lower() + member[1:]


def _java_length(text: str) -> int:
    # Java measures strings in UTF-16 code units; astral characters count twice.
    if text.isascii():
        return len(text)
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


#: A shape's fast path: True only for a value its ``check`` finds nothing wrong with.
Accepts = Callable[[object], bool]


def _never(value: object) -> bool:
    return False


class Shape:
    """A model shape: checks a value, reporting client and service problems.

    ``accepts`` is the fast path of valid input: it may answer False for a
    valid value (the full check then decides), but True only for a value the
    full check finds nothing wrong with.
    """

    __slots__ = ("accepts",)

    accepts: Accepts

    def check(self, value: object, name: str, path: str, problems: _Problems) -> None:
        raise NotImplementedError

    def service_problems(self, value: Any) -> list[str]:
        """Constraint descriptions the service would report for a well-typed value."""
        return []


class String(Shape):
    """A string with optional ``min``/``max`` length, Java ``pattern`` and ``enum``.

    ``regex`` is the Python equivalent of ``pattern`` where the two differ;
    the message always shows the model's ``pattern``.
    """

    __slots__ = ("_match", "enum", "max", "min", "pattern")

    def __init__(
        self,
        *,
        min: int | None = None,
        max: int | None = None,
        pattern: str | None = None,
        regex: str | None = None,
        enum: Sequence[str] | None = None,
    ) -> None:
        self.min = min
        self.max = max
        self.pattern = pattern
        self.enum = tuple(enum) if enum is not None else None
        source = regex if regex is not None else pattern
        self._match = re.compile(source, re.ASCII).fullmatch if source is not None else None
        self.accepts = self._fast_path()

    def _fast_path(self) -> Accepts:
        # Strings of at most max // 2 code points fit max UTF-16 units; longer
        # ones, a pattern miss (or only the Unicode part of TagText's pattern)
        # and str subclasses go to the full check.
        low = self.min or 0
        high = JAVA_INT_MAX if self.max is None else self.max // 2
        match = self._match
        enum = frozenset(self.enum) if self.enum is not None else None
        if enum is not None:
            return lambda v: (
                type(v) is str
                and low <= len(v) <= high
                and v in enum
                and (match is None or match(v) is not None)
            )
        if match is None:
            return lambda v: type(v) is str and low <= len(v) <= high
        return lambda v: type(v) is str and low <= len(v) <= high and match(v) is not None

    def matches(self, value: str) -> bool:
        """Whether ``value`` satisfies the pattern (True when there is none)."""
        return self._match is None or self._match(value) is not None

    def check(self, value: object, name: str, path: str, problems: _Problems) -> None:
        if not isinstance(value, str):
            problems.invalid_type(name, value, (str,))
            return
        if self.min is not None and len(value) < self.min:
            problems.client.append(
                f"Invalid length for parameter {name}, value: {len(value)}, "
                f"valid min length: {self.min}"
            )
            return
        if not self.satisfied(value):
            for constraint in self.service_problems(value):
                problems.constraint(path, value, constraint)

    def satisfied(self, value: str) -> bool:
        """Whether ``value`` meets every service-side constraint (the fast path)."""
        limit = self.max
        if limit is not None and len(value) > limit // 2 and _java_length(value) > limit:
            return False
        if self.enum is not None and value not in self.enum:
            return False
        return self.matches(value)

    def service_problems(self, value: Any) -> list[str]:
        found = []
        if self.max is not None and _java_length(value) > self.max:
            found.append(f"Member must have length less than or equal to {self.max}")
        if self.enum is not None and value not in self.enum:
            found.append(f"Member must satisfy enum value set: [{', '.join(self.enum)}]")
        if self.pattern is not None and not self.matches(value):
            found.append(f"Member must satisfy regular expression pattern: {self.pattern}")
        return found


#: The punctuation tag keys and values allow beside letters, separators and numbers.
TAG_PUNCTUATION = "_.:/=+-@"
_TAG_PUNCTUATION = frozenset(TAG_PUNCTUATION)


class TagText(String):
    r"""A tag key or value: ``[\p{L}\p{Z}\p{N}_.:/=+\-@]*``, checked by Unicode category.

    Python's ``re`` has no ``\p{...}`` classes, so letters (L*), separators (Z*)
    and numbers (N*) are recognised with :mod:`unicodedata`.
    """

    __slots__ = ()

    def __init__(self, *, min: int, max: int, pattern: str) -> None:
        # The regex is the pattern's ASCII part: the fast path for common tags.
        super().__init__(min=min, max=max, pattern=pattern, regex=r"[A-Za-z0-9 _.:/=+\-@]*")

    def matches(self, value: str) -> bool:
        if super().matches(value):
            return True
        return all(c in _TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in value)


class Integer(Shape):
    """An integer with optional ``min`` (client-side) and ``max`` (service-side)."""

    __slots__ = ("max", "min")

    def __init__(self, *, min: int | None = None, max: int | None = None) -> None:
        self.min = min
        self.max = max
        low = JAVA_INT_MIN if min is None else builtins_max(min, JAVA_INT_MIN)
        high = JAVA_INT_MAX if max is None else builtins_min(max, JAVA_INT_MAX)
        # type() is int: bools (which need the full check's message) take the slow path.
        self.accepts: Accepts = lambda v: type(v) is int and low <= v <= high

    def check(self, value: object, name: str, path: str, problems: _Problems) -> None:
        if not isinstance(value, int):
            problems.invalid_type(name, value, (int,))
            return
        if self.min is not None and value < self.min:
            problems.client.append(
                f"Invalid value for parameter {name}, value: {_printed(value)}, "
                f"valid min value: {self.min}"
            )
            return
        if isinstance(value, bool):
            # botocore lets bools through as ints; JSON then carries true/false,
            # which the service does not read as a number.
            problems.constraint(path, value, "Member must be a number")
            return
        for constraint in self.service_problems(value):
            problems.constraint(path, value, constraint)

    def service_problems(self, value: Any) -> list[str]:
        limit = JAVA_INT_MAX if self.max is None else min(self.max, JAVA_INT_MAX)
        if value > limit:
            return [f"Member must have value less than or equal to {limit}"]
        if value < JAVA_INT_MIN:
            return [f"Member must have value greater than or equal to {JAVA_INT_MIN}"]
        return []


class Typed(Shape):
    """A member botocore checks by Python type only: a boolean, timestamp, blob or float.

    ``types`` are the accepted Python types; ``labels`` how botocore lists them
    in its report (some name no type, e.g. ``timestamp-string``).
    """

    __slots__ = ("labels", "types")

    def __init__(self, types: tuple[type, ...], labels: Sequence[type | str]) -> None:
        self.types = types
        self.labels = tuple(labels)
        exact = frozenset(types)
        self.accepts: Accepts = lambda v: type(v) in exact

    def check(self, value: object, name: str, path: str, problems: _Problems) -> None:
        if not isinstance(value, self.types) or (bool not in self.types and type(value) is bool):
            problems.invalid_type(name, value, self.labels)


#: botocore's client-side view of the scalar types it checks by type only.
BOOLEAN = Typed((bool,), (bool,))
TIMESTAMP = Typed((datetime, str, int, float), (datetime, "timestamp-string"))
BLOB = Typed((bytes, bytearray, str), (bytes, bytearray, "file-like object"))
FLOAT = Typed((float, int, Decimal), (float, Decimal, int))


class List(Shape):
    """A list (or tuple) of ``member``; ``min`` is client-side, ``max`` service-side."""

    __slots__ = ("max", "member", "min")

    def __init__(self, member: Shape, *, min: int | None = None, max: int | None = None) -> None:
        self.member = member
        self.min = min
        self.max = max
        low = min or 0
        high = JAVA_INT_MAX if max is None else max
        item = getattr(member, "accepts", _never)

        def accepts(v: object) -> bool:
            if type(v) is not list and type(v) is not tuple:
                return False
            return low <= len(v) <= high and all(map(item, v))

        self.accepts: Accepts = accepts

    def check(self, value: object, name: str, path: str, problems: _Problems) -> None:
        if not isinstance(value, list | tuple):
            problems.invalid_type(name, value, (list, tuple))
            return
        if self.min is not None and len(value) < self.min:
            problems.client.append(
                f"Invalid length for parameter {name}, value: {len(value)}, "
                f"valid min length: {self.min}"
            )
        if self.max is not None and len(value) > self.max:
            problems.constraint(
                path, value, f"Member must have length less than or equal to {self.max}"
            )
        member = self.member
        if isinstance(member, String):
            # AWS reports scalar list members as one constraint on the list.
            bad: list[str] = []
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    problems.invalid_type(f"{name}[{i}]", item, (str,))
                elif member.min is not None and len(item) < member.min:
                    problems.client.append(
                        f"Invalid length for parameter {name}[{i}], value: {len(item)}, "
                        f"valid min length: {member.min}"
                    )
                else:
                    bad.extend(c for c in member.service_problems(item) if c not in bad)
            if bad:
                problems.constraint(
                    path, value, f"Member must satisfy constraint: [{', '.join(bad)}]"
                )
            return
        for i, item in enumerate(value):
            member.check(item, f"{name}[{i}]", f"{path}.{i + 1}.member", problems)


class Map(Shape):
    """A dict of ``key`` → ``value`` shapes; its size limits are service-side only."""

    __slots__ = ("key", "max", "min", "value")

    def __init__(
        self, key: String, value: String, *, min: int | None = None, max: int | None = None
    ) -> None:
        self.key = key
        self.value = value
        self.min = min
        self.max = max
        low = min or 0
        high = JAVA_INT_MAX if max is None else max
        key_ok, value_ok = key.accepts, value.accepts

        def accepts(v: object) -> bool:
            if type(v) is not dict or not low <= len(v) <= high:
                return False
            return all(key_ok(k) and value_ok(x) for k, x in v.items())

        self.accepts: Accepts = accepts

    def check(self, value: object, name: str, path: str, problems: _Problems) -> None:
        if not isinstance(value, dict):
            problems.invalid_type(name, value, (dict,))
            return
        if self.min is not None and len(value) < self.min:
            problems.constraint(
                path, value, f"Member must have length greater than or equal to {self.min}"
            )
        if self.max is not None and len(value) > self.max:
            problems.constraint(
                path, value, f"Member must have length less than or equal to {self.max}"
            )
        bad_keys: list[str] = []
        bad_values: list[str] = []
        for key, item in value.items():
            for shape, part, label, bad in (
                (self.key, key, f"{name} (key: {key})", bad_keys),
                (self.value, item, f"{name}.{key}", bad_values),
            ):
                if not isinstance(part, str):
                    problems.invalid_type(label, part, (str,))
                elif shape.min is not None and len(part) < shape.min:
                    problems.client.append(
                        f"Invalid length for parameter {label}, value: {len(part)}, "
                        f"valid min length: {shape.min}"
                    )
                else:
                    bad.extend(c for c in shape.service_problems(part) if c not in bad)
        if bad_keys:
            problems.constraint(
                path, value, f"Map keys must satisfy constraint: [{', '.join(bad_keys)}]"
            )
        if bad_values:
            problems.constraint(
                path, value, f"Map value must satisfy constraint: [{', '.join(bad_values)}]"
            )


class Structure(Shape):
    """A structure of named members, some required."""

    __slots__ = ("_wire_names", "members", "required")

    def __init__(self, members: Mapping[str, Shape], *, required: Sequence[str] = ()) -> None:
        self.members = dict(members)
        self.required = tuple(required)
        self._wire_names = {name: _wire_name(name) for name in self.members}
        self.accepts = self._fast_path()

    def _fast_path(self) -> Accepts:
        # Every member known and accepted, every required one present.
        member_ok = {
            name: getattr(shape, "accepts", _never) for name, shape in self.members.items()
        }
        required = frozenset(self.required)
        find = member_ok.get

        def accepts(value: object) -> bool:
            if type(value) is not dict:
                return False
            for key, item in value.items():
                ok = find(key)
                if ok is None or not ok(item):
                    return False
            return required <= value.keys()  # a set test in C, no generator per call

        return accepts

    def check(self, value: object, name: str, path: str, problems: _Problems) -> None:
        if not isinstance(value, dict):
            problems.invalid_type(name, value, (dict,))
            return
        label = name or "input"
        members = self.members
        for required in self.required:
            if required not in value:
                problems.client.append(f'Missing required parameter in {label}: "{required}"')
        known = []
        for key in value:
            if key in members:
                known.append(key)
            else:
                problems.client.append(
                    f'Unknown parameter in {label}: "{key}", must be one of: {", ".join(members)}'
                )
        wire_names = self._wire_names
        if not name:  # the request itself: members are named as they are
            for key in known:
                members[key].check(value[key], key, wire_names[key], problems)
            return
        for key in known:
            members[key].check(value[key], f"{name}.{key}", f"{path}.{wire_names[key]}", problems)

    def validate(self, params: Mapping[str, Any]) -> None:
        """Check a whole input: raise the client-side or the service-side error.

        Raises :class:`~kvsim.errors.ParamValidationError` if botocore would
        refuse to send it, else :class:`~kvsim.errors.InvalidArgumentException`
        listing every constraint the service finds broken.
        """
        try:
            if self.accepts(params):
                return
            problems = _Problems()
            self.check(params, "", "", problems)
        except RecursionError:
            # Deeper than Python's stack: botocore could not have sent it either.
            raise ParamValidationError(
                report="Invalid parameters: containers nested too deeply to validate"
            ) from None
        if problems.client:
            raise ParamValidationError(report="\n".join(problems.client))
        if problems.service:
            count = len(problems.service)
            noun = "error" if count == 1 else "errors"
            raise InvalidArgumentException(
                f"{count} validation {noun} detected: " + "; ".join(problems.service)
            )
