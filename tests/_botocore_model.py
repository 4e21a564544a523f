"""botocore's installed ``kinesisvideo`` model, read for the conformance tests.

The model is the truth for shapes; this module only *reads* it (never copies
it) and adds what the tests need around it:

- :func:`botocore_report`: botocore's own client-side validation report;
- :data:`PATTERNS`: for every ``pattern`` the model uses, an oracle with Java's
  semantics, value builders and a hypothesis strategy. A pattern missing from
  the table makes the tests fail, so a model change is noticed, not skipped;
- :func:`model_violations`: *every* constraint of a shape (``max``,
  ``pattern``, ``enum`` and map sizes included, which botocore's validator
  leaves to the service), for checking responses;
- :func:`constraints`: a generic walk listing each constraint of an input;
- :func:`requests`: hypothesis strategies of valid requests built from the model.
"""

from __future__ import annotations

import copy
import functools
import re
import string
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import botocore.session
from botocore.model import OperationModel, ServiceModel, Shape
from botocore.validate import ParamValidator
from hypothesis import strategies as st

# The service reads model integers into Java ints.
JAVA_INT_MIN = -(2**31)
JAVA_INT_MAX = 2**31 - 1


@functools.cache
def service_model() -> ServiceModel:
    """The installed ``kinesisvideo`` service model."""
    return botocore.session.get_session().get_service_model("kinesisvideo")


def operation(name: str) -> OperationModel:
    """The model of one operation, e.g. ``"CreateStream"``."""
    return service_model().operation_model(name)


def input_shape(name: str) -> Shape:
    """The input structure of an operation."""
    shape = operation(name).input_shape
    assert shape is not None
    return shape


def output_shape(name: str) -> Shape:
    """The output structure of an operation."""
    shape = operation(name).output_shape
    assert shape is not None
    return shape


def modeled_errors(name: str) -> dict[str, int]:
    """The error codes an operation may answer, each with its modeled HTTP status."""
    return {
        shape.name: shape.metadata["error"]["httpStatusCode"]
        for shape in operation(name).error_shapes
    }


#: Where the real service's status differs from the model's (kvsim follows the
#: real service: kvs-real-service-evidence 1.3).
REAL_STATUS = {"AccessDeniedException": 403}


def answered_errors(name: str) -> dict[str, int]:
    """The error codes an operation may answer, each with the status kvsim answers it with."""
    return {code: REAL_STATUS.get(code, status) for code, status in modeled_errors(name).items()}


def error_shapes() -> dict[str, int]:
    """Every error shape of the whole service, with its HTTP status."""
    model = service_model()
    found = {}
    for name in model.shape_names:
        metadata = model.shape_for(name).metadata
        if metadata.get("exception"):
            found[name] = metadata["error"]["httpStatusCode"]
    return found


def botocore_report(params: Any, shape: Shape) -> str:
    """botocore's client-side validation report of ``params`` ("" when it has no complaint)."""
    return str(ParamValidator().validate(params, shape).generate_report())


def java_length(text: str) -> int:
    """A string's length as Java measures it: UTF-16 code units."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


# -- the model's patterns, with Java semantics ---------------------------------------------


@dataclass(frozen=True)
class PatternKit:
    """What the tests know about one model ``pattern``.

    ``matches`` is the oracle (Java full-match semantics); ``sample(i)`` a short
    matching value, distinct for each ``i``; ``fill(n)`` a matching value of
    exactly ``n`` characters (None where none is that short); ``bad`` short
    values the pattern refuses; ``text(min, max)`` a strategy of matching values.
    """

    matches: Callable[[str], bool]
    sample: Callable[[int], str]
    fill: Callable[[int], str | None]
    bad: tuple[str, ...]
    text: Callable[[int, int], st.SearchStrategy[str]]


def _ascii_matcher(pattern: str) -> Callable[[str], bool]:
    # Java's \w and \d are ASCII-only unless UNICODE_CHARACTER_CLASS is set.
    compiled = re.compile(pattern, re.ASCII)
    return lambda value: compiled.fullmatch(value) is not None


def _alphabet_text(alphabet: str) -> Callable[[int, int], st.SearchStrategy[str]]:
    return lambda lo, hi: st.text(alphabet=alphabet, min_size=lo, max_size=hi)


# Java's "." matches anything but these line terminators.
_JAVA_LINE_TERMINATORS = "\n\r\x85\u2028\u2029"
# The punctuation TagKey/TagValue allow beside letters, separators and numbers.
TAG_PUNCTUATION = "_.:/=+-@"


def _tag_matches(value: str) -> bool:
    # [\p{L}\p{Z}\p{N}_.:/=+\-@]*: Unicode letters, separators, numbers, and six marks.
    return all(c in TAG_PUNCTUATION or unicodedata.category(c)[0] in "LZN" for c in value)


def _tag_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    # BMP only, so the Java length equals the Python length and `max` stays exact.
    chars = st.characters(
        categories=("L", "Z", "N"), include_characters=TAG_PUNCTUATION, max_codepoint=0xFFFF
    )
    return st.text(alphabet=chars, min_size=lo, max_size=hi)


def _line_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    chars = st.characters(
        exclude_categories=("Cs",),
        exclude_characters=_JAVA_LINE_TERMINATORS,
        max_codepoint=0xFFFF,
    )
    return st.text(alphabet=chars, min_size=max(lo, 1), max_size=hi)


_NAME_CHARS = string.ascii_letters + string.digits + "_.-"
_MEDIA_CHARS = string.ascii_letters + string.digits + "_-.+"
_ARN_PREFIX = "arn:aws:kinesisvideo:us-east-1:123456789012:stream/"


def _media_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    part = st.text(alphabet=_MEDIA_CHARS, min_size=1, max_size=10)
    pair = st.builds(lambda a, b: f"{a}/{b}", part, part)
    # At most 4 pairs of at most 21 characters: always within 3..128.
    assert lo <= 3 and hi >= 4 * 21 + 3
    return st.lists(pair, min_size=1, max_size=4).map(",".join)


def _arn_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    lower = string.ascii_lowercase
    parts = st.tuples(
        st.text(alphabet=lower + string.digits + "-", min_size=1, max_size=10),
        st.text(alphabet=lower + string.digits + "-", min_size=1, max_size=20),
        st.text(alphabet=string.digits, min_size=1, max_size=12),
        st.text(alphabet=lower, min_size=1, max_size=10),
        st.text(alphabet=_NAME_CHARS, min_size=1, max_size=64),
        st.text(alphabet=string.digits, min_size=1, max_size=13),
    )
    # Well within 1..1024 characters.
    assert lo <= 1 and hi >= 200
    return parts.map(lambda p: f"arn:{p[0]}:kinesisvideo:{p[1]}:{p[2]}:{p[3]}/{p[4]}/{p[5]}")


def _arn_fill(n: int) -> str | None:
    room = n - len(_ARN_PREFIX) - len("/1")
    return _ARN_PREFIX + "a" * room + "/1" if room >= 1 else None


_TAG_KIT = dict(
    matches=_tag_matches,
    fill=lambda n: "k" * n,
    bad=("a!", "\U0001f600", "\x07", "#", "a\tb", "e\u0301"),
    text=_tag_text,
)

# -- the patterns of the image, notification and edge configurations --------------------

_REGION_NAMES = ("us-east-1", "eu-west-1", "cn-north-1", "ca-central-1", "ap-southeast-2")
_HUB_PREFIX = "arn:aws:iot:us-east-1:123456789012:thing/"
_SECRET_PREFIX = "arn:aws:secretsmanager:us-east-1:123456789012:secret:"
_WORD_CHARS = string.ascii_letters + string.digits + "_"


def _prefixed_fill(prefix: str) -> Callable[[int], str | None]:
    return lambda n: prefix + "a" * (n - len(prefix)) if n > len(prefix) else None


def _prefixed_text(prefix: str, shortest: int) -> Callable[[int, int], st.SearchStrategy[str]]:
    def text(lo: int, hi: int) -> st.SearchStrategy[str]:
        assert lo <= shortest and hi >= len(prefix) + 40
        return st.text(alphabet=_NAME_CHARS, min_size=1, max_size=40).map(prefix.__add__)

    return text


def _region_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    assert lo <= 9 and hi >= 14
    return st.sampled_from(_REGION_NAMES)


def _uri_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    assert lo <= 1 and hi >= 100
    return st.builds(
        lambda scheme, host, path: f"{scheme}://{host}/{path}",
        st.text(alphabet=_WORD_CHARS, min_size=1, max_size=8),
        st.text(alphabet=_NAME_CHARS, min_size=1, max_size=40),
        st.text(alphabet=_NAME_CHARS + "/", max_size=40),
    )


def _schedule_text(lo: int, hi: int) -> st.SearchStrategy[str]:
    chars = st.characters(exclude_categories=("Cs",), exclude_characters="\n", max_codepoint=0xFFFF)
    return st.text(alphabet=chars, min_size=max(lo, 11), max_size=min(hi, 100))


CONFIG_PATTERNS: dict[str, PatternKit] = {
    "^[a-z]+(-[a-z]+)?-[a-z]+-[0-9]$": PatternKit(
        matches=_ascii_matcher("^[a-z]+(-[a-z]+)?-[a-z]+-[0-9]$"),
        sample=lambda i: f"us-east-{i % 10}",
        fill=lambda n: "a" * (n - 4) + "-b-1" if n >= 5 else None,
        bad=("US-EAST-1", "us-east-11", "us_east_1", "us-east-a", "useast-1-2"),
        text=_region_text,
    ),
    "^[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)$": PatternKit(
        matches=_ascii_matcher("^[a-zA-Z_0-9]+:(//)?([^/]+)/?([^*]*)$"),
        sample=lambda i: f"s3://bucket-{i}",
        fill=lambda n: "s:" + "b" * (n - 2) if n >= 3 else None,
        bad=("s3//bucket", ":bucket", "s3:///bucket", "s3://b/key*", "s 3://b"),
        text=_uri_text,
    ),
    "^[a-zA-Z_0-9]+": PatternKit(
        matches=_ascii_matcher("^[a-zA-Z_0-9]+"),
        sample=lambda i: f"{80 - i}",
        fill=lambda n: "9" * n if n >= 1 else None,
        bad=("8 0", "80%", "-1", "8.5"),
        text=lambda lo, hi: st.text(alphabet=_WORD_CHARS, min_size=max(lo, 1), max_size=hi),
    ),
    r"arn:[a-z\d-]+:iot:[a-z0-9-]+:[0-9]+:thing/[a-zA-Z0-9_.-]+": PatternKit(
        matches=_ascii_matcher(r"arn:[a-z\d-]+:iot:[a-z0-9-]+:[0-9]+:thing/[a-zA-Z0-9_.-]+"),
        sample=lambda i: f"{_HUB_PREFIX}hub-{i}",
        fill=_prefixed_fill(_HUB_PREFIX),
        bad=(
            "not-an-arn",
            _HUB_PREFIX,
            "arn:aws:iot:us-east-1:123456789012:policy/p",
            "arn:aws:kinesisvideo:us-east-1:1:thing/x",
        ),
        text=_prefixed_text(_HUB_PREFIX, 1),
    ),
    r"arn:[a-z\d-]+:secretsmanager:[a-z0-9-]+:[0-9]+:secret:[a-zA-Z0-9_.-]+": PatternKit(
        matches=_ascii_matcher(
            r"arn:[a-z\d-]+:secretsmanager:[a-z0-9-]+:[0-9]+:secret:[a-zA-Z0-9_.-]+"
        ),
        sample=lambda i: f"{_SECRET_PREFIX}cam-{i}",
        fill=_prefixed_fill(_SECRET_PREFIX),
        bad=(
            "arn:aws:secretsmanager:us-east-1:1:secret:",
            "arn:aws:s3:::bucket-name-long",
            "arn:aws:secretsmanager:us-east-1:1:secret:a b",
            "not an arn at all, but long",
        ),
        text=_prefixed_text(_SECRET_PREFIX, 20),
    ),
    "[^\\n]{11,100}": PatternKit(
        matches=lambda v: 11 <= len(v) <= 100 and "\n" not in v,
        sample=lambda i: f"0 0/{i + 1} * * * ?",
        fill=lambda n: "0" * n if 11 <= n <= 100 else None,
        bad=("0 0/5 * * *\n?", "\n" * 12),
        text=_schedule_text,
    ),
}

#: Every pattern the 15 operations' shapes use, by the model's exact text.
PATTERNS: dict[str, PatternKit] = {
    "[a-zA-Z0-9_.-]+": PatternKit(
        matches=_ascii_matcher("[a-zA-Z0-9_.-]+"),
        sample=lambda i: f"name-{i}",
        fill=lambda n: "n" * n,
        bad=("bad name", "cam#1", "\u00fc", "a/b"),
        text=_alphabet_text(_NAME_CHARS),
    ),
    r"[\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*": PatternKit(
        matches=_ascii_matcher(r"[\w\-\.\+]+/[\w\-\.\+]+(,[\w\-\.\+]+/[\w\-\.\+]+)*"),
        sample=lambda i: f"video/x{i}",
        fill=lambda n: "v/" + "x" * (n - 2) if n >= 3 else None,
        bad=("video", "video/", "/h264", "video/h264,", "video/h 264", "vid\u00e9o/h264"),
        text=_media_text,
    ),
    ".+": PatternKit(
        matches=lambda v: bool(v) and not any(c in _JAVA_LINE_TERMINATORS for c in v),
        sample=lambda i: f"key-{i}",
        fill=lambda n: "k" * n,
        bad=("\n", "key\r", "a\u2028b", "\x85"),
        text=_line_text,
    ),
    "[a-zA-Z0-9]+": PatternKit(
        matches=_ascii_matcher("[a-zA-Z0-9]+"),
        sample=lambda i: f"v{i}",
        fill=lambda n: "v" * n,
        bad=("v-1", "abc def", "\u00e4"),
        text=_alphabet_text(string.ascii_letters + string.digits),
    ),
    "[a-zA-Z0-9+/=]*": PatternKit(
        matches=_ascii_matcher("[a-zA-Z0-9+/=]*"),
        sample=lambda i: f"T{i}",
        fill=lambda n: "A" * n,
        bad=("a b", "a_b", "-", "tok!"),
        text=_alphabet_text(string.ascii_letters + string.digits + "+/="),
    ),
    r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+": PatternKit(
        matches=_ascii_matcher(
            r"arn:[a-z\d-]+:kinesisvideo:[a-z0-9-]+:[0-9]+:[a-z]+/[a-zA-Z0-9_.-]+/[0-9]+"
        ),
        sample=lambda i: f"{_ARN_PREFIX}s{i}/1",
        fill=_arn_fill,
        bad=(
            "not-an-arn",
            f"{_ARN_PREFIX}cam 1/1",
            f"{_ARN_PREFIX}cam-1/",
            "arn:aws:s3:::bucket",
        ),
        text=_arn_text,
    ),
    r"^([\p{L}\p{Z}\p{N}_.:/=+\-@]*)$": PatternKit(sample=lambda i: f"key{i}", **_TAG_KIT),
    r"[\p{L}\p{Z}\p{N}_.:/=+\-@]*": PatternKit(sample=lambda i: f"value{i}", **_TAG_KIT),
    **CONFIG_PATTERNS,
}


def kit(shape: Shape) -> PatternKit:
    """The pattern kit of a string shape (KeyError names a pattern the tests don't know)."""
    return PATTERNS[shape.metadata["pattern"]]


# -- checking values against every constraint ----------------------------------------------


def model_violations(value: Any, shape: Shape, name: str = "") -> list[str]:
    """Every way ``value`` breaks ``shape``: types, required members, ``min``/``max``
    (Java lengths), ``pattern``, ``enum``, list and map sizes. Empty when it conforms."""
    label = name or "input"
    kind = shape.type_name
    meta = shape.metadata
    found: list[str] = []
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{label}: not a dict"]
        found += [f"{label}: missing {m}" for m in meta.get("required", []) if m not in value]
        for key, item in value.items():
            member = shape.members.get(key)
            where = f"{name}.{key}" if name else key
            if member is None:
                found.append(f"{label}: unknown member {key}")
            else:
                found += model_violations(item, member, where)
        return found
    if kind in ("list", "map"):
        if not isinstance(value, list | tuple if kind == "list" else dict):
            return [f"{label}: not a {kind}"]
        size = len(value)
        if "min" in meta and size < meta["min"]:
            found.append(f"{label}: size {size} is below min {meta['min']}")
        if "max" in meta and size > meta["max"]:
            found.append(f"{label}: size {size} is above max {meta['max']}")
        if kind == "list":
            for i, item in enumerate(value):
                found += model_violations(item, shape.member, f"{label}[{i}]")
        else:
            for key, item in value.items():
                found += model_violations(key, shape.key, f"{label} (key: {key})")
                found += model_violations(item, shape.value, f"{label}.{key}")
        return found
    if kind == "string":
        if not isinstance(value, str):
            return [f"{label}: not a str"]
        length = java_length(value)
        if "min" in meta and length < meta["min"]:
            found.append(f"{label}: length {length} is below min {meta['min']}")
        if "max" in meta and length > meta["max"]:
            found.append(f"{label}: length {length} is above max {meta['max']}")
        if "pattern" in meta and not kit(shape).matches(value):
            found.append(f"{label}: does not match {meta['pattern']}")
        if shape.enum and value not in shape.enum:
            found.append(f"{label}: not in enum {shape.enum}")
        return found
    if kind == "integer":
        if isinstance(value, bool) or not isinstance(value, int):
            return [f"{label}: not an int"]
        low = meta.get("min", JAVA_INT_MIN)
        high = min(meta.get("max", JAVA_INT_MAX), JAVA_INT_MAX)
        if not low <= value <= high:
            found.append(f"{label}: {value} is outside {low}..{high}")
        return found
    if kind == "timestamp":
        if not isinstance(value, datetime) or value.tzinfo is None:
            return [f"{label}: not a tz-aware datetime"]
        return found
    if kind == "boolean":
        return [] if isinstance(value, bool) else [f"{label}: not a bool"]
    raise AssertionError(f"{label}: the tests do not know model type {kind}")


# -- walking the constraints of an input ---------------------------------------------------

#: Path steps other than member names: a list's first item, a map's first key or value.
ITEM, KEY, VALUE = "[]", "{key}", "{value}"


@dataclass(frozen=True)
class Constraint:
    """One constraint of an input: ``kind`` (required, min, max, pattern, enum) on the
    value at ``path`` (member names and :data:`ITEM`/:data:`KEY`/:data:`VALUE` steps).
    For ``required``, ``path`` is the structure and ``member`` the required member."""

    path: tuple[str, ...]
    kind: str
    shape: Shape
    member: str = ""

    def __str__(self) -> str:
        where = ".".join(self.path) or "input"
        return f"{where}:{self.kind}" + (f"={self.member}" if self.member else "")


def constraints(shape: Shape, path: tuple[str, ...] = ()) -> Iterator[Constraint]:
    """Every constraint in ``shape`` and below it, in model order."""
    meta = shape.metadata
    kind = shape.type_name
    if kind == "structure":
        for member in meta.get("required", []):
            yield Constraint(path, "required", shape, member)
        for name, member_shape in shape.members.items():
            yield from constraints(member_shape, (*path, name))
        return
    if meta.get("min", 0) > 0 or (kind == "integer" and "min" in meta):
        yield Constraint(path, "min", shape)
    if "max" in meta:
        yield Constraint(path, "max", shape)
    if "pattern" in meta:
        yield Constraint(path, "pattern", shape)
    if kind == "string" and shape.enum:
        yield Constraint(path, "enum", shape)
    if kind == "list":
        yield from constraints(shape.member, (*path, ITEM))
    elif kind == "map":
        yield from constraints(shape.key, (*path, KEY))
        yield from constraints(shape.value, (*path, VALUE))


def leaves(shape: Shape, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Shape]]:
    """Every value position of an input (members, list items, map keys and values)."""
    kind = shape.type_name
    if path:
        yield path, shape
    if kind == "structure":
        for name, member_shape in shape.members.items():
            yield from leaves(member_shape, (*path, name))
    elif kind == "list":
        yield from leaves(shape.member, (*path, ITEM))
    elif kind == "map":
        yield from leaves(shape.key, (*path, KEY))
        yield from leaves(shape.value, (*path, VALUE))


def sample(shape: Shape, i: int = 0) -> Any:
    """A small valid value of ``shape``, distinct for each ``i`` where the shape allows."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        return {name: sample(member, i) for name, member in shape.members.items()}
    if kind == "list":
        return [sample(shape.member, i)]
    if kind == "map":
        return {sample(shape.key, i): sample(shape.value, i)}
    if kind == "string":
        if shape.enum:
            return shape.enum[i % len(shape.enum)]
        return kit(shape).sample(i) if "pattern" in meta else f"s{i}"
    if kind == "integer":
        return min(meta.get("min", 0) + i, meta.get("max", JAVA_INT_MAX))
    if kind == "boolean":
        return i % 2 == 0
    raise AssertionError(f"no sample for model type {kind}")


def violating_values(c: Constraint) -> list[Any]:
    """Values that break exactly constraint ``c`` (nothing for ``required``)."""
    shape, meta = c.shape, c.shape.metadata
    kind = shape.type_name
    if c.kind == "min":
        if kind == "integer":
            return [meta["min"] - 1]
        if kind == "string":
            return ["x" * (meta["min"] - 1)]
        return [[] if kind == "list" else {}]
    if c.kind == "max":
        return [sized(shape, meta["max"] + 1)]
    if c.kind == "pattern":
        return list(kit(shape).bad)
    if c.kind == "enum":
        return ["NOT_IN_THE_ENUM", shape.enum[0].lower()]
    return []


def bound_values(c: Constraint) -> list[Any]:
    """Values exactly at constraint ``c``'s limit (or every enum value): all valid."""
    shape, meta = c.shape, c.shape.metadata
    if c.kind in ("min", "max"):
        value = sized(shape, meta[c.kind])
        return [] if value is None else [value]
    if c.kind == "enum":
        return list(shape.enum)
    return []


def sized(shape: Shape, n: int) -> Any:
    """A valid value of ``shape`` of size (or value) ``n``; None if none exists."""
    kind = shape.type_name
    if kind == "integer":
        return n
    if kind == "string":
        return kit(shape).fill(n) if "pattern" in shape.metadata else "s" * n
    if kind == "list":
        return [sample(shape.member, i) for i in range(n)]
    if kind == "map":
        return {sample(shape.key, i): sample(shape.value, i) for i in range(n)}
    raise AssertionError(f"no sized value for model type {kind}")


# -- putting a value at a path -------------------------------------------------------------


def _step_into(container: Any, step: str) -> Any:
    if step == ITEM:
        return container[0]
    if step == VALUE:
        return next(iter(container.values()))
    return container[step]


def replaced(params: dict[str, Any], path: tuple[str, ...], value: Any) -> dict[str, Any]:
    """A deep copy of ``params`` with ``value`` at ``path`` (a KEY step renames the first key)."""
    result = copy.deepcopy(params)
    parent: Any = result
    for step in path[:-1]:
        parent = _step_into(parent, step)
    last = path[-1]
    if last == ITEM:
        parent[0] = value
    elif last == KEY:
        first, item = next(iter(parent.items()))
        rest = {k: v for k, v in parent.items() if k != first}
        parent.clear()
        parent.update({value: item, **rest})
    elif last == VALUE:
        parent[next(iter(parent))] = value
    else:
        parent[last] = value
    return result


def without(params: dict[str, Any], path: tuple[str, ...], member: str) -> dict[str, Any]:
    """A deep copy of ``params`` without ``member`` of the structure at ``path``."""
    result = copy.deepcopy(params)
    parent: Any = result
    for step in path:
        parent = _step_into(parent, step)
    del parent[member]
    return result


def value_at(params: dict[str, Any], path: tuple[str, ...]) -> Any:
    """The value at ``path`` (KeyError/IndexError/StopIteration if absent)."""
    node: Any = params
    for step in path:
        node = next(iter(node)) if step == KEY else _step_into(node, step)
    return node


# -- hypothesis strategies of valid requests -----------------------------------------------


def values(shape: Shape) -> st.SearchStrategy[Any]:
    """Valid values of ``shape`` (collections kept small; integers within Java's int)."""
    kind = shape.type_name
    meta = shape.metadata
    if kind == "structure":
        required = meta.get("required", [])
        members = shape.members
        return st.fixed_dictionaries(
            {name: values(members[name]) for name in required},
            optional={name: values(m) for name, m in members.items() if name not in required},
        )
    if kind == "list":
        lo = meta.get("min", 0)
        return st.lists(values(shape.member), min_size=lo, max_size=min(meta.get("max", 8), 8))
    if kind == "map":
        lo = meta.get("min", 0)
        return st.dictionaries(
            values(shape.key), values(shape.value), min_size=lo, max_size=min(meta["max"], 8)
        )
    if kind == "string":
        if shape.enum:
            return st.sampled_from(list(shape.enum))
        lo, hi = meta.get("min", 0), meta.get("max", 256)
        if "pattern" in meta:
            return kit(shape).text(lo, hi)
        return st.text(min_size=lo, max_size=hi)
    if kind == "integer":
        return st.integers(
            meta.get("min", JAVA_INT_MIN), min(meta.get("max", JAVA_INT_MAX), JAVA_INT_MAX)
        )
    if kind == "boolean":
        return st.booleans()
    raise AssertionError(f"no strategy for model type {kind}")


def requests(name: str) -> st.SearchStrategy[dict[str, Any]]:
    """Requests of operation ``name`` that satisfy every constraint of its model."""
    return values(input_shape(name))
