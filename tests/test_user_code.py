"""User code: an exception raised inside the user's function is reported at the user's file and
line (not at vmapx's or JAX's frames), and a module that raises on import says so, for every
command."""

from __future__ import annotations

import re
import textwrap

import pytest

import vmapx
from vmapx.cli import app

FAST = ["--runs", "1", "--min-time", "0", "--warmup", "0"]
USER = textwrap.dedent('''\
    import jax.numpy as jnp


    def helper(x):
        return jnp.reshape(x, (7, 7))          # line 5: JAX raises here, called from user code


    def deep(x):
        return helper(x) + 1


    def raises(x):
        if x.shape[0] > 0:
            raise KeyError("no such key")       # line 14: the user's own raise
        return x
    ''')
VMAPX_FRAME = re.compile(r"vmapx/\w+\.py")


@pytest.fixture
def user_file(tmp_path):
    path = tmp_path / "mine.py"
    path.write_text(USER)
    return path


def _cli(runner, *argv):
    result = runner.invoke(app, list(argv))
    out = " ".join(result.output.split())
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "Traceback" not in out
    return result.exit_code, out


def _at_user_line(out, path, line, fn):
    # Rich wraps (and folds) a long path inside a panel: compare without spaces and borders
    flat = re.sub(r"[\s│]", "", out)
    assert f"{path}:{line}in{fn}".replace(" ", "") in flat, out
    assert not VMAPX_FRAME.search(flat.replace(str(path), "")), out


# -- a raise in the user's own code -------------------------------------------------------------

def test_shape_api_names_the_users_line(user_file):
    import importlib.util

    spec = importlib.util.spec_from_file_location("mine_for_api", user_file)
    m = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(m)
    report = vmapx.shape(m.raises, (3, 4))
    assert report.error is not None and report.error.kind == "other"
    assert f"{user_file}:14 in raises" in report.error.message
    assert "KeyError" in report.error.message and "vmapx/" not in report.error.message


@pytest.mark.parametrize("command", ["shape", "jaxpr"])
def test_users_raise_is_reported_at_its_line(runner, user_file, command):
    code, out = _cli(runner, command, f"{user_file}:raises", "--x", "3,4")
    assert code == 1
    assert "KeyError" in out and "no such key" in out
    _at_user_line(out, user_file, 14, "raises")


@pytest.mark.parametrize("command", ["shape", "jaxpr"])
def test_jax_error_inside_user_code_points_at_the_users_line(runner, user_file, command):
    """JAX raises inside reshape, called from the user's helper, called from deep: the report
    names the innermost frame of the user's code, the helper's line."""
    code, out = _cli(runner, command, f"{user_file}:deep", "--x", "3,4")
    assert code == 1
    _at_user_line(out, user_file, 5, "helper")


def test_fixture_function_raising(runner):
    for command in ("shape", "jaxpr"):
        code, out = _cli(runner, command, "tests/fixtures/user_funcs.py:boom", "--x", "2,3")
        assert code == 1
        assert "boom from user code" in out
        assert "tests/fixtures/user_funcs.py:25 in boom" in out


def test_bench_reports_the_users_error(runner, user_file):
    """bench reports the failure per variant and exits 1, before measuring anything."""
    code, out = _cli(runner, "bench", f"{user_file}:raises", "--x", "3,4", *FAST)
    assert code == 1
    assert "KeyError" in out and "no such key" in out
    _at_user_line(out, user_file, 14, "raises")


# -- a module that raises on import -------------------------------------------------------------

@pytest.mark.parametrize("command, extra", [("shape", []), ("jaxpr", []), ("bench", FAST)])
@pytest.mark.parametrize("spec", ["tests/fixtures/raising_module.py:f",
                                  "tests.fixtures.raising_module:f"])
def test_module_raising_on_import_says_so(runner, command, extra, spec):
    code, out = _cli(runner, command, spec, "--x", "3", *extra)
    assert code == 2
    assert "importing" in out and "raised RuntimeError: this module refuses to import" in out
    assert "raising_module.py:3 in <module>" in out


@pytest.mark.parametrize("command, extra", [("shape", []), ("jaxpr", []), ("bench", FAST)])
def test_module_with_a_syntax_error_says_so(runner, tmp_path, command, extra):
    (tmp_path / "broken.py").write_text("x = 1\ndef f(x) return x\n")
    code, out = _cli(runner, command, f"{tmp_path}/broken.py:f", "--x", "3", *extra)
    assert code == 2
    assert "has a syntax error" in out and "line 2" in out


@pytest.mark.parametrize("command, extra", [("shape", []), ("jaxpr", []), ("bench", FAST)])
def test_module_importing_a_missing_package_says_so(runner, tmp_path, command, extra):
    (tmp_path / "needs.py").write_text("import not_installed_pkg_xyz\n\ndef f(x):\n    return x\n")
    code, out = _cli(runner, command, f"{tmp_path}/needs.py:f", "--x", "3", *extra)
    assert code == 2
    assert "importing" in out and "not_installed_pkg_xyz" in out
    assert f"{tmp_path}/needs.py:1 in <module>" in out
