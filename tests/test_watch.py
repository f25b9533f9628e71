"""`vmapx watch`: through its library entry (`Session`) and once as a real process (watchfiles,
the prompt, Ctrl-C). No sleeps: the process test waits on what the watcher prints."""

from __future__ import annotations

import io
import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import typer.main
from rich.console import Console

from vmapx.cli import app
from vmapx.cli.watching import Session as _Session
from vmapx.cli.watching import replaced as _replaced
from vmapx.errors import UsageError

GROUP = typer.main.get_command(app)


def Session(argv):  # noqa: N802 - the library entry, with the CLI's commands
    return _Session(argv, GROUP)


def replaced(argv, tokens):
    return _replaced(argv, tokens, GROUP)

ROOT = Path(__file__).resolve().parent.parent

DOUBLE = "import jax.numpy as jnp\n\n\ndef f(x):\n    return x * 2.0\n"
SUMMED = "import jax.numpy as jnp\n\n\ndef f(x):\n    return x.sum()\n"
BROKEN = "import jax.numpy as jnp\n\n\ndef f(x):\n    return x.sum(\n"


def shown(session: Session) -> str:
    console = Console(file=io.StringIO(), width=1000, no_color=True)  # status lines unwrapped
    console.print(session.view())
    return console.file.getvalue()


def outputs(text: str) -> str:
    """The outputs table of a shape answer (the inputs table shows the batched inputs)."""
    return text.partition("\noutputs\n")[2].partition("where the batch axis")[0]


@pytest.fixture
def module(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    path = tmp_path / "model.py"
    path.write_text(DOUBLE)
    return path


def _save(path: Path, text: str) -> None:
    path.write_text(text)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000))  # a new mtime, always


def test_an_edit_gives_a_new_answer(module):
    s = Session(["shape", f"{module}:f", "--x", "3", "--batch", "4"])
    assert s.run()
    assert "f32[4,3]" in outputs(shown(s)) and "answer #1" in shown(s)
    assert str(module) in s.files()
    _save(module, SUMMED)
    assert s.changed({str(module)})
    out = shown(s)
    assert "answer #2" in out and "model.py saved" in out and s.good is s.answer
    assert "f32[4,3]" not in outputs(out) and "f32[4]" in outputs(out)


def test_a_syntax_error_then_a_fix_recovers(module):
    s = Session(["shape", f"{module}:f", "--x", "3", "--batch", "4"])
    assert s.run()
    _save(module, BROKEN)
    assert not s.changed({str(module)})
    out = shown(s)
    assert "syntax error" in out and "last good answer" in out
    assert "f32[4,3]" in outputs(out)  # the last good answer, greyed below the error
    _save(module, SUMMED)
    assert s.changed({str(module)})
    out = shown(s)
    assert "last good answer" not in out and "error:" not in out
    assert "f32[4]" in outputs(out) and "f32[4,3]" not in outputs(out)


def test_an_exception_in_the_users_function_keeps_the_last_answer(module):
    s = Session(["shape", f"{module}:f", "--x", "3", "--batch", "4"])
    assert s.run()
    _save(module, DOUBLE.replace("x * 2.0", "x @ jnp.ones((4, 4))"))
    assert not s.changed({str(module)})
    out = shown(s)
    assert "last good answer" in out and "f32[4,3]" in outputs(out)
    assert "dot_general" in out or "matmul" in out or "size" in out  # the failure explained


def test_a_local_module_it_imports_is_watched_and_reloaded(module, tmp_path, monkeypatch):
    monkeypatch.syspath_prepend(str(tmp_path))
    helper = tmp_path / "helper_w.py"
    helper.write_text("def scale(x):\n    return x * 2.0\n")
    _save(module, "import helper_w\n\n\ndef f(x):\n    return helper_w.scale(x)\n")
    s = Session(["shape", f"{module}:f", "--x", "3", "--batch", "4"])
    assert s.run() and "f32[4,3]" in outputs(shown(s))
    assert str(helper) in s.files()
    _save(helper, "def scale(x):\n    return x.sum(0)\n")
    assert s.changed({str(helper)})
    assert "f32[4,3]" not in outputs(shown(s)) and "f32[4]" in outputs(shown(s))
    assert "helper_w" in sys.modules  # imported fresh, not left out


def test_the_prompt_changes_in_axes(module):
    _save(module, "def f(a, b):\n    return a + b\n")
    s = Session(["shape", f"{module}:f", "--a", "2,3", "--b", "2,3"])
    assert s.run() and "f32[2,3]" in shown(s)
    assert s.edit("--in-axes None,0 --b 5,2,3")
    assert s.argv == ["shape", f"{module}:f", "--a", "2,3", "--in-axes", "None,0", "--b",
                      "5,2,3"]
    out = shown(s)
    assert "f32[5,2,3]" in out and "None" in out
    assert not s.edit("--in-axes 3")  # out of range: explained, the last good answer kept
    assert "last good answer" in shown(s) and "f32[5,2,3]" in shown(s)


def test_replaced_options():
    argv = ["jaxpr", "m.py:f", "--in-axes", "0", "--in-axes", "1", "--cost", "--x", "3"]
    assert replaced(argv, ["--in-axes", "None"]) == ["jaxpr", "m.py:f", "--cost", "--x", "3",
                                                     "--in-axes", "None"]
    assert replaced(argv, ["--no-cost", "--x=4"]) == ["jaxpr", "m.py:f", "--in-axes", "0",
                                                      "--in-axes", "1", "--no-cost", "--x", "4"]
    assert replaced(argv, ["shape", "g"])[:2] == ["shape", "g"]
    with pytest.raises(UsageError):
        replaced(argv, ["--batch"])


def test_watch_takes_only_shape_or_jaxpr(runner):
    result = runner.invoke(app, ["watch", "bench"])
    assert result.exit_code == 2 and "shape or jaxpr" in result.output


def _lines(proc: subprocess.Popen) -> queue.Queue:
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put(line)

    threading.Thread(target=read, daemon=True).start()
    return lines


def _until(lines: queue.Queue, text: str, timeout: float) -> str:
    """What the process printed up to the first line holding `text` ('' on timeout)."""
    seen, end = [], time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            line = lines.get(timeout=max(0.01, end - time.monotonic()))
        except queue.Empty:
            break
        seen.append(line)
        if text in line:
            return "".join(seen)
    return ""


def test_a_watching_process_answers_edits_and_prompts_and_exits_130(module):
    env = {**os.environ, "COLUMNS": "1000", "PYTHONPATH": str(ROOT)}  # status lines unwrapped
    proc = subprocess.Popen([sys.executable, "-m", "vmapx", "watch", "shape", f"{module}:f",
                             "--x", "3", "--batch", "4"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env=env, cwd=module.parent)
    try:
        lines = _lines(proc)
        assert "f32[4,3]" in outputs(_until(lines, "answer #1", 120))
        out = ""
        for _ in range(20):  # the first save may come before the watcher is set up: save again
            _save(module, SUMMED)
            out = _until(lines, "model.py saved", 1.0)
            if out:
                break
        assert out and "f32[4,3]" not in outputs(out) and "f32[4]" in outputs(out)
        proc.stdin.write("--batch 6\n")
        proc.stdin.flush()
        out = _until(lines, "options:", 30)  # the answer to the prompt line
        assert "--batch 6" in out.splitlines()[-1] and "f32[6]" in outputs(out.rpartition(
            "saved")[2])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 130
    finally:
        if proc.poll() is None:
            proc.kill()


def test_on_a_terminal_the_answer_is_redrawn_in_place(module):
    from vmapx.cli.watch import run

    console = Console(file=io.StringIO(), width=400, force_terminal=True, no_color=True)
    assert run(["shape", f"{module}:f", "--x", "3", "--batch", "4"], GROUP, console,
               io.StringIO("--batch 6\nq\n")) == 0
    raw = console.file.getvalue()
    out = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", raw)
    assert "answer #1" in out and "f32[6,3]" in outputs(out.partition("answer #2")[2])
    assert "\x1b[1A" in raw  # Live moved the cursor up to redraw, not printed below


def test_without_watchfiles_watch_says_so_instead_of_never_answering(runner, monkeypatch):
    monkeypatch.setitem(sys.modules, "watchfiles", None)   # import watchfiles → ImportError
    result = runner.invoke(app, ["watch", "shape", "examples/neuron.py:model"])
    assert result.exit_code == 2
    assert "needs the watchfiles package" in result.output
