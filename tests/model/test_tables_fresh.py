"""The generated model tables are fresh and carry what botocore's models say.

``kvsim/model/tables/`` is written by ``tools/gen_model.py`` from botocore's
installed models. These tests regenerate them (``--check`` in a subprocess and
``render_all()`` in-process), and check the key facts against botocore
directly. The table modules are imported by file path, so these tests do not
depend on ``kvsim.model`` being importable as a package.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import botocore
import botocore.session
import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
TABLES = ROOT / "kvsim" / "model" / "tables"
GENERATOR = ROOT / "tools" / "gen_model.py"

SERVICE_NAMES = (
    "kinesisvideo",
    "kinesis-video-archived-media",
    "kinesis-video-media",
    "kinesis-video-signaling",
    "kinesis-video-webrtc-storage",
)

#: The media operations whose output is a streaming ``Payload`` blob.
STREAMING = (
    ("kinesis-video-media", "GetMedia"),
    ("kinesis-video-archived-media", "GetClip"),
    ("kinesis-video-archived-media", "GetMediaForFragmentList"),
)


def _load(name: str, path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@functools.cache
def table(service_name: str) -> ModuleType:
    """The generated table module of a service, loaded from its file."""
    basename = service_name.replace("-", "_")
    return _load(f"_kvsim_tables_{basename}", TABLES / f"{basename}.py")


@functools.cache
def generator() -> ModuleType:
    """``tools/gen_model.py``, loaded from its file."""
    return _load("_kvsim_gen_model", GENERATOR)


@functools.cache
def model(service_name: str) -> Any:
    return botocore.session.get_session().get_service_model(service_name)


def test_check_mode_finds_every_table_fresh() -> None:
    result = subprocess.run(
        [sys.executable, "tools/gen_model.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_render_all_equals_the_committed_files() -> None:
    rendered = generator().render_all()
    expected = {Path("kvsim/model/tables/__init__.py"), Path("kvsim/core/partitions.py")} | {
        Path("kvsim/model/tables") / f"{name.replace('-', '_')}.py" for name in SERVICE_NAMES
    }
    assert set(rendered) == expected
    for path, text in rendered.items():
        assert (ROOT / path).read_text(encoding="utf-8") == text, f"{path} is stale"


def test_render_all_carries_the_create_stream_route() -> None:
    text = generator().render_all()[Path("kvsim/model/tables/kinesisvideo.py")]
    start = text.index('    "CreateStream": {')
    entry = text[start : text.index("\n    },\n", start)]
    assert '"request_uri": "/createStream"' in entry
    assert '"http_method": "POST"' in entry


def test_index_lists_every_service_module() -> None:
    index = _load("_kvsim_tables_index", TABLES / "__init__.py")
    assert index.SERVICE_NAMES == SERVICE_NAMES
    assert {name: name.replace("-", "_") for name in SERVICE_NAMES} == index.MODULES


@pytest.mark.parametrize("service_name", SERVICE_NAMES)
def test_service_metadata_matches_botocore(service_name: str) -> None:
    service = table(service_name).SERVICE
    botocore_model = model(service_name)
    assert service == {
        "name": service_name,
        "service_id": botocore_model.service_id,
        "event_id": botocore_model.service_id.hyphenize(),
        "api_version": botocore_model.api_version,
        "protocol": botocore_model.protocol,
        "signing_name": botocore_model.signing_name,
        "endpoint_prefix": botocore_model.endpoint_prefix,
    }


@pytest.mark.parametrize("service_name", SERVICE_NAMES)
def test_operations_match_botocore(service_name: str) -> None:
    tables = table(service_name)
    botocore_model = model(service_name)
    assert list(tables.OPERATIONS) == sorted(botocore_model.operation_names)
    for name, entry in tables.OPERATIONS.items():
        operation = botocore_model.operation_model(name)
        assert entry["method"] == botocore.xform_name(name)
        assert entry["http_method"] == operation.http["method"]
        assert entry["request_uri"] == operation.http["requestUri"]
        errors = {
            shape.name: shape.metadata["error"]["httpStatusCode"]
            for shape in operation.error_shapes
        }
        assert entry["errors"] == tuple(errors)
        for error, status in errors.items():
            assert tables.ERRORS[error] == status, (name, error)
            assert tables.SHAPES[error]["error"] == {"code": error, "status": status}


def test_method_names_follow_botocore_xform_name() -> None:
    operations = table("kinesis-video-archived-media").OPERATIONS
    assert operations["GetHLSStreamingSessionURL"]["method"] == "get_hls_streaming_session_url"


def test_access_denied_status_differs_between_services() -> None:
    assert table("kinesisvideo").ERRORS["AccessDeniedException"] == 401
    assert table("kinesis-video-webrtc-storage").ERRORS["AccessDeniedException"] == 403


@pytest.mark.parametrize(("service_name", "operation"), STREAMING)
def test_streaming_payloads_are_marked(service_name: str, operation: str) -> None:
    tables = table(service_name)
    output = tables.SHAPES[tables.OPERATIONS[operation]["output"]]
    assert output["payload"] == "Payload"
    blob = tables.SHAPES[output["members"]["Payload"]["shape"]]
    assert blob == {"type": "blob", "streaming": True}
    assert model(service_name).operation_model(operation).has_streaming_output


def test_request_paths_are_unique_across_services() -> None:
    seen: dict[tuple[str, str], str] = {}
    for service_name in SERVICE_NAMES:
        for name, entry in table(service_name).OPERATIONS.items():
            route = (entry["http_method"], entry["request_uri"].split("?", 1)[0])
            where = f"{service_name}:{name}"
            assert route not in seen, f"{route} is both {seen[route]} and {where}"
            seen[route] = where
    assert len(seen) == sum(len(model(name).operation_names) for name in SERVICE_NAMES)


@pytest.mark.parametrize("basename", ["__init__", *(n.replace("-", "_") for n in SERVICE_NAMES)])
def test_tables_import_only_future_and_typing(basename: str) -> None:
    tree = ast.parse((TABLES / f"{basename}.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0 and node.module is not None
            imported.add(node.module)
    assert imported <= {"__future__", "typing"}, imported
    assert ast.get_docstring(tree) is not None
    assert "tools/gen_model.py" in (ast.get_docstring(tree) or "")


def test_partitions_carry_botocores_kinesis_video_regions() -> None:
    import botocore.session

    endpoints = botocore.session.get_session().get_data("endpoints")
    spec = importlib.util.spec_from_file_location("partitions", ROOT / "kvsim/core/partitions.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for data in endpoints["partitions"]:
        ours = module.PARTITIONS[data["partition"]]
        assert ours["dns_suffix"] == data["dnsSuffix"]
        listed = data["services"].get("kinesisvideo", {}).get("endpoints", {})
        assert set(ours["regions"]) == {r for r in listed if not r.startswith("fips-")}
