"""The house as ../shared/DESIGN.md draws it, checked from the code's own imports.

Layers, top to bottom: cli -> app, http -> handlers, jobs -> slack -> views -> runtime ->
services -> config, store -> the leaf kit. A module imports only from its own floor or
below; handlers and jobs live side by side and never import each other; no module imports
a handler (but the registry of handlers and the app that calls it); no import circle; no
file over 400 lines.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = SRC / "ticketbot"
MAX_LINES = 400

# The floor of each top-level module or package of src/ticketbot (higher imports lower).
FLOORS = {
    "cli": 9,
    "app": 8,
    "http": 8,
    "handlers": 7,
    "jobs": 7,
    "slack": 6,
    "views": 5,
    "runtime": 4,
    "directory": 4,
    "services": 3,
    "config": 2,
    "store": 2,
    # the leaf kit
    "ids": 1,
    "vocabulary": 1,
    "i18n": 1,
    "clock": 1,
    "addresses": 1,
    "logs": 1,
    "mailer": 1,
    "concurrency": 1,
    "failures": 1,
    "pacing": 1,
    "metrics": 1,
}
# Same floor, different homes, never importing each other.
APART = {frozenset({"handlers", "jobs"}), frozenset({"app", "http"})}


def module_name(path: Path) -> str:
    parts = path.relative_to(SRC).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def modules() -> dict[str, Path]:
    return {module_name(p): p for p in PACKAGE.rglob("*.py") if "migrations" not in p.parts}


def imports_of(path: Path, name: str) -> set[str]:
    """Every ticketbot module this one imports, at module level or inside functions."""
    found: set[str] = set()
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    known = modules()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("ticketbot"))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if not base.startswith("ticketbot"):
                continue
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                found.add(candidate if candidate in known else base)
    return {m for m in found if m != name}


def home(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "ticketbot"


def graph() -> dict[str, set[str]]:
    known = modules()
    return {
        name: {m for m in imports_of(path, name) if m in known} for name, path in known.items()
    }


def upward_imports() -> list[str]:
    problems = []
    for importer, imported in sorted(graph().items()):
        source = home(importer)
        for target in sorted(imported):
            dest = home(target)
            if source == "ticketbot" or dest == "ticketbot":
                continue  # the package's __init__
            if source not in FLOORS or dest not in FLOORS:
                problems.append(f"{importer} -> {target}: no floor for {source} or {dest}")
            elif FLOORS[dest] > FLOORS[source]:
                problems.append(f"{importer} -> {target}: runs up from {source} to {dest}")
            elif source != dest and frozenset({source, dest}) in APART:
                problems.append(f"{importer} -> {target}: {source} and {dest} stay apart")
    return problems


def cycles() -> list[list[str]]:
    edges = graph()
    found, state, stack = [], {}, []

    def visit(node: str) -> None:
        state[node] = "open"
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                found.append([*stack[stack.index(nxt) :], nxt])
            elif nxt not in state:
                visit(nxt)
        stack.pop()
        state[node] = "done"

    for node in sorted(edges):
        if node not in state:
            visit(node)
    return found


def test_every_module_has_a_floor():
    homeless = sorted({home(m) for m in modules()} - set(FLOORS) - {"ticketbot"})
    assert homeless == []


def test_no_import_runs_up_a_layer():
    assert upward_imports() == []


def test_no_import_circle():
    assert cycles() == []


def test_no_module_imports_a_handler():
    allowed = {"ticketbot.handlers", "ticketbot.app"}  # the registry, and the app calling it
    offenders = [
        f"{importer} -> {target}"
        for importer, imported in sorted(graph().items())
        for target in sorted(imported)
        if target.startswith("ticketbot.handlers.") and importer not in allowed
    ]
    assert offenders == []


@pytest.mark.parametrize("path", sorted(PACKAGE.rglob("*.py")), ids=lambda p: module_name(p))
def test_no_file_over_400_lines(path: Path):
    if "migrations" in path.parts:
        pytest.skip("migrations are history, written once")
    lines = len(path.read_text(encoding="utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines: it holds two ideas"
