"""Generate ``kvsim/model/tables/`` from botocore's installed Kinesis Video models.

A dev-time tool, not part of the ``kvsim`` package: it imports botocore, reads
the five service models of Kinesis Video (plus their paginators) and writes one
pure-data Python module per service, and ``kvsim/model/tables/__init__.py``.
The generated modules import nothing but ``__future__`` and ``typing``, so the
simulator never needs botocore at run time.

Only facts are copied (names, constraints, routes, statuses), never the
model's documentation. The output depends on the model content alone (no
botocore version, no date), so a botocore release that leaves the models
unchanged leaves the tables unchanged.

Usage (from anywhere; paths are relative to the repository root)::

    python tools/gen_model.py           # (re)write the tables that changed
    python tools/gen_model.py --check   # exit 1 if any table is stale or missing

The source text is built from ``repr()`` literals and then passed through
``ruff format`` so that the committed files are exactly what ruff accepts.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import botocore  # type: ignore[import-untyped, unused-ignore]
import botocore.exceptions  # type: ignore[import-untyped, unused-ignore]
import botocore.session  # type: ignore[import-untyped, unused-ignore]

#: The repository root (this file lives in ``<root>/tools/``).
ROOT = Path(__file__).resolve().parent.parent

#: Where the generated modules go, relative to :data:`ROOT`.
TABLES_DIR = Path("kvsim") / "model" / "tables"
#: The generated partition data, which the core reads (so it lives in the core).
PARTITIONS_PATH = Path("kvsim") / "core" / "partitions.py"

#: botocore's names of the Kinesis Video services, in the order they are listed.
SERVICE_NAMES: tuple[str, ...] = (
    "kinesisvideo",
    "kinesis-video-archived-media",
    "kinesis-video-media",
    "kinesis-video-signaling",
    "kinesis-video-webrtc-storage",
)

#: Paginator keys copied from botocore, in the order they are written.
PAGINATOR_KEYS: tuple[str, ...] = ("input_token", "output_token", "limit_key", "result_key")

REGENERATE = "python tools/gen_model.py"


class GeneratorError(Exception):
    """The generator cannot run (e.g. ruff is missing) or the model is inconsistent."""


def module_basename(service_name: str) -> str:
    """The module basename of a service, e.g. ``kinesis_video_media``."""
    return service_name.replace("-", "_")


def module_path(service_name: str) -> Path:
    """The generated module of a service, relative to the repository root."""
    return TABLES_DIR / f"{module_basename(service_name)}.py"


# ---------------------------------------------------------------------------
# Reading the model
# ---------------------------------------------------------------------------


def _plain(value: Any) -> Any:
    """A model value as a literal-friendly value: lists become tuples, recursively."""
    if isinstance(value, list | tuple):
        return tuple(_plain(item) for item in value)
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    return value


def _error_of(name: str, metadata: Mapping[str, Any]) -> dict[str, Any]:
    error: Mapping[str, Any] = metadata.get("error") or {}
    return {"code": str(error.get("code", name)), "status": int(error.get("httpStatusCode", 400))}


def _is_error(metadata: Mapping[str, Any]) -> bool:
    return bool(metadata.get("exception"))


def _member_entry(member: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {"shape": str(member.name)}
    serialization: Mapping[str, Any] = member.serialization
    if "location" in serialization:
        entry["location"] = str(serialization["location"])
    if "name" in serialization:
        entry["location_name"] = str(serialization["name"])
    if member.metadata.get("idempotencyToken"):
        entry["idempotency_token"] = True
    if serialization.get("hostLabel"):
        entry["host_label"] = True
    return entry


def _shape_entry(name: str, shape: Any) -> dict[str, Any]:
    type_name = str(shape.type_name)
    metadata: Mapping[str, Any] = shape.metadata
    serialization: Mapping[str, Any] = shape.serialization
    entry: dict[str, Any] = {"type": type_name}
    if type_name == "list":
        entry["member"] = str(shape.member.name)
    elif type_name == "map":
        entry["key"] = str(shape.key.name)
        entry["value"] = str(shape.value.name)
    elif type_name == "structure":
        entry["members"] = {
            str(member_name): _member_entry(member) for member_name, member in shape.members.items()
        }
        required = tuple(str(item) for item in metadata.get("required", ()))
        if required:
            entry["required"] = required
        if serialization.get("payload"):
            entry["payload"] = str(serialization["payload"])
        if _is_error(metadata):
            entry["error"] = _error_of(name, metadata)
    for key in ("min", "max", "pattern"):
        if key in metadata:
            entry[key] = metadata[key]
    if "enum" in metadata:
        entry["enum"] = tuple(str(item) for item in metadata["enum"])
    if serialization.get("streaming"):
        entry["streaming"] = True
    if "timestampFormat" in serialization:
        entry["timestamp_format"] = str(serialization["timestampFormat"])
    return entry


def _paginators(session: Any, service_name: str, operation_names: Iterable[str]) -> dict[str, Any]:
    try:
        model = session.get_paginator_model(service_name)
    except botocore.exceptions.DataNotFoundError:
        return {}
    found: dict[str, Any] = {}
    for operation in sorted(operation_names):
        try:
            config: Mapping[str, Any] = model.get_paginator(operation)
        except ValueError:  # botocore's answer for an operation without a paginator
            continue
        found[operation] = {key: _plain(config[key]) for key in PAGINATOR_KEYS if key in config}
    return found


def read_service(session: Any, service_name: str) -> dict[str, Any]:
    """The tables of one service, as plain Python values (see the generated modules)."""
    model = session.get_service_model(service_name)
    service = {
        "name": service_name,
        "service_id": str(model.service_id),
        "event_id": str(model.service_id.hyphenize()),
        "api_version": str(model.api_version),
        "protocol": str(model.protocol),
        "signing_name": str(model.signing_name),
        "endpoint_prefix": str(model.endpoint_prefix),
    }

    shapes: dict[str, dict[str, Any]] = {}
    errors: dict[str, int] = {}
    for name in sorted(str(item) for item in model.shape_names):
        shape = model.shape_for(name)
        shapes[name] = _shape_entry(name, shape)
        if _is_error(shape.metadata):
            error = _error_of(name, shape.metadata)
            code, status = error["code"], error["status"]
            if errors.get(code, status) != status:
                raise GeneratorError(f"{service_name}: error code {code} has two statuses")
            errors[code] = status
    errors = dict(sorted(errors.items()))

    operation_names = sorted(str(item) for item in model.operation_names)
    operations: dict[str, dict[str, Any]] = {}
    for name in operation_names:
        operation = model.operation_model(name)
        http: Mapping[str, Any] = operation.http
        entry: dict[str, Any] = {
            "method": str(botocore.xform_name(name)),
            "http_method": str(http["method"]),
            "request_uri": str(http["requestUri"]),
        }
        if "responseCode" in http:
            entry["response_code"] = int(http["responseCode"])
        entry["input"] = None if operation.input_shape is None else str(operation.input_shape.name)
        entry["output"] = (
            None if operation.output_shape is None else str(operation.output_shape.name)
        )
        entry["errors"] = tuple(str(shape.name) for shape in operation.error_shapes)
        operations[name] = entry

    return {
        "service": service,
        "shapes": shapes,
        "operations": operations,
        "errors": errors,
        "paginators": _paginators(session, service_name, operation_names),
    }


# ---------------------------------------------------------------------------
# Writing the source text
# ---------------------------------------------------------------------------


def _assignment(comment: str | None, name: str, annotation: str, value: Mapping[str, Any]) -> str:
    """``NAME: Final[...] = {...}`` with one top-level entry per line.

    The trailing comma after each entry keeps the outer dict exploded under
    ruff's magic trailing comma; the entries themselves are plain ``repr()``
    text that ruff folds to fit the line length.
    """
    lines = [] if comment is None else [f"#: {comment}"]
    if not value:
        lines.append(f"{name}: Final[{annotation}] = {{}}")
    else:
        lines.append(f"{name}: Final[{annotation}] = {{")
        lines.extend(f"    {key!r}: {item!r}," for key, item in value.items())
        lines.append("}")
    return "\n".join(lines)


def _module(docstring: str, imports: Sequence[str], blocks: Sequence[str]) -> str:
    parts = [f'"""{docstring}"""', "\n".join(["from __future__ import annotations", "", *imports])]
    return "\n\n".join([*parts, *blocks]) + "\n"


def render_service_source(service_name: str, tables: Mapping[str, Any]) -> str:
    """The unformatted source of one service module."""
    service = tables["service"]
    docstring = (
        f"Tables of botocore's ``{service_name}`` model.\n"
        "\n"
        f"Service {service['service_id']!r}, API version {service['api_version']}.\n\n"
        "Generated by ``tools/gen_model.py`` from botocore's installed model of this\n"
        f"service; do not edit by hand. Regenerate with ``{REGENERATE}``.\n"
        "\n"
        "Pure data, facts only (names, constraints, routes, statuses): the model's\n"
        "documentation is not copied.\n"
    )
    blocks = [
        _assignment(None, "SERVICE", "dict[str, Any]", tables["service"]),
        _assignment(
            "Every shape of the model, by name, sorted by name.",
            "SHAPES",
            "dict[str, dict[str, Any]]",
            tables["shapes"],
        ),
        _assignment(
            "Every operation, by API name, sorted by API name.",
            "OPERATIONS",
            "dict[str, dict[str, Any]]",
            tables["operations"],
        ),
        _assignment(
            "Every error the model declares: code -> HTTP status, sorted by code.",
            "ERRORS",
            "dict[str, int]",
            tables["errors"],
        ),
        _assignment(
            "botocore's paginators of this service, by API operation name (sorted); {} if none.",
            "PAGINATORS",
            "dict[str, dict[str, Any]]",
            tables["paginators"],
        ),
    ]
    return _module(docstring, ["from typing import Any, Final"], blocks)


def read_partitions(session: Any) -> dict[str, dict[str, Any]]:
    """botocore's partitions (endpoint data), each with the regions that serve
    Kinesis Video (the ``fips-`` endpoint aliases are not regions)."""
    partitions: dict[str, dict[str, Any]] = {}
    for data in session.get_data("endpoints")["partitions"]:
        service = data["services"].get("kinesisvideo", {})
        regions = sorted(r for r in service.get("endpoints", {}) if not r.startswith("fips-"))
        partitions[data["partition"]] = {
            "region_regex": data["regionRegex"],
            "dns_suffix": data["dnsSuffix"],
            "regions": tuple(regions),
        }
    return partitions


def render_index_source() -> str:
    """The unformatted source of ``kvsim/model/tables/__init__.py``."""
    docstring = (
        "Tables of botocore's Kinesis Video models, one module per service.\n"
        "\n"
        "Generated by ``tools/gen_model.py`` from botocore's installed models; do not\n"
        f"edit by hand. Regenerate with ``{REGENERATE}``.\n"
    )
    names = ", ".join(repr(name) for name in SERVICE_NAMES)
    modules = {name: module_basename(name) for name in SERVICE_NAMES}
    blocks = [
        "#: botocore's names of the Kinesis Video services.\n"
        f"SERVICE_NAMES: Final[tuple[str, ...]] = ({names},)",
        _assignment(
            "The module basename of each service's tables, by service name.",
            "MODULES",
            "dict[str, str]",
            modules,
        ),
    ]
    return _module(docstring, ["from typing import Final"], blocks)


def render_partitions_source(partitions: Mapping[str, Any]) -> str:
    """The unformatted source of ``kvsim/core/partitions.py``."""
    docstring = (
        "AWS partitions and the regions that serve Kinesis Video, from botocore's endpoint data.\n"
        "\n"
        "Generated by ``tools/gen_model.py``; do not edit by hand. Regenerate with\n"
        f"``{REGENERATE}``. Pure data: the core reads it, so it imports nothing.\n"
    )
    blocks = [
        _assignment(
            "Each partition's region pattern, DNS suffix and the regions that serve"
            " Kinesis Video (all five services), in botocore's order.",
            "PARTITIONS",
            "dict[str, dict[str, Any]]",
            partitions,
        ),
    ]
    return _module(docstring, ["from typing import Any, Final"], blocks)


def _ruff() -> list[str]:
    beside = Path(sys.executable).with_name("ruff")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("ruff")
    if found is None:
        raise GeneratorError(
            "ruff is needed to format the generated tables but is not installed;"
            " `pip install -e '.[test]'` brings it"
        )
    return [found]


def ruff_format(source: str, path: Path) -> str:
    """``source`` as ``ruff format`` writes it, with the repository's configuration."""
    result = subprocess.run(
        [*_ruff(), "format", "--stdin-filename", str(ROOT / path), "-"],
        input=source,
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
    )
    if result.returncode != 0:
        raise GeneratorError(f"ruff format failed on {path}:\n{result.stderr}")
    return result.stdout


def render_all() -> dict[Path, str]:
    """Every generated file: path relative to the repository root -> its full text."""
    session = botocore.session.get_session()
    sources: dict[Path, str] = {
        TABLES_DIR / "__init__.py": render_index_source(),
        PARTITIONS_PATH: render_partitions_source(read_partitions(session)),
    }
    for service_name in SERVICE_NAMES:
        tables = read_service(session, service_name)
        sources[module_path(service_name)] = render_service_source(service_name, tables)
    return {path: ruff_format(source, path) for path, source in sources.items()}


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


def _current(path: Path) -> str | None:
    full = ROOT / path
    return full.read_bytes().decode("utf-8") if full.exists() else None


def check(rendered: Mapping[Path, str]) -> list[str]:
    """One problem line per stale or missing file; empty when all are fresh."""
    problems = []
    for path, text in rendered.items():
        current = _current(path)
        if current is None:
            problems.append(f"missing: {path.as_posix()}")
        elif current != text:
            problems.append(f"stale: {path.as_posix()}")
    return problems


def write(rendered: Mapping[Path, str]) -> list[Path]:
    """Write the files whose text changed; the paths written."""
    written = []
    for path, text in rendered.items():
        if _current(path) == text:
            continue
        full = ROOT / path
        full.parent.mkdir(parents=True, exist_ok=True)
        full.write_bytes(text.encode("utf-8"))
        written.append(path)
    return written


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python tools/gen_model.py",
        description="Generate kvsim/model/tables/ from botocore's installed Kinesis Video models.",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a generated file is stale or missing",
    )
    args = parser.parse_args(argv)
    try:
        rendered = render_all()
    except GeneratorError as error:
        print(f"gen_model: {error}", file=sys.stderr)
        return 2
    if args.check:
        problems = check(rendered)
        for line in problems:
            print(line)
        if problems:
            print(f"the model tables are out of date; run `{REGENERATE}`")
            return 1
        print(f"{TABLES_DIR.as_posix()}: up to date ({len(rendered)} files)")
        return 0
    written = write(rendered)
    for path in written:
        print(f"wrote {path.as_posix()}")
    if not written:
        print(f"{TABLES_DIR.as_posix()}: up to date ({len(rendered)} files)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
