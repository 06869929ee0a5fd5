"""The package's house: its modules import each other without a cycle, and only downwards through its layers.

The walk reads every module of `rectifiers/` with `ast`: imports at the top of a module and inside functions,
absolute (`rectifiers.engine.store`) and relative (`from ..engine import train`). An edge goes to the module named
(`from .base import Probe` -> `probes.base`; `from .. import decision` -> `decision`) or, for a name that is not a
module, to the package that defines it (`from ..engine import train` -> `engine`). Importing `a.b` also runs the
package `a`'s `__init__`; that implicit step is not an edge (every package would otherwise be a cycle with its own
modules): a package's `__init__` is checked through the imports it writes itself.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "rectifiers"

LAYERS = (
    ("the tools", ("__init__", "__main__", "bench", "lab")),
    ("widgets", ("widgets",)),
    ("figures", ("figures", "book_plotly")),
    ("experiments", ("experiments",)),
    ("engine", ("engine",)),
    ("networks, data, probes, statistics and rules",
     ("activations", "models", "modern_models", "gan_models", "data", "data_files", "mnist1d_data", "probes",
      "stats", "gan_metrics", "decision", "decision_numbers", "calibration", "chapter_parameters")),
    ("foundations", ("names", "paths", "validation", "parameters", "prose", "tf_logging")),
)
"""The layers from the top down, each a list of rooms (a top-level module or sub-package of `rectifiers`). A module
may import from its own layer and the layers below it, never from a layer above. README.md, "Layout", says the same."""

ALLOWED_UPWARD: dict = {}
"""Upward imports that are known and named, each with why; an allowance no import needs any more fails too."""


# --- the walk ------------------------------------------------------------------------------------------------------


def package_modules(package: Path) -> dict[str, tuple[Path, bool]]:
    """Every module of the package by dotted name: (its file, whether it is a package's __init__)."""
    out = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        is_package = parts[-1] == "__init__"
        out[".".join(parts[:-1] if is_package else parts)] = (path, is_package)
    return out


def _known(name: str, modules) -> str | None:
    """`name` if it is a module of the package, else the nearest package or module above it that is."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def module_imports(name: str, path: Path, is_package: bool, modules) -> set[str]:
    """The package's modules that module `name` imports, anywhere in its file (functions included)."""
    root = name.split(".")[0]
    here = name if is_package else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here.split(".")[:len(here.split(".")) - (node.level - 1)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            targets = [f"{source}.{alias.name}" if f"{source}.{alias.name}" in modules else source
                       for alias in node.names]
        else:
            continue
        for target in targets:
            if target == root or target.startswith(root + "."):
                known = _known(target, modules)
                if known and known != name:
                    found.add(known)
    return found


def import_graph(package: Path) -> dict[str, set[str]]:
    """module -> the package's modules it imports."""
    modules = package_modules(package)
    return {name: module_imports(name, path, is_package, modules) for name, (path, is_package) in modules.items()}


# --- the checks ----------------------------------------------------------------------------------------------------


def import_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Cycles (a -> b -> ... -> a) among modules that import each other, directly or not: the shortest one through
    each module that is on a cycle."""
    index, low, stack, on_stack, groups = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.add(w)
                if w == v:
                    break
            if len(group) > 1 or v in graph.get(v, ()):
                groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    cycles = []
    for group in groups:  # the shortest cycle through each module of the group, each cycle once
        for start in sorted(group):
            cycle = _cycle_through(start, graph, group)
            turn = cycle.index(min(cycle[:-1]))
            cycle = cycle[turn:-1] + cycle[:turn] + [cycle[turn]]
            if cycle not in cycles:
                cycles.append(cycle)
    return sorted(cycles)


def _cycle_through(start: str, graph, group: set[str]) -> list[str]:
    """A shortest path start -> ... -> start inside `group` (breadth first)."""
    paths, seen = [[start]], set()
    while paths:
        path = paths.pop(0)
        for w in sorted(graph.get(path[-1], ())):
            if w == start:
                return path + [start]
            if w in group and w not in seen:
                seen.add(w)
                paths.append(path + [w])
    raise AssertionError(f"no cycle through {start}")


def layer_of(module: str, layers=LAYERS) -> int:
    """The index of the module's layer in `layers` (0 at the top); KeyError naming it if no layer holds its room."""
    parts = module.split(".")
    room = parts[1] if len(parts) > 1 else "__init__"
    for i, (_, rooms) in enumerate(layers):
        if room in rooms:
            return i
    raise KeyError(f"{module}: its room {room!r} is in no layer of LAYERS; add it where it belongs")


def upward_imports(graph: dict[str, set[str]], layers=LAYERS) -> list[tuple[str, str]]:
    """Imports (importer, imported) from a lower layer to a higher one."""
    return sorted((a, b) for a, targets in graph.items() for b in targets if layer_of(a, layers) > layer_of(b, layers))


def _describe(a: str, b: str, layers=LAYERS) -> str:
    return f"{a} ({layers[layer_of(a, layers)][0]}) imports {b} ({layers[layer_of(b, layers)][0]})"


# --- the package ---------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def graph():
    return import_graph(PACKAGE)


def test_the_walk_sees_the_whole_package(graph):
    assert len(graph) > 50 and "rectifiers.engine.gan" in graph and "rectifiers.probes.base" in graph
    # Known edges, one of each kind: top level, inside a function, relative to a package, to a package's name.
    assert "rectifiers.engine.families" in graph["rectifiers.engine.config"]
    assert "rectifiers.engine.judge" in graph["rectifiers.engine.gan"]
    assert "rectifiers.engine.run" in graph["rectifiers.engine.judge"]  # inside _load_judge
    assert "rectifiers.engine" in graph["rectifiers.experiments.gradients"]  # from ..engine import provenance


def test_every_module_has_a_layer(graph):
    unplaced = []
    for module in graph:
        try:
            layer_of(module)
        except KeyError as error:
            unplaced.append(str(error))
    assert not unplaced, "\n".join(unplaced)
    rooms = [room for _, rooms in LAYERS for room in rooms]
    assert len(rooms) == len(set(rooms)), "a room is in two layers"


def test_no_import_cycle(graph):
    cycles = import_cycles(graph)
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_no_import_from_a_lower_layer_to_a_higher_one(graph):
    leaks = [_describe(a, b) for a, b in upward_imports(graph) if (a, b) not in ALLOWED_UPWARD]
    assert not leaks, "imports from a lower layer to a higher one:\n" + "\n".join(leaks)


def test_every_allowance_is_still_needed(graph):
    stale = [f"{a} -> {b} ({why})" for (a, b), why in ALLOWED_UPWARD.items() if b not in graph.get(a, ())]
    assert not stale, "ALLOWED_UPWARD names imports that are gone; delete them:\n" + "\n".join(stale)


MAX_LINES = 500


def test_no_module_is_over_500_lines():
    modules = package_modules(PACKAGE)
    long = [f"{path.relative_to(ROOT)}: {n} lines" for path, _ in modules.values()
            if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES]
    assert not long, f"modules over {MAX_LINES} lines (split them by job):\n" + "\n".join(long)


def test_the_readme_lists_the_same_layers():
    layout = (ROOT / "README.md").read_text(encoding="utf-8").split("## Layout", 1)[1].split("\n## ", 1)[0]
    items = re.split(r"^\d+\. ", layout, flags=re.MULTILINE)[1:]
    assert len(items) == len(LAYERS), f"README.md's layout lists {len(items)} layers, LAYERS {len(LAYERS)}"
    for item, (name, rooms) in zip(items, LAYERS):
        missing = [room for room in rooms if room != "__init__" and not re.search(rf"`{room}/?`", item)]
        assert not missing, f"README.md's layer {name!r} does not name {missing}"


# --- the checker can fail ------------------------------------------------------------------------------------------


def test_the_checker_names_a_cycle():
    graph = {"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a", "p.d"}, "p.d": set(), "p.e": {"p.e"}}
    assert sorted(import_cycles(graph)) == [["p.a", "p.b", "p.c", "p.a"], ["p.e", "p.e"]]
    assert import_cycles({"p.a": {"p.b"}, "p.b": set(), "p.c": {"p.a", "p.b"}}) == []


def test_the_checker_names_an_upward_import():
    layers = (("top", ("widgets",)), ("middle", ("engine",)), ("bottom", ("names",)))
    graph = {"p.widgets.x": {"p.engine.y", "p.names"}, "p.engine.y": {"p.names", "p.widgets.z"},
             "p.widgets.z": set(), "p.names": set()}
    assert upward_imports(graph, layers) == [("p.engine.y", "p.widgets.z")]
    assert _describe("p.engine.y", "p.widgets.z", layers) == "p.engine.y (middle) imports p.widgets.z (top)"
    with pytest.raises(KeyError, match="'other' is in no layer"):
        upward_imports({"p.other": {"p.names"}}, layers)


def test_the_walk_reads_relative_imports_and_imports_inside_functions(tmp_path):
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "low.py").write_text("def f():\n    from .sub import high\n    return high\n")
    (package / "sub" / "__init__.py").write_text("from .high import g\n")
    (package / "sub" / "high.py").write_text("import os\nfrom .. import low\nfrom pkg.low import f\n")
    graph = import_graph(package)
    assert graph == {"pkg": set(), "pkg.low": {"pkg.sub.high"}, "pkg.sub": {"pkg.sub.high"},
                     "pkg.sub.high": {"pkg.low"}}
    assert import_cycles(graph) == [["pkg.low", "pkg.sub.high", "pkg.low"]]
