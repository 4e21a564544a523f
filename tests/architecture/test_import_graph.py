"""The package's architecture, read from its source: the import graph of every
module under ``kvsim/`` (built with :mod:`ast`, relative imports resolved).

- no import cycle among kvsim modules;
- the inner layers (core, model, services, engine) import no AWS SDK and no
  test library;
- each layer imports only itself and the layers below it (:data:`LAYERS`);
- no module reads a private attribute (``x._name``) that another module defines;
- no module imports the repository's ``benchmarks`` package.

Imports inside functions count (they run sooner or later); imports under
``if TYPE_CHECKING:`` do not (they never run). That ``import kvsim`` itself
pulls in no test or AWS library is checked in a subprocess by
``test_quality.py``.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "kvsim"

#: The layers, lowest first: a module may import its own layer and those below
#: it, nothing above. A module belongs to the layer of the longest prefix of its
#: dotted name listed here; everything else in ``kvsim`` (the public modules
#: ``kvsim``, ``kvsim.errors``, ``kvsim.strategies``, ``kvsim.stateful``,
#: ``kvsim.scenario`` and the adapters ``http``, ``boto``, ``pytest_plugin``,
#: ``testing``, ``scenarios``, ``cli``) is the top layer, ``adapters``.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # kvsim.media: kvsim's own EBML/Matroska, standard library only, for the services.
    ("core", ("kvsim.core", "kvsim.media")),
    ("model", ("kvsim.model",)),
    ("services", ("kvsim.services",)),
    ("engine", ("kvsim.engine",)),
    ("adapters", ("kvsim",)),
)

#: Imports across the layer table that are allowed all the same, as
#: ``(importer, function importing lazily, imported module)``: the engine's
#: ``Simulator.patch_time`` hands out the testing toolkit's time patch and
#: ``Simulator.serve`` the HTTP server, each imported when called so that the
#: engine does not load it.
LAYER_EXCEPTIONS: frozenset[tuple[str, str, str]] = frozenset(
    {
        ("kvsim.engine.simulator", "Simulator.patch_time", "kvsim.testing.timepatch"),
        # sim.serve(): the HTTP layer, loaded only when a test serves its world.
        ("kvsim.engine.simulator", "Simulator.serve", "kvsim.http.server"),
    }
)

#: The layers that must not import these libraries (directly).
INNER_LAYERS = ("core", "model", "services", "engine")
FORBIDDEN_IN_INNER_LAYERS = frozenset({"boto3", "botocore", "pytest", "hypothesis"})
#: The one exception, for the users' sake (design notes): where botocore is
#: installed, kvsim's error classes derive from botocore.exceptions' (an import
#: guarded by ``except ImportError``), so ``except ClientError`` catches them.
BOTOCORE_EXCEPTIONS_ALLOWED = ("kvsim.model.errors", "botocore.exceptions")

#: Private attributes of other (standard library) modules kvsim may read, as
#: ``(module-level name read from, attribute)``; keep it minimal and say why.
PRIVATE_READS_ALLOWED: frozenset[tuple[str, str]] = frozenset(
    {
        # kvsim.testing.timepatch asks who is calling time.time() & co. (the
        # documented CPython way; inspect.currentframe() is the same function).
        ("sys", "_getframe"),
    }
)


@dataclass(frozen=True)
class Import:
    """One import statement's edge: ``importer`` imports ``target``."""

    importer: str
    #: The dotted module imported (a kvsim module as resolved, or any other).
    target: str
    line: int
    #: The qualified name of the function around it; "" at import time.
    function: str

    @property
    def where(self) -> str:
        inside = f" (in {self.function})" if self.function else ""
        return f"{self.importer}:{self.line}{inside}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def sources() -> dict[str, tuple[Path, ast.Module]]:
    """Every module of the package by dotted name: its path and syntax tree."""
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        if "__pycache__" in path.parts:
            continue
        found[module_name(path)] = (path, ast.parse(path.read_text(encoding="utf-8"), str(path)))
    return found


def is_package(name: str) -> bool:
    return sources()[name][0].name == "__init__.py"


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


class _ImportCollector(ast.NodeVisitor):
    """The import statements of one module that can run, with their enclosing function."""

    def __init__(self) -> None:
        self.found: list[tuple[ast.Import | ast.ImportFrom, str]] = []
        self.scope: list[str] = []
        self.functions = 0

    def visit_If(self, node: ast.If) -> None:
        if _is_type_checking(node.test):
            # The body never runs; an ``else:`` does.
            for child in node.orelse:
                self.visit(child)
            return
        self.generic_visit(node)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        self.scope.append(node.name)
        self.functions += 1
        self.generic_visit(node)
        self.functions -= 1
        self.scope.pop()

    visit_FunctionDef = _visit_function
    visit_AsyncFunctionDef = _visit_function

    def visit_Import(self, node: ast.Import) -> None:
        self.found.append((node, ".".join(self.scope) if self.functions else ""))

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        self.found.append((node, ".".join(self.scope) if self.functions else ""))


def _resolve_base(importer: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    package = importer if is_package(importer) else importer.rpartition(".")[0]
    parts = package.split(".")
    if node.level - 1 > len(parts) - 1:
        raise AssertionError(f"{importer}:{node.lineno}: relative import beyond the package")
    base = ".".join(parts[: len(parts) - (node.level - 1)])
    return f"{base}.{node.module}" if node.module else base


@cache
def imports() -> tuple[Import, ...]:
    """Every import of every kvsim module, resolved to the modules it loads."""
    modules = sources()
    edges: list[Import] = []
    for importer, (_path, tree) in modules.items():
        collector = _ImportCollector()
        collector.visit(tree)
        for node, function in collector.found:
            if isinstance(node, ast.Import):
                for alias in node.names:
                    edges.append(Import(importer, alias.name, node.lineno, function))
                continue
            base = _resolve_base(importer, node)
            for alias in node.names:
                # ``from pkg import mod`` loads the submodule; ``from mod import name``
                # reads an attribute of ``mod``.
                sub = f"{base}.{alias.name}"
                target = sub if sub in modules else base
                edges.append(Import(importer, target, node.lineno, function))
    return tuple(edges)


def internal_imports() -> list[Import]:
    return [edge for edge in imports() if edge.target.partition(".")[0] == "kvsim"]


def layer_of(module: str) -> str:
    best, best_len = "", -1
    for layer, prefixes in LAYERS:
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best_len:
                best, best_len = layer, len(prefix)
    assert best, f"{module} is in no layer of LAYERS"
    return best


LAYER_RANK = {layer: rank for rank, (layer, _prefixes) in enumerate(LAYERS)}


# -- the graph is what the tests think it is --------------------------------------------


def test_the_graph_covers_the_package() -> None:
    modules = sources()
    assert {"kvsim", "kvsim.core.kernel", "kvsim.engine.simulator", "kvsim.http.rest"} <= set(
        modules
    )
    edges = {(e.importer, e.target) for e in internal_imports()}
    # Absolute, relative, package-relative and lazy imports are all resolved.
    assert ("kvsim", "kvsim.errors") in edges  # from . import errors
    assert ("kvsim.engine.simulator", "kvsim.engine.snapshot") in edges  # from . import x as y
    assert ("kvsim.http.server", "kvsim.engine.simulator") in edges  # from ..engine.x import
    assert ("kvsim.engine.simulator", "kvsim.core.clock") in edges  # from ..core.clock import
    # TYPE_CHECKING-only imports are not edges.
    assert ("kvsim.testing.timepatch", "kvsim.engine.simulator") not in edges


def test_every_internal_import_names_an_existing_module() -> None:
    modules = sources()
    missing = [
        f"{edge.where} imports {edge.target}"
        for edge in internal_imports()
        if edge.target not in modules
    ]
    assert not missing, "imports of kvsim modules that do not exist:\n" + "\n".join(missing)


# -- cycles ------------------------------------------------------------------------------


def _strongly_connected(graph: dict[str, set[str]]) -> list[list[str]]:
    """Tarjan's strongly connected components (iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    components: list[list[str]] = []
    counter = 0
    for root in sorted(graph):
        if root in index:
            continue
        work: list[tuple[str, Iterator[str]]] = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(graph.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                components.append(sorted(component))
    return components


def _a_cycle(graph: dict[str, set[str]], component: list[str]) -> list[str]:
    """One cycle through the first module of ``component`` (breadth first: a shortest one)."""
    inside = set(component)
    start = component[0]
    parents: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for child in sorted(graph[node] & inside):
                if child == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(parents[path[-1]])
                    return [*reversed(path), start]
                if child not in parents:
                    parents[child] = node
                    following.append(child)
        frontier = following
    raise AssertionError(f"no cycle in {component}")


def import_graph() -> dict[str, set[str]]:
    # The allowed lazy imports (LAYER_EXCEPTIONS) run when their method is
    # called, never while a module loads, so they cannot close an import cycle.
    graph: dict[str, set[str]] = {name: set() for name in sources()}
    for edge in internal_imports():
        if edge.target in graph and (edge.importer, edge.function, edge.target) not in (
            LAYER_EXCEPTIONS
        ):
            graph[edge.importer].add(edge.target)
    return graph


def test_no_import_cycles() -> None:
    graph = import_graph()
    cycles = [
        " -> ".join(_a_cycle(graph, component))
        for component in _strongly_connected(graph)
        if len(component) > 1 or component[0] in graph[component[0]]
    ]
    assert not cycles, "import cycles among kvsim modules:\n" + "\n".join(cycles)


def test_the_cycle_finder_finds_cycles() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": set(), "e": {"e"}}
    found = [c for c in _strongly_connected(graph) if len(c) > 1 or c[0] in graph[c[0]]]
    assert sorted(found) == [["a", "b", "c"], ["e"]]
    assert _a_cycle(graph, ["a", "b", "c"]) == ["a", "b", "c", "a"]


# -- libraries ------------------------------------------------------------------------------


def test_inner_layers_import_no_aws_sdk_or_test_library() -> None:
    bad = [
        f"{edge.where} imports {edge.target}"
        for edge in imports()
        if layer_of(edge.importer) in INNER_LAYERS
        and edge.target.partition(".")[0] in FORBIDDEN_IN_INNER_LAYERS
        and (edge.importer, edge.target) != BOTOCORE_EXCEPTIONS_ALLOWED
    ]
    assert not bad, "\n".join(bad)


def _modules_loaded_after_importing(modules: list[str]) -> set[str]:
    """The top-level names in ``sys.modules`` of a fresh interpreter after importing ``modules``."""
    code = (
        "import importlib, json, sys\n"
        f"for name in {modules!r}:\n"
        "    importlib.import_module(name)\n"
        "print(json.dumps(sorted(sys.modules)))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return set(json.loads(out.stdout))


def test_the_inner_layers_load_no_aws_sdk_test_library_or_testing_toolkit() -> None:
    # test_quality.py checks ``import kvsim``; this loads every inner module, so a
    # library reached indirectly or through a module ``kvsim`` does not import
    # is caught too, and the engine's lazy import of the time patch stays lazy.
    inner = sorted(name for name in sources() if layer_of(name) in INNER_LAYERS)
    loaded = _modules_loaded_after_importing(inner)
    assert set(inner) <= loaded
    top = {name.partition(".")[0] for name in loaded}
    assert not top & (FORBIDDEN_IN_INNER_LAYERS - {"botocore"})
    # botocore's exceptions module only (kvsim's error bases), not its client machinery.
    assert {name for name in loaded if name.startswith("botocore")} <= {
        "botocore",
        "botocore.exceptions",
        "botocore.vendored",
        "botocore.vendored.requests",
        "botocore.vendored.requests.exceptions",
        "botocore.vendored.requests.packages",
        "botocore.vendored.requests.packages.urllib3",
        "botocore.vendored.requests.packages.urllib3.exceptions",
    }
    assert not {name for name in loaded if name.startswith("kvsim.testing")}


def test_no_module_loads_the_benchmarks_package() -> None:
    # Every module, imported for real (``kvsim bench`` runs the harness in a
    # process of its own): dynamic imports would show here.
    loaded = _modules_loaded_after_importing(sorted(sources()))
    assert set(sources()) <= loaded
    assert not {name for name in loaded if name.partition(".")[0] == "benchmarks"}


def test_no_module_imports_the_benchmarks_package() -> None:
    bad = [
        f"{edge.where} imports {edge.target}"
        for edge in imports()
        if edge.target.partition(".")[0] == "benchmarks"
    ]
    assert not bad, "\n".join(bad)


# -- layers -----------------------------------------------------------------------------------


def test_every_module_is_in_a_layer() -> None:
    layers = {layer_of(name) for name in sources()}
    assert layers == set(LAYER_RANK)


def _crossings() -> list[Import]:
    """Imports of a higher layer's module."""
    return [
        edge
        for edge in internal_imports()
        if edge.target in sources()
        and LAYER_RANK[layer_of(edge.target)] > LAYER_RANK[layer_of(edge.importer)]
    ]


def test_layers_import_only_themselves_and_the_layers_below() -> None:
    bad = sorted(
        {
            f"{edge.where}: {layer_of(edge.importer)} imports {edge.target}"
            f" ({layer_of(edge.target)})"
            for edge in _crossings()
            if (edge.importer, edge.function, edge.target) not in LAYER_EXCEPTIONS
        }
    )
    assert not bad, "layer violations:\n" + "\n".join(bad)


def test_every_layer_exception_is_a_lazy_import_in_use() -> None:
    # An exception only ever covers one function's import; one no longer
    # needed must leave the table.
    used = {(edge.importer, edge.function, edge.target) for edge in _crossings()}
    assert used >= LAYER_EXCEPTIONS, f"unused layer exceptions: {LAYER_EXCEPTIONS - used}"
    assert all(function for _importer, function, _target in LAYER_EXCEPTIONS)


# -- private attributes ---------------------------------------------------------------------


def _is_private(name: str) -> bool:
    return name.startswith("_") and not (name.startswith("__") and name.endswith("__"))


def _self_or_cls(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id in ("self", "cls")


def _slot_names(value: ast.expr) -> Iterator[str]:
    elements = value.elts if isinstance(value, ast.Tuple | ast.List | ast.Set) else [value]
    for element in elements:
        if isinstance(element, ast.Constant) and isinstance(element.value, str):
            yield element.value


def defined_names(tree: ast.Module) -> set[str]:
    """The private names a module defines for its own objects."""
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        if (
            isinstance(node, ast.Attribute)
            and isinstance(node.ctx, ast.Store)
            and _self_or_cls(node.value)
        ):
            names.add(node.attr)
        if isinstance(node, ast.ClassDef):
            for statement in node.body:
                targets: list[ast.expr] = []
                value: ast.expr | None = None
                if isinstance(statement, ast.Assign):
                    targets, value = statement.targets, statement.value
                elif isinstance(statement, ast.AnnAssign):
                    targets, value = [statement.target], statement.value
                for target in targets:
                    if isinstance(target, ast.Name):
                        names.add(target.id)
                        if target.id == "__slots__" and value is not None:
                            names.update(_slot_names(value))
    return names


def _dotted(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_dotted(node.value)}.{node.attr}"
    return f"<{type(node).__name__}>"


def private_reads() -> list[str]:
    found = []
    for module, (path, tree) in sources().items():
        own = defined_names(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Attribute) or not _is_private(node.attr):
                continue
            if _self_or_cls(node.value) or node.attr in own:
                continue
            if (_dotted(node.value), node.attr) in PRIVATE_READS_ALLOWED:
                continue
            found.append(
                f"{path.relative_to(ROOT)}:{node.lineno}: {_dotted(node.value)}.{node.attr}"
                f" ({module} defines no {node.attr})"
            )
    return found


def test_no_module_reads_another_modules_private_attributes() -> None:
    found = private_reads()
    assert not found, "reads of private attributes defined elsewhere:\n" + "\n".join(found)


def test_the_private_read_finder_finds_them() -> None:
    tree = ast.parse(
        "class A:\n"
        "    __slots__ = ('_slot',)\n"
        "    _level = 1\n"
        "    def __init__(self):\n"
        "        self._mine = 1\n"
        "    def _helper(self):\n"
        "        return other._theirs, other._mine, other._slot, other._level, x.__dict__\n"
    )
    own = defined_names(tree)
    assert {"_slot", "_level", "_mine", "_helper"} <= own
    read = [
        n.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Attribute) and _is_private(n.attr) and n.attr not in own
    ]
    assert read == ["_theirs"]
