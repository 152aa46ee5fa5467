"""The import graph: no cycles, nothing imports upward, no layer skipped (issue 15).

Layers, lowest first: catalog/core (facts, types, storage) → engines (build, call, parse) → services (what a
lab asks for; jobs) → ui (shared widgets, session state) → pages. A module may import its own layer or the
one below; pages and ui reach engines only through services, engines never touch storage or Streamlit.
Function-level imports count too: a lazy import is still a dependency, and still a cycle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

# Module name prefixes of each layer (the longest matching prefix wins).
LAYERS: dict[str, tuple[str, ...]] = {
    "core": ("lib.errors", "lib.settings", "lib.imaging", "lib.masks", "lib.text", "lib.vision", "lib.chat",
             "lib.catalog", "lib.presets", "lib.labs", "lib.samples", "lib.background", "lib.generation",
             "lib.storage", "lib.history", "lib.search.index", "lib.search.pg_index", "lib.capabilities",
             "lib.local.availability", "lib"),
    "engines": ("lib.engines", "lib.bedrock", "lib.local"),
    "services": ("lib.services", "lib.jobs", "lib.converse", "lib.readiness", "lib.warmup", "lib.codegen",
                 "lib.caller", "lib.search"),
    "ui": ("lib.ui",),
    "pages": ("pages", "app"),
}
ORDER = ["core", "engines", "services", "ui", "pages"]
# Layers a layer may import besides its own: the ones below, except those it must reach through another.
MAY_IMPORT = {
    "core": set(),
    "engines": {"core"},
    "services": {"core", "engines"},
    "ui": {"core", "services"},
    "pages": {"core", "services", "ui"},
}
ENGINES_NEVER = ("lib.storage", "lib.history", "lib.search", "streamlit")


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def layer_of(module: str) -> str | None:
    best, found = -1, None
    for layer, prefixes in LAYERS.items():
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, found = len(prefix), layer
    return found


def project_files() -> list[Path]:
    files = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py")), *sorted((ROOT / "lib").rglob("*.py"))]
    return [f for f in files if "migrations" not in f.parts]


def imports_of(path: Path, known: set[str]) -> set[str]:
    """Project modules `path` imports anywhere in its body (from X import Y counts X.Y when that is a module)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            if name in known:
                found.add(name)
            elif name.split(".")[0] == "streamlit":
                found.add("streamlit")
    return found


def graph() -> dict[str, set[str]]:
    files = project_files()
    known = {module_name(f) for f in files}
    return {module_name(f): imports_of(f, known) - {module_name(f)} for f in files}


def test_every_module_has_a_layer():
    assert [m for m in graph() if layer_of(m) is None] == []


def test_no_import_goes_up_or_skips_a_layer():
    wrong = []
    for module, deps in graph().items():
        mine = layer_of(module)
        for dep in deps:
            if dep == "streamlit":
                if ORDER.index(mine) < ORDER.index("ui"):
                    wrong.append(f"{module} imports streamlit (only ui and pages may)")
                continue
            theirs = layer_of(dep)
            if theirs != mine and theirs not in MAY_IMPORT[mine]:
                wrong.append(f"{module} ({mine}) imports {dep} ({theirs})")
            if mine == "engines" and any(dep == p or dep.startswith(p + ".") for p in ENGINES_NEVER):
                wrong.append(f"{module} (an engine) imports {dep}")
    assert wrong == []


def _cycle(edges: dict[str, set[str]]) -> list[str] | None:
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        stack.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for start in sorted(edges):
        if start not in state:
            found = visit(start)
            if found:
                return found
    return None


def test_no_import_cycles():
    edges = {m: {d for d in deps if d != "streamlit" and d != "lib" and not m.startswith(d + ".")}
             for m, deps in graph().items()}
    assert _cycle(edges) is None


def test_the_cycle_finder_finds_a_cycle():
    assert _cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert _cycle({"a": {"b"}, "b": set()}) is None


@pytest.mark.parametrize("module, expected", [("lib.engines.titan_image", "engines"), ("lib.ui.jobs", "ui"),
                                              ("pages.2_image_generation", "pages"), ("lib.catalog", "core"),
                                              ("lib.search.index", "core"), ("lib.search.build", "services")])
def test_layers_are_read_by_the_longest_prefix(module, expected):
    assert layer_of(module) == expected
