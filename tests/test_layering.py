"""The package's architecture, enforced: imports run one way, and there is no import circle.

Three parts — `sources` (get them), `build` (build the system), `netboot` (boot it) — on top of
the shared modules, with the front ends (`tasks`, `journey`, `report`) on top of all three:

    tasks, journey, report  ->  sources | build | netboot  ->  errors settings atomic tables yamldata owned children

`build` may read the package list (`sources`); `sources` and `netboot` import no other part
(netboot takes a tree, not a build). Imports inside functions count: a lazy import is still
a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "lfsbuild"
SHARED = {"errors", "settings", "atomic", "tables", "yamldata", "owned", "children"}
PARTS = {"sources", "build", "netboot"}
FRONT = {"tasks", "journey", "report"}
#: part -> the parts it may import (besides itself and the shared modules)
ALLOWED = {"sources": set(), "build": {"sources"}, "netboot": set()}


def module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> set[str]:
    """Every lfsbuild module this file imports, anywhere in it, as a dotted name."""
    mod = module_name(path)
    package = mod if path.name == "__init__.py" else mod.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("lfsbuild")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - (node.level - 1)]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            if not target.startswith("lfsbuild"):
                continue
            for a in node.names:  # `from pkg import mod` imports a module, not only pkg
                sub = f"{target}.{a.name}"
                found.add(sub if resolve(sub) == sub else target)
    return {resolve(name) for name in found} - {mod}


def resolve(name: str) -> str:
    """The module a dotted import names (`lfsbuild.build.plan.Selection` -> its module)."""
    parts = name.split(".")
    while len(parts) > 1:
        p = PKG.parent.joinpath(*parts)
        if p.with_suffix(".py").is_file() or (p / "__init__.py").is_file():
            return ".".join(parts)
        parts.pop()
    return name


def graph() -> dict[str, set[str]]:
    return {module_name(p): imports_of(p) for p in PKG.rglob("*.py")}


def layer(mod: str) -> str:
    parts = mod.split(".")
    return parts[1] if len(parts) > 1 else "lfsbuild"


def test_every_module_belongs_to_a_known_layer():
    unknown = {m for m in graph() if layer(m) not in SHARED | PARTS | FRONT | {"lfsbuild"}}
    assert not unknown, f"modules outside sources/build/netboot and the shared set: {unknown}"


@pytest.mark.parametrize("part", sorted(PARTS))
def test_parts_import_only_downwards(part):
    bad = []
    for mod, deps in graph().items():
        if layer(mod) != part:
            continue
        for dep in deps:
            to = layer(dep)
            if to in SHARED or to == part or to in ALLOWED[part]:
                continue
            bad.append(f"{mod} imports {dep}")
    assert not bad, "imports against the layering:\n" + "\n".join(sorted(bad))


def test_shared_modules_import_no_part():
    bad = [f"{m} imports {d}" for m, deps in graph().items() if layer(m) in SHARED
           for d in deps if layer(d) not in SHARED]
    assert not bad, bad


def test_no_import_circle():
    g = graph()
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for d in sorted(g.get(m, ())):
            if d.endswith("__init__") or d not in g:
                continue
            if state.get(d) == 1:
                return path[path.index(d):] + [d]
            if d not in state and (cycle := visit(d)):
                return cycle
        state[m] = 2
        path.pop()
        return None

    for m in sorted(g):
        if m not in state and (cycle := visit(m)):
            pytest.fail("import circle: " + " -> ".join(cycle))


def test_checker_sees_lazy_and_relative_imports(tmp_path):
    """The checker itself: a function-level relative import is found and resolved."""
    deps = imports_of(PKG / "journey.py")
    assert "lfsbuild.netboot.pxe" in deps and "lfsbuild.report" in deps
