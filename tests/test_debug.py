"""--debug keeps its promise: the traceback down to the user's frame, JAX's message last."""

import pytest

from vmapx.cli import app

UF = "tests/fixtures/user_funcs.py"
FAST = ["--runs", "1", "--min-time", "0", "--variants", "loop"]


@pytest.mark.parametrize("command, extra", [("shape", []), ("jaxpr", ["--no-cost"]),
                                            ("bench", FAST)])
def test_debug_shows_the_traceback_down_to_the_users_frame(runner, command, extra):
    r = runner.invoke(app, [command, f"{UF}:matvec", "--m", "2,3,4", "--v", "2,5", *extra,
                            "--debug"])
    assert r.exit_code == 1, r.output
    tb = r.stderr
    assert tb.lstrip().startswith("Traceback (most recent call last):"), tb
    assert 'user_funcs.py", line 13, in matvec' in tb and "m @ v" in tb  # the user's frame
    assert "TypeError: dot_general requires contracting dimensions" in tb  # JAX's message
    assert "/vmapx/" not in tb  # vmapx's own frames above the user's are left out
    assert "--debug" not in r.stdout or "Traceback" in tb


@pytest.mark.parametrize("command", ["shape", "jaxpr"])
def test_without_debug_no_traceback(runner, command):
    r = runner.invoke(app, [command, f"{UF}:boom", "--x", "2,3"])
    assert r.exit_code == 1 and "Traceback" not in r.output
    assert "--debug" in r.output  # the hint promises it


def test_the_traceback_is_in_the_report(runner):
    import vmapx
    from tests.fixtures.user_funcs import boom

    report = vmapx.shape(boom, (2, 3))
    assert 'line 25, in boom' in report.error.traceback
    assert report.error.traceback.splitlines()[-3] == "ValueError: boom from user code"
