"""The project's modules: every one imports, none is part of an import cycle, and the layers
point downward (`core` imports no app; `cases.rules` nothing but models and the kana rules;
`demo`, the demo data, is imported by no app).

Imports are read from the source (ast), module-level and function-level alike (a function-level
import only hides a cycle), except those under `if TYPE_CHECKING:`. Registries name modules as
strings (`import_string`): that is how a lower layer reaches a higher one, and is not an import.
"""

import ast
import importlib
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_PROJECT = {"tests", "bench", "scripts", "docs", "static", "templates", "locale"}
PACKAGES = sorted(
    p.name
    for p in ROOT.iterdir()
    if p.is_dir() and (p / "__init__.py").exists() and p.name not in NOT_PROJECT
)

# Cycles still to remove. Each must still exist while listed here, so its entry goes the day
# the cycle does; nothing is ever added. (The two in exports/ went with the ledger columns'
# leaf module and the export files' own module.)
KNOWN_CYCLES: list[set[str]] = []


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {
    module_name(path): path
    for package in PACKAGES
    for path in sorted((ROOT / package).rglob("*.py"))
    if "migrations" not in path.parts
}


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imports(node: ast.AST, module: str, is_package: bool) -> Iterator[str]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _is_type_checking(child.test):
            yield from (name for n in child.orelse for name in _imports(n, module, is_package))
            continue
        if isinstance(child, ast.Import):
            yield from (alias.name for alias in child.names)
        elif isinstance(child, ast.ImportFrom):
            base = child.module or ""
            if child.level:
                here = module.split(".") if is_package else module.split(".")[:-1]
                here = here[: len(here) - (child.level - 1)]
                base = ".".join([*here, base] if base else here)
            for alias in child.names:
                candidate = f"{base}.{alias.name}"
                yield candidate if candidate in MODULES else base
        yield from _imports(child, module, is_package)


def project_imports() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = {}
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        names = _imports(tree, module, path.name == "__init__.py")
        graph[module] = {name for name in names if name in MODULES and name != module}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[set[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for succ in sorted(graph[node]):
            if succ not in index:
                visit(succ)
                low[node] = min(low[node], low[succ])
            elif succ in on_stack:
                low[node] = min(low[node], index[succ])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


@pytest.mark.parametrize("module", sorted(MODULES))
def test_every_module_imports(module: str) -> None:
    importlib.import_module(module)


def test_no_import_cycle_inside_the_project() -> None:
    found = cycles(project_imports())
    unexpected = [sorted(c) for c in found if c not in KNOWN_CYCLES]
    assert not unexpected, f"import cycles: {unexpected}"
    gone = [sorted(c) for c in KNOWN_CYCLES if c not in found]
    assert not gone, f"these cycles are gone: remove them from KNOWN_CYCLES: {gone}"


def test_the_cycle_finder_finds_a_cycle() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert cycles(graph) == [{"a", "b", "c"}]


def test_core_imports_no_app() -> None:
    graph = project_imports()
    upward = {
        module: sorted(name for name in imported if not name.startswith("core"))
        for module, imported in graph.items()
        if module.split(".")[0] == "core"
    }
    assert {m: names for m, names in upward.items() if names} == {}


def test_no_app_imports_the_demo_data() -> None:
    """demo/ sits on top: it imports the apps to fill them, and nothing imports it (the apps
    and config run without it)."""
    graph = project_imports()
    assert "demo.accounts" in graph["demo.management.commands.seed_demo"]
    upward = {
        module: sorted(name for name in imported if name.split(".")[0] == "demo")
        for module, imported in graph.items()
        if module.split(".")[0] != "demo"
    }
    assert {m: names for m, names in upward.items() if names} == {}


def test_the_case_rules_import_only_downward() -> None:
    assert project_imports()["cases.rules"] <= {
        "cases.models",
        "cases.kana",
        "core.fiscal",
        "core.models",
    }
