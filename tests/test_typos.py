"""Option typos: an unknown `--NAME` close to one of the command's options says so first."""

import pytest
import typer.main

from vmapx._problem.surface import OPTIONS
from vmapx.cli import app


def _command_options(name):
    command = typer.main.get_command(app).commands[name]
    out = set()
    for param in command.params:
        for opt in [*param.opts, *param.secondary_opts]:
            if opt.startswith("--") and opt != "--help":
                out.add(opt[2:].replace("-", "_"))
    return out


@pytest.mark.parametrize("command", ["shape", "jaxpr", "bench"])
def test_the_typo_list_is_each_commands_options(command):
    assert set(OPTIONS[command]) == _command_options(command)


@pytest.mark.parametrize("argv, wanted", [
    (["shape", "jnp.add", "--a", "2,3", "--inaxes", "0"], "did you mean --in-axes?"),
    (["shape", "jnp.add", "--a", "2,3", "--out-axis", "0"], "did you mean --out-axes?"),
    (["jaxpr", "jnp.add", "--a", "2,3", "--souce-info"], "did you mean --source-info?"),
    (["bench", "jnp.add", "--a", "2,3", "--min-tme", "0"], "did you mean --min-time?"),
    # a value that is no shape: still the typo first, not "cannot read shape spec"
    (["shape", "jnp.add", "--a", "2,3", "--mesh-axes", "data"], "did you mean --mesh-axis?"),
    (["jaxpr", "jnp.add", "--a", "2,3", "--stag", "hlo"], "did you mean --stage?"),
])
def test_an_option_typo_is_named_first(runner, argv, wanted):
    r = runner.invoke(app, argv)
    assert r.exit_code == 2, r.output
    first = " ".join(r.output.split())
    assert first.startswith("error: --") and wanted in first.split("hint:")[0], r.output


def test_an_unknown_argument_far_from_any_option_is_still_the_functions(runner):
    r = runner.invoke(app, ["shape", "jnp.add", "--a", "2,3", "--zz", "3"])
    assert r.exit_code == 2
    assert "jnp.add has no parameter 'zz'" in r.output and "did you mean" not in r.output


def test_a_bare_word_static_is_bad_input_with_how_to_quote(runner):
    r = runner.invoke(app, ["shape", "jnp.sum", "--a", "4,3", "--static", "axis=foo"])
    out = " ".join(r.output.split())
    assert r.exit_code == 2 and "'foo' is not a Python literal" in out
    assert "--static axis=\"'foo'\"" in out
