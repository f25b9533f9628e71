"""Shell completion (Typer's: `vmapx --install-completion`): the values of --variants, --stage
and --backend, and FUNCTION names.

Nothing here runs at `--help` time, and nothing imports jax even when it runs: jnp./lax./
jax.nn. names are read from those packages' `__init__.py` sources (their public re-exports),
which takes milliseconds where importing jax takes a second per TAB.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

STAGES = ("jaxpr", "stablehlo", "hlo")
BACKENDS = ("cpu", "gpu", "tpu")
# What a FUNCTION prefix names → the package whose public names complete it.
PACKAGES = {"jnp.": "jax.numpy", "lax.": "jax.lax", "jax.numpy.": "jax.numpy",
            "jax.lax.": "jax.lax", "jax.nn.": "jax.nn"}


def complete_stage(incomplete: str) -> list[str]:
    return [s for s in STAGES if s.startswith(incomplete)]


def complete_backend(incomplete: str) -> list[str]:
    return [b for b in BACKENDS if b.startswith(incomplete)]


def complete_variants(incomplete: str) -> list[str]:
    """`loop,vm` → `loop,vmap`: the last entry of the comma list, completed; the ones given
    already are not offered again."""
    from vmapx._report.bench import VARIANTS

    done, _, last = incomplete.rpartition(",")
    given = set(done.split(",")) if done else set()
    head = done + "," if done else ""
    return [head + v for v in VARIANTS if v.startswith(last) and v not in given]


def complete_function(incomplete: str) -> list[str]:
    """`jnp.ad` → jnp.add, jnp.addmm…; `examples/dot.py:` → the file's functions; a path → the
    folders and .py files there; nothing typed → the prefixes and the .py files here."""
    for prefix, package in PACKAGES.items():
        if incomplete.startswith(prefix):
            return [prefix + n for n in public_names(package)
                    if (prefix + n).startswith(incomplete)]
    path, colon, name = incomplete.partition(":")
    if colon and path.endswith(".py"):
        return [f"{path}:{n}" for n in _defined(path) if n.startswith(name)]
    out = [p for p in PACKAGES if p.startswith(incomplete) and not p.startswith("jax.")
           or incomplete.startswith("jax") and p.startswith(incomplete)]
    return out + _paths(incomplete)


@lru_cache(maxsize=None)
def public_names(package: str) -> tuple[str, ...]:
    """A package's public names as its `__init__.py` re-exports them (`from … import x as x`,
    `def x`), read from the source without importing it; no lax primitives (`add_p`)."""
    import ast
    import importlib.util

    spec = importlib.util.find_spec(package.split(".")[0])
    if spec is None or not spec.submodule_search_locations:
        return ()
    init = Path(list(spec.submodule_search_locations)[0], *package.split(".")[1:],
                "__init__.py")
    try:
        tree = ast.parse(init.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError):
        return ()
    names = set()
    for node in tree.body:
        if isinstance(node, ast.ImportFrom):
            names.update(a.asname or a.name for a in node.names)
        elif isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Delete):  # imported to be run, then deleted
            names.difference_update(t.id for t in node.targets if isinstance(t, ast.Name))
    return tuple(sorted(n for n in names if not n.startswith("_") and n != "*"
                        and not n.endswith("_p")))


def _defined(path: str) -> list[str]:
    """The top-level functions of a .py file, read without running it."""
    import ast

    try:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
    except (OSError, SyntaxError, UnicodeDecodeError, ValueError):
        return []
    return [n.name for n in tree.body if isinstance(n, (ast.FunctionDef,
                                                         ast.AsyncFunctionDef))
            and not n.name.startswith("_")]


def _paths(incomplete: str) -> list[str]:
    """Folders and .py files under what is typed so far (`ex` → `examples/`)."""
    folder, _, stem = incomplete.rpartition("/")
    base = Path(folder or ".")
    try:
        entries = sorted(base.iterdir())
    except OSError:
        return []
    out = []
    for entry in entries:
        if not entry.name.startswith(stem) or entry.name.startswith((".", "__")):
            continue
        shown = f"{folder}/{entry.name}" if folder else entry.name
        if entry.is_dir():
            out.append(shown + "/")
        elif entry.suffix == ".py":
            out.append(shown + ":")
    return out
