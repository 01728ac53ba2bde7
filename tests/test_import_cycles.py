"""The project's modules import each other without cycles, imports inside functions included.

A cycle hidden in a function body still ties two modules together: neither can be
understood, tested or moved without the other, and the import order decides what
works. The graph is read from the source (AST), so every file counts, whether a
test imports it or not.
"""

from __future__ import annotations

import ast
from pathlib import Path

from tests.conftest import REPO

PACKAGES = ("generator", "musicweb")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def project_modules() -> dict[str, Path]:
    return {
        module_name(path): path
        for package in PACKAGES
        for path in sorted((REPO / package).rglob("*.py"))
    }


def _resolve(name: str, modules: dict[str, Path]) -> str | None:
    """The project module that importing `name` runs: itself, or its nearest package."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(module: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """Every project module this one imports, at the top or anywhere inside it."""
    is_package = path.name == "__init__.py"
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module if is_package else module.rpartition(".")[0]
                for _ in range(node.level - 1):
                    anchor = anchor.rpartition(".")[0]
                base = f"{anchor}.{base}".strip(".")
            # `from package import name` imports the submodule when name is one.
            targets = [
                f"{base}.{alias.name}" if f"{base}.{alias.name}" in modules else base
                for alias in node.names
            ]
        else:
            continue
        found |= {resolved for name in targets if (resolved := _resolve(name, modules))}
    found.discard(module)  # a package's `from . import x` of a name defined in it
    return found


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {name: imports_of(name, path, modules) for name, path in modules.items()}


def cycle_groups(graph: dict[str, set[str]]) -> list[list[str]]:
    """Every strongly connected group of modules (Tarjan): each one holds at least one cycle."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1 or node in graph.get(node, ()):
                groups.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return groups


def _a_cycle_through(group: list[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest path from the group's first module back to itself, within the group."""
    start, members = group[0], set(group)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & members):
                if nxt == start:
                    return [*paths[node], start]
                if nxt not in paths:
                    paths[nxt] = [*paths[node], nxt]
                    following.append(nxt)
        frontier = following
    return group


def test_it_reads_imports_inside_functions_and_relative_ones(tmp_path):
    modules = {"pkg": tmp_path, "pkg.a": tmp_path, "pkg.b": tmp_path, "pkg.c": tmp_path}
    source = tmp_path / "a.py"
    source.write_text(
        "import os\nfrom pkg import b\n\n"
        "def later():\n    from .c import thing\n    import pkg.b.x\n"
    )
    assert imports_of("pkg.a", source, modules) == {"pkg.b", "pkg.c"}


def test_it_finds_every_cycle():
    graph = {"a": {"b"}, "b": {"a", "c"}, "c": {"a"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    graph["g"] = {"g"}
    groups = cycle_groups(graph)
    assert groups == [["a", "b", "c"], ["d", "e"], ["g"]]
    assert [_a_cycle_through(g, graph) for g in groups] == [
        ["a", "b", "a"],
        ["d", "e", "d"],
        ["g", "g"],
    ]


def test_it_has_no_import_cycles():
    graph = import_graph()
    assert "generator.runner" in graph and "musicweb.settings" in graph  # the walk saw the tree
    report = [
        f"{', '.join(group)}\n    e.g. {' -> '.join(_a_cycle_through(group, graph))}"
        for group in cycle_groups(graph)
    ]
    assert not report, "modules tied by import cycles:\n" + "\n".join(report)
