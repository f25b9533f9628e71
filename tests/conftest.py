import functools
import inspect
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# Rich output in tests: fixed width, no colour.
os.environ.setdefault("COLUMNS", "100")
os.environ["NO_COLOR"] = "1"
os.environ.pop("FORCE_COLOR", None)


def _build_the_cli_once() -> None:
    """Typer's test runner turns the app into a Click command on every `invoke` (~35 ms, most
    of a fuzz run); the app never changes during the tests, so build it once per app."""
    import typer.testing

    build = getattr(typer.testing, "_get_command", None)
    if build is None or getattr(build, "cached", False):
        return
    built: dict[int, object] = {}

    def cached(app):
        if id(app) not in built:
            built[id(app)] = build(app)
        return built[id(app)]

    cached.cached = True
    typer.testing._get_command = cached


_build_the_cli_once()


@functools.lru_cache(maxsize=None)
def add_names() -> tuple[str, str]:
    """What `jnp.add`'s two arguments are called in vmapx's reports: `a`, `b` (named by
    position) where it takes `*args` (a ufunc, as on JAX 0.4.38 and later), else its own
    parameter names (`add(x1, x2, /)` on 0.4.30, `add(x, y, /)` on 0.4.31). Either way
    `--a`/`--b` give them by position."""
    import jax.numpy as jnp

    params = list(inspect.signature(jnp.add).parameters.values())
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return "a", "b"
    return params[0].name, params[1].name


def with_add_names(text: str) -> str:
    """`text` with `{a}` and `{b}` replaced by `jnp.add`'s argument names (see `add_names`), and
    `{third}` by how a third one (`--c`) is refused: a ufunc says how many it takes, a
    function `add(x1, x2, /)` has no parameter `c`."""
    a, b = add_names()
    third = "takes 2 arguments" if (a, b) == ("a", "b") else "has no parameter 'c'"
    return text.replace("{a}", a).replace("{b}", b).replace("{third}", third)


@pytest.fixture
def runner():
    from typer.testing import CliRunner

    return CliRunner()


@pytest.fixture(autouse=True)
def _in_repo_root(monkeypatch):
    """Commands are written as a user types them, from the repo root (examples/…)."""
    monkeypatch.chdir(ROOT)
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
