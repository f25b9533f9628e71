"""Every example the user is shown runs as shown: each `vmapx …` line in `vmapx --help` and in
each command's `--help`, and every code block in README.md (bash lines that run vmapx, Python
blocks, the notebook block in an IPython shell), each with its documented exit code.

An example's exit code is 0 unless its comment says `(exit N)` or is `# exit N`. Bench examples get
`--runs 1 --min-time 0 --warmup 0` appended (timing knobs only: what runs, what is checked
and what is written are the example's); nothing else is changed. Examples run in a scratch
folder that sees the repository's `examples/` and `tests/`, so the files they write (`dot.svg`,
`base.json`, …) land there, and in the order shown (an `--export-json base.json` comes before
the `--compare base.json` that reads it).
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from vmapx.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
FAST = ["--runs", "1", "--min-time", "0", "--warmup", "0"]
WIDTH = 80
# a README block that needs what this machine lacks (several hosts) starts with this line
NOT_RUN = "# on every host (not run by the tests"


def _joined(lines: list[str]) -> list[str]:
    """Shell lines with their `\\` continuations joined."""
    out: list[str] = []
    pending = ""
    for line in lines:
        stripped = line.strip()
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        out.append(pending + stripped)
        pending = ""
    return out


def _blocks(lang: str) -> list[str]:
    return re.findall(rf"^```{lang}\n(.*?)^```", README.read_text(encoding="utf-8"),
                      re.S | re.M)


def readme_commands() -> list[str]:
    return [line for block in _blocks("bash") for line in _joined(block.splitlines())
            if line.startswith("vmapx")]


def help_text(runner, command: str | None) -> str:
    r = runner.invoke(app, [command, "--help"] if command else ["--help"],
                      env={"COLUMNS": str(WIDTH)}, terminal_width=WIDTH)
    assert r.exit_code == 0, r.output
    return r.stdout


def help_commands(text: str) -> list[str]:
    """The example lines of a --help text: `vmapx …` lines after `Examples:` (with their
    continuations), and the root's `Start here: vmapx …`."""
    found = re.findall(r"Start here: (vmapx .*)$", text, re.M)
    if "Examples:" in text:
        block = text.split("Examples:", 1)[1].split("\n\n", 2)[1]
        found += [line for line in _joined(block.splitlines()) if line.startswith("vmapx")]
    return found


def expected_exit(line: str) -> int:
    comment = line.partition("#")[2]
    said = re.search(r"\(exit (\d+)\)|^\s*exit (\d+)\s*$", comment)
    if "--backend gpu" in line:
        import jax

        try:
            jax.devices("gpu")
            return 0
        except RuntimeError:
            return 2  # documented: without a GPU build of jax, bad input
    return int(said.group(1) or said.group(2)) if said else 0


@pytest.fixture
def scratch(tmp_path, monkeypatch):
    """A scratch folder as the current directory and as $HOME (where `--install-completion`
    writes), seeing the repository's examples/ and tests/. The shell `--install-completion`
    detects from the process tree is bash here, whatever runs the tests."""
    import typer._completion_shared

    for name in ("examples", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setattr(typer._completion_shared, "_get_shell_name", lambda: "bash")
    return tmp_path


def run_example(runner, line: str) -> None:
    argv = _argv(line)
    # `vmapx watch` answers, then waits for saves: `q` at its prompt ends it after one answer
    r = runner.invoke(app, argv, prog_name="vmapx", input="q\n" if argv[0] == "watch" else None)
    want = expected_exit(line)
    assert r.exit_code == want, f"{line}\nexit {r.exit_code}, documented {want}:\n{r.output}"
    assert "Traceback" not in r.output, r.output


def test_help_examples_fit_80_columns(runner):
    """Every line of each command's examples fits the terminal, so none wraps mid-command."""
    found = 0
    for command in (None, "shape", "jaxpr", "bench", "watch"):
        text = help_text(runner, command)
        found += len(help_commands(text))
        block = text.split("Examples:", 1)[-1] if command else text
        for raw in block.splitlines():
            assert len(raw) <= WIDTH, f"{len(raw)} columns in vmapx {command} --help: {raw}"
    assert found >= 20


def test_readme_code_lines_fit_80_columns():
    for block in _blocks("bash") + _blocks("python"):
        for raw in block.splitlines():
            assert len(raw) <= WIDTH, f"README line of {len(raw)} columns: {raw}"


# The `--mesh` examples run in one fresh process, as a user's do: the simulated CPU devices
# must be set before JAX starts, and this test process started JAX long ago.
_MESH_DRIVER = """
import json, sys
from typer.testing import CliRunner
from vmapx.cli import app
out = []
for argv in json.loads(sys.argv[1]):
    r = CliRunner().invoke(app, argv, prog_name="vmapx")
    out.append([r.exit_code, r.output[-2000:]])
print(json.dumps(out))
"""


def _argv(line: str) -> list[str]:
    argv = shlex.split(line, comments=True)
    assert argv[0] == "vmapx", line
    return argv[1:] + (FAST if argv[1:2] == ["bench"] and "--help" not in argv else [])


def test_every_example_in_help_and_readme_runs_as_shown(runner, scratch):
    """In the order shown (--help first, then the README), each distinct line once."""
    import json
    import subprocess
    import sys

    lines = [line for command in (None, "shape", "jaxpr", "bench", "watch")
             for line in help_commands(help_text(runner, command))] + readme_commands()
    assert len(readme_commands()) >= 20
    mesh = [line for line in dict.fromkeys(lines) if "--mesh" in line]
    for line in dict.fromkeys(lines):
        if line not in mesh:
            run_example(runner, line)
    assert len(mesh) >= 3
    done = subprocess.run([sys.executable, "-c", _MESH_DRIVER,
                           json.dumps([_argv(line) for line in mesh])],
                          capture_output=True, text=True, timeout=300, cwd=scratch)
    assert done.returncode == 0, done.stderr
    for line, (code, output) in zip(mesh, json.loads(done.stdout.splitlines()[-1])):
        assert code == expected_exit(line), f"{line}\nexit {code}:\n{output}"
        assert "Traceback" not in output, output
    installed = (scratch / ".bash_completions" / "vmapx.sh").read_text()
    assert "_VMAPX_COMPLETE=complete_bash" in installed  # --install-completion wrote it
    assert ".bash_completions/vmapx.sh" in (scratch / ".bashrc").read_text()


def test_every_readme_python_block_runs(scratch, capsys):
    """Plain Python blocks run as a script would; a block with `%` magics in an IPython shell
    (as a notebook runs it), after `%load_ext vmapx`."""
    blocks = [b for b in _blocks("python") if not b.startswith(NOT_RUN)]
    assert len(blocks) >= 3
    assert len(_blocks("python")) - len(blocks) == 1     # the multi-host one only
    for block in blocks:
        if any(line.startswith("%") or "= %" in line for line in block.splitlines()):
            from IPython.core.interactiveshell import InteractiveShell

            shell = InteractiveShell.instance()
            try:
                result = shell.run_cell(block.replace("--batch 8,64", "--batch 8,64 "
                                                      + " ".join(FAST)))
                assert result.success, (block, result.error_in_exec or result.error_before_exec)
                said = capsys.readouterr()
                # a %vmapx mistake is shown, not raised: it must not be there either
                assert "error:" not in said.err + said.out, said
            finally:
                InteractiveShell.clear_instance()
        else:
            exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})


def test_version_is_pyprojects(runner):
    version = re.search(r'^version = "(.+)"$', (ROOT / "pyproject.toml").read_text(),
                        re.M).group(1)
    import vmapx

    assert vmapx.__version__ == version
    assert runner.invoke(app, ["--version"]).stdout == f"vmapx {version}\n"


def test_print_report_is_the_terminals_text(runner, monkeypatch):
    """`print(report)` gives what the command prints, at the terminal's width."""
    import jax.numpy as jnp

    import vmapx

    for columns in ("100", "72"):
        monkeypatch.setenv("COLUMNS", columns)
        shown = runner.invoke(app, ["shape", "jnp.add", "--a", "2,3,5", "--b", "2,3,5"]).stdout
        assert str(vmapx.shape(jnp.add, (2, 3, 5), (2, 3, 5))) + "\n" == shown
        assert max(map(len, shown.splitlines())) <= int(columns)
