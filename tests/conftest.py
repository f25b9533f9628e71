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
