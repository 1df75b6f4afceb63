"""The layout's rules, checked on the source with ``ast`` (docs/architecture.md draws them).

* Stages (``petool.<package>``) form no import cycle, counting imports inside functions too.
* No module imports another stage's private names (``_x``) or private modules.
* A benchmark's package (``petool.suites.<benchmark>``) shows other stages only its face
  (its ``__init__``); the generic stages reach its parts through the registries.
"""

from __future__ import annotations

import ast
from collections import defaultdict
from pathlib import Path

import petool

ROOT = Path(petool.__file__).parent
BENCHMARKS = {"demo", "petoolbench", "ptbench", "toolspectrum"}


def _module_name(path: Path) -> str:
    rel = path.relative_to(ROOT.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> list[tuple[str, list[str]]]:
    """(imported module, imported names) for every import in the file, nested ones too."""
    module = _module_name(path)
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, list[str]]] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found += [(alias.name, []) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            found.append((base, [alias.name for alias in node.names]))
    return [(name, names) for name, names in found if name.split(".")[0] == "petool"]


def _stage(module: str) -> str:
    """The stage a module belongs to; each benchmark's package counts as a stage of its own."""
    parts = module.split(".")
    if len(parts) > 2 and parts[1] == "suites" and parts[2] in BENCHMARKS:
        return f"suites.{parts[2]}"
    return parts[1] if len(parts) > 1 else ""


def _edges() -> dict[str, set[str]]:
    graph: dict[str, set[str]] = defaultdict(set)
    for path in ROOT.rglob("*.py"):
        here = _stage(_module_name(path))
        for target, _ in _imports(path):
            there = _stage(target)
            if there and here and there != here:
                graph[here].add(there)
    return graph


def _cycle(graph: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state and (found := visit(node)):
            return found
    return None


def test_stages_form_no_import_cycle():
    assert _cycle(_edges()) is None, " -> ".join(_cycle(_edges()) or [])


def test_the_cycle_check_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


def test_no_private_import_across_stages():
    bad = []
    for path in ROOT.rglob("*.py"):
        here = _module_name(path)
        for target, names in _imports(path):
            if _stage(target) == _stage(here):
                continue
            private_module = any(part.startswith("_") for part in target.split(".")[1:])
            private_names = [n for n in names if n.startswith("_")]
            if (private_module and not target.endswith("__main__")) or private_names:
                bad.append(f"{here}: {target} {private_names}")
    assert not bad, bad


def test_other_stages_see_only_a_benchmark_packages_face():
    bad = []
    for path in ROOT.rglob("*.py"):
        here = _module_name(path)
        for target, _ in _imports(path):
            parts = target.split(".")
            inner = len(parts) >= 4 and parts[1] == "suites" and parts[2] in BENCHMARKS
            if inner and _stage(here) != _stage(target):
                bad.append(f"{here} imports {target}")
    assert not bad, bad
