"""The import graph of sdk/flowerlite, training and benchmarks: no circle, nothing imported from a floor above.

Lazy imports inside functions count: a circle through them still ties the modules together.
"""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
FLOORS = {"flowerlite": 0, "training": 1, "benchmarks": 2}  # each floor may import the ones below it only


def _module(path: Path) -> str:
    parts = path.relative_to(REPO).with_suffix("").parts
    parts = parts[1:] if parts[0] == "sdk" else parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, name: str) -> set[str]:
    """Every module a file imports, absolute or relative, at any depth."""
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + [node.module or ""]).strip(".") if node.level else node.module
            found |= {base} | {f"{base}.{alias.name}" for alias in node.names}
    return found


def _graph() -> dict[str, set[str]]:
    files = [p for top in ("sdk/flowerlite", "training", "benchmarks") for p in (REPO / top).rglob("*.py")
             if "tests" not in p.relative_to(REPO).parts]
    modules = {_module(p): p for p in files}
    return {name: {m for m in _imports(path, name) if m in modules and m != name} for name, path in modules.items()}


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index, low, stack, on_stack, found = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_circle_in_the_sdk_the_build_chain_or_the_harness():
    graph = _graph()
    assert {"flowerlite.contract", "training.backbones.registry", "benchmarks.report"} <= set(graph)
    assert _circles(graph) == []


def test_the_circle_finder_finds_a_circle():
    assert _circles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def _upward(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    return {(a, b) for a, targets in graph.items() for b in targets if FLOORS[b.split(".")[0]] > FLOORS[a.split(".")[0]]}


def test_no_module_imports_from_a_floor_above_its_own():
    upward = _upward(_graph())
    assert not upward, f"imports from a floor above: {sorted(upward)}"


def test_the_upward_import_finder_sees_an_upward_import():
    graph = {"training.export.benchmark_card": {"benchmarks.report", "training.benchmark_json"}, "benchmarks.report": set(),
             "training.benchmark_json": set()}
    assert _upward(graph) == {("training.export.benchmark_card", "benchmarks.report")}


def test_the_backbone_registry_never_imports_its_entries_and_they_register_through_the_package():
    graph = _graph()
    assert not {m for m in graph["training.backbones.registry"] if m.startswith("training.backbones.")}
    for entry in ("lite", "keras_apps"):
        assert "training.backbones.registry" in graph[f"training.backbones.{entry}"]
        assert f"training.backbones.{entry}" in graph["training.backbones"]

    from training.backbones.registry import BACKBONES

    assert list(BACKBONES)[:3] == ["efficientnet_lite0", "efficientnet_lite1", "efficientnet_lite2"]
    assert {"resnet50", "vgg16", "inception_v3"} <= set(BACKBONES)


def test_no_explain_module_reaches_into_another_ones_private_names():
    for path in (REPO / "training" / "explain").glob("*.py"):
        private = [m for m in _imports(path, _module(path))
                   if m.startswith("training.") and m.rsplit(".", 1)[-1].startswith("_") and not m.endswith("__")]
        assert not private, f"{path.name} imports {private}"
