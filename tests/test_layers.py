"""vmapx's layers, checked by walking every import statement (module-level and inside
functions): no cycles, no upward imports, no typer/rich/CLI below the CLI.

    errors < _text < _report < _problem < _analysis < _jaxpr, _bench < _render < cli < _notebook

`_render` reads report data only (it may import `_report` and `_text`, never an analysis or
the problem). The one import that goes up is declared here: the display hooks
(`_report/display.py`) hand a report to `_render` when it is shown.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent / "vmapx"
RANK = {"errors": 0, "_text": 1, "_report": 2, "_problem": 3, "_analysis": 4, "_jaxpr": 5,
        "_bench": 5, "_render": 6, "cli": 7,
        "_notebook": 8}  # the %vmapx magic parses lines with the CLI's commands
RENDER_MAY_IMPORT = {"errors", "_text", "_report", "_render"}
DECLARED_UP = {("vmapx._report.display", "vmapx._render")}


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path) -> set[str]:
    """Every module this file imports (`from pkg import mod` counts as pkg.mod when it is one)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    me = _module_name(path)
    package = me if path.name == "__init__.py" else me.rpartition(".")[0]
    out = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1]
                                + ([base] if base else []))
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                out.add(sub if _exists(sub) else base)
    return out


def _exists(module: str) -> bool:
    path = ROOT.parent.joinpath(*module.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def _graph() -> dict[str, set[str]]:
    """Module → the vmapx modules it imports, without the declared display edge (lazy, in the
    display hooks: a report shows itself through the renderer, which reads reports)."""
    return {_module_name(p): {m for m in _imports(p) if m.split(".")[0] == "vmapx"
                              and (_module_name(p), m) not in DECLARED_UP}
            for p in ROOT.rglob("*.py")}


def _layer(module: str) -> str | None:
    """The layer folder; None for the package itself and its entry point (above every layer)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] != "__main__" else None


def test_no_import_cycles():
    graph = _graph()
    seen: dict[str, int] = {}
    stack: list[str] = []
    cycles = []

    def visit(m: str) -> None:
        seen[m] = 1
        stack.append(m)
        for n in sorted(graph.get(m, ())):
            if seen.get(n) == 1:
                cycles.append(stack[stack.index(n):] + [n])
            elif n not in seen:
                visit(n)
        stack.pop()
        seen[m] = 2

    for m in sorted(graph):
        if m not in seen:
            visit(m)
    assert not cycles, "import cycles: " + "; ".join(" → ".join(c) for c in cycles)


def test_no_upward_imports():
    bad = []
    for mod, deps in _graph().items():
        layer = _layer(mod)
        if layer is None or layer not in RANK:
            continue
        for dep in deps:
            dep_layer = _layer(dep)
            if dep_layer is None or (mod, dep) in DECLARED_UP:
                continue
            if dep_layer not in RANK:
                bad.append(f"{mod} → {dep} (a layer this test does not know)")
            elif layer == "_render" and dep_layer not in RENDER_MAY_IMPORT:
                bad.append(f"{mod} → {dep} (the renderer reads report data only)")
            elif RANK[dep_layer] > RANK[layer] or (RANK[dep_layer] == RANK[layer]
                                                   and dep_layer != layer):
                bad.append(f"{mod} → {dep}")
    assert not bad, "upward imports:\n" + "\n".join(sorted(bad))


def test_nothing_below_the_cli_imports_typer_rich_or_the_cli():
    bad = []
    for path in ROOT.rglob("*.py"):
        mod = _module_name(path)
        if _layer(mod) in ("cli", "_render", "_notebook", None):  # the magic uses the CLI
            continue
        for dep in _imports(path):
            if dep.split(".")[0] in ("typer", "rich", "click") or dep.startswith("vmapx.cli"):
                bad.append(f"{mod} → {dep}")
    assert not bad, bad


def test_every_layer_folder_is_known():
    folders = {p.name for p in ROOT.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= set(RANK), folders - set(RANK)
    loose = {p.stem for p in ROOT.glob("*.py")} - {"__init__", "__main__", "errors"}
    assert not loose, f"modules outside the layer folders: {sorted(loose)}"
