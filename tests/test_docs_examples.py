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
    for name in ("examples", "tests"):
        (tmp_path / name).symlink_to(ROOT / name)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def run_example(runner, line: str) -> None:
    argv = shlex.split(line, comments=True)
    assert argv[0] == "vmapx", line
    argv = argv[1:] + (FAST if argv[1:2] == ["bench"] and "--help" not in argv else [])
    r = runner.invoke(app, argv)
    want = expected_exit(line)
    assert r.exit_code == want, f"{line}\nexit {r.exit_code}, documented {want}:\n{r.output}"
    assert "Traceback" not in r.output, r.output


def test_every_help_example_fits_80_columns_and_runs(runner, scratch):
    lines = []
    for command in (None, "shape", "jaxpr", "bench"):
        text = help_text(runner, command)
        examples = help_commands(text)
        assert examples or command is None, f"no examples in vmapx {command} --help"
        block = text.split("Examples:", 1)[-1] if command else text
        for raw in block.splitlines():  # never wraps: no line of it is wider than the terminal
            assert len(raw) <= WIDTH, f"{len(raw)} columns in vmapx {command} --help: {raw}"
        lines += examples
    assert len(lines) >= 20
    for line in dict.fromkeys(lines):
        run_example(runner, line)


def test_every_readme_command_runs_as_shown(runner, scratch):
    lines = readme_commands()
    assert len(lines) >= 20
    for block in _blocks("bash"):
        for raw in block.splitlines():
            assert len(raw) <= WIDTH, f"README line of {len(raw)} columns: {raw}"
    for line in dict.fromkeys(lines):
        run_example(runner, line)


def test_every_readme_python_block_runs(scratch):
    """Plain Python blocks run as a script would; a block with `%` magics in an IPython shell
    (as a notebook runs it), after `%load_ext vmapx`."""
    blocks = _blocks("python")
    assert len(blocks) >= 3
    for block in blocks:
        if any(line.startswith("%") or "= %" in line for line in block.splitlines()):
            from IPython.core.interactiveshell import InteractiveShell

            shell = InteractiveShell.instance()
            try:
                result = shell.run_cell(block.replace("--batch 8,64", "--batch 8,64 "
                                                      + " ".join(FAST)))
                assert result.success, (block, result.error_in_exec or result.error_before_exec)
            finally:
                InteractiveShell.clear_instance()
        else:
            exec(compile(block, "README.md", "exec"), {"__name__": "__readme__"})
