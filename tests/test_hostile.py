"""Hostile input and environments (issue 11, items 8-16): each case gives exit 1 or 2 with a
message that says what to type instead, never a crash, a hang, runaway memory or a traceback.

Most run the CLI in-process; the few that need a process of their own (output encodings, a
reader that has gone, JAX_PLATFORMS, the user's files shadowing the standard library) start
together in one test and are waited on together.
"""

from __future__ import annotations

import json
import math
import os
import shlex
import subprocess
import sys
import textwrap

import jax
import jax.numpy as jnp
import numpy as np
import pytest

import vmapx
from vmapx.cli import app
from vmapx.cli.common import print_json

FAST = "--runs 1 --min-time 0 --warmup 0"
DIGITS = "1" * 100_000

USER = textwrap.dedent('''\
    import jax
    import jax.numpy as jnp

    print("printed at import")


    class Skipped(BaseException):       # as pytest's
        pass


    def exits(x):
        raise SystemExit(3)


    def closes(x):
        raise GeneratorExit()


    def skips(x):
        raise Skipped("not today")


    def prints(x):
        print("printed inside")
        jax.debug.print("debug {}", x)
        return x * 2


    def text(x):
        return "not an array"


    def bad_twin(x):
        return jnp.sin(x)


    def bad_twin_batched(x):
        return jnp.cos(x)


    def key(x):
        return jax.random.key(0)


    def kwonly(x, *, scale):
        return x * scale


    def by_keyword(**kwargs):
        return kwargs["x"] * 2 + kwargs["y"]


    def mixed(x, **kwargs):
        return x + kwargs["y"]


    def outer(a, b):
        return jnp.outer(a, b)


    def init_exits():
        raise SystemExit("no weights today")


    def callback_exits(x):
        jax.debug.callback(lambda v: exit(4), x)
        return x


    for name in ("f", "g", "h", "k", "m"):
        globals()[name] = lambda x: x * 2
        globals()[name].__name__ = name

    VMAPX_EXAMPLES = {
        "f": {"inputs": {"x": "f32[3]"}, "batch": "four"},
        "g": {"inputs": {"x": "f32[3]"}, "batch": 4, "static": [1, 2]},
        "h": {"inputs": {"x": "f32[3]"}, "batch": 4, "in_axes": "zero"},
        "k": {"inputs": {"x": "f32[3]"}, "batch": 4, "manual": "nothere"},
        "m": {"inputs": {"x": "f32[3]"}, "batch": 4, "manual": 3},
    }
    ''')


@pytest.fixture
def user(tmp_path):
    (tmp_path / "hostile.py").write_text(USER)
    (tmp_path / "exits_at_import.py").write_text("raise SystemExit(0)\ndef f(x):\n    return x\n")
    (tmp_path / "closes_at_import.py").write_text("raise GeneratorExit()\n")
    return tmp_path


def _run(runner, line, tmp):
    argv = shlex.split(line.replace("{tmp}", str(tmp)).replace("{digits}", DIGITS))
    result = runner.invoke(app, argv)
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    out = result.output
    assert "Traceback" not in out, out
    return result, " ".join(out.replace("│", " ").split())


U = "{tmp}/hostile.py"
ROWS = [
    # -- item 8: sizes, bounded where specs become shapes --------------------------------------
    ("shape jnp.sin --a 1048576,1048576,1048576", 2, ["elements, absurdly many", "2**50"]),
    ("shape jnp.sin --a 1048576,1048576 --batch 1048576", 2, ["the shape of x", "2**50"]),
    (f"shape jnp.sin --a {','.join(['1'] * 65)}", 2, ["has 65 dims", "at most 64"]),
    (f"jaxpr jnp.sin --a {','.join(['1'] * 3000)}", 2, ["has 3000 dims", "at most 64"]),
    ("shape jnp.sin --a '[" + ", ".join(["1"] * 100) + "]'", 2, ["has 100 dims"]),
    ("jaxpr jnp.outer --a 4,1073741824 --b 4,1073741824 --stage hlo", 2,
     ["the traced function makes an array", "under 2**50 elements"]),
    (f"bench jnp.add --a 3 --b 3 --batch 1000000000000 {FAST}", 2,
     ["random inputs would take", "GiB", "smaller --batch"]),
    ("bench jnp.add --a 2,3 --compare /dev/zero", 2, ["not a regular file", "--export-json"]),
    # a benchmark asked to run for ever (or for days) is a typo, refused before it starts
    ("bench jnp.add --a 3 --b 3 --min-time inf", 2, ["--min-time", "less than or equal to 3600"]),
    ("bench jnp.add --a 3 --b 3 --min-time nan", 2, ["--min-time"]),
    ("bench jnp.add --a 3 --b 3 --runs 99999999999", 2, ["--runs", "10000"]),
    ("bench jnp.add --a 3 --b 3 --warmup 99999999999", 2, ["--warmup", "10000"]),
    ("bench jnp.add --a 3 --b 3 --seed -1", 2, ["--seed", "greater than or equal to 0"]),
    ("bench jnp.add --a 3 --b 3 --batch ²", 2, ["'²' is not a positive whole number"]),
    ("bench jnp.add --a 3 --b 3 --batch 1{digits}", 2, ["is absurdly large", "2**40"]),
    ("bench jnp.add --a 2,3 --compare {tmp}", 2, ["a directory", "--export-json FILE"]),
    # -- item 9: SystemExit and other BaseExceptions from the user's code ------------------------
    (f"shape {U}:exits --x 3", 1, ["raised SystemExit: 3", "hostile.py:12 in exits"]),
    (f"jaxpr {U}:closes --x 3", 1, ["raised GeneratorExit", "hostile.py:16 in closes"]),
    (f"bench {U}:skips --x 3 {FAST}", 1, ["Skipped: not today", "hostile.py:20"]),
    (f"bench {U}:callback_exits --x 3 {FAST} --variants loop,vmap", 1,
     ["SystemExit: 4", "in <lambda>"]),
    ("shape {tmp}/exits_at_import.py:f --x 3", 2,
     ["raised SystemExit: 0", "stops a program", "if __name__ =="]),
    ("jaxpr {tmp}/closes_at_import.py:f --x 3", 2, ["raised GeneratorExit", "__main__"]),
    (f"shape {U}:outer --a @{U}:init_exits --b 3", 2, ["init_exits() raised SystemExit",
                                                        "no weights today"]),
    # -- item 15: malformed VMAPX_EXAMPLES, keyword-only and **kwargs ------------------------------
    (f"shape {U}:f", 2, ["VMAPX_EXAMPLES['f']['batch'] is 'four'", "whole number",
                         "fix 'batch'"]),
    (f"jaxpr {U}:g", 2, ["['static'] is [1, 2]", "dict of parameter names"]),
    (f"bench {U}:h {FAST}", 2, ["['in_axes'] is 'zero'", "ints and None"]),
    (f"bench {U}:k {FAST}", 2, ["names the hand-batched 'nothere'", "define it"]),
    (f"shape {U}:m", 2, ["['manual'] is 3", "the name of a function"]),
    (f"shape {U}:kwonly --x 4,3", 2, ["no shape for keyword-only 'scale'",
                                      "--static scale=VALUE"]),
    # -- item 16: spec parsing --------------------------------------------------------------------
    ("shape jnp.sin --a {digits}", 2, ["is absurdly large", "below 2**40"]),
    ("shape jnp.sin --a 3,{digits}", 2, ["is absurdly large"]),
    ("shape jnp.sin --a '{\"w\": [{digits}]}'", 2, ["thousands of digits", "write JSON"]),
    ("shape jnp.sin --a 3 --in-axes {digits}", 2, ["cannot read in_axes entry", "integer"]),
    ("shape jnp.sin --a 3 --ranks {digits}", 2, ["cannot read ranks entry"]),
    ("shape jnp.sin --a 3 --static axis={digits}", 2, ["is not a Python literal",
                                                       "--static axis=0"]),
    ("shape jnp.sin --a 2,²", 2, ["cannot read shape spec '2,²'", "2,3,5"]),
    ("shape jnp.sin --a f32[³]", 2, ["cannot read shape spec"]),
    ("shape jnp.sin --a ٣,4", 2, ["cannot read shape spec '٣,4'"]),
    ("shape jnp.sin --a '" + "[" * 5000 + "]" * 5000 + "'", 2,
     ["nests 5000 levels deep", "up to 100"]),
    ("shape jnp.sin --a '" + '{"a":' * 3000 + "[3]" + "}" * 3000 + "'", 2,
     ["nests 3001 levels deep"]),
    ("shape jnp.sin --a 3 --in-axes '" + "[" * 5000 + "0" + "]" * 5000 + "'", 2,
     ["cannot read in_axes entry", "levels deep"]),
    ("shape jnp.sum --a 4,3 --static axis=0 --static axis=1", 2,
     ["--static axis is given twice (axis=0 and axis=1)", "give --static axis=VALUE once"]),
    (f"bench jnp.sum --a 4,3 --static axis=0 --static axis=0 {FAST}", 2, ["given twice"]),
    # -- item 4: an output that is not an array is the output's problem ---------------------------
    (f"shape {U}:text --x 4,3", 1, ["returns a value that is not an array", "inputs are fine"]),
    (f"jaxpr {U}:text --x 4,3", 1, ["returns a value that is not an array", "inputs are fine"]),
    (f"bench {U}:text --x 4,3 {FAST}", 1, ["returned a value of type <class 'str'>"]),
]


@pytest.mark.parametrize("line, code, needles", ROWS, ids=[r[0][:50] for r in ROWS])
def test_hostile_input(line, code, needles, runner, user):
    result, out = _run(runner, line, user)
    assert result.exit_code == code, out
    for needle in needles:
        assert needle in out, (needle, out[:600])
    assert "hint:" in out or "-h' for help" in out, out[:600]
    assert len(out) < 5000, "an error never echoes the whole of a huge input"


def test_a_baseline_of_the_wrong_types_is_refused_before_measuring(runner, tmp_path,
                                                                  monkeypatch):
    from vmapx._bench import analysis, baseline

    measured = []
    monkeypatch.setattr(analysis, "_run_case", lambda *a, **k: measured.append(a))
    rows = [{"function": "f", "batch_size": "x", "variant": "loop", "median_s": 1},
            {"function": "f", "batch_size": 2, "variant": "loop", "median_s": "fast"},
            {"function": 3, "batch_size": 2, "variant": "loop", "median_s": 1.0},
            {"function": "f", "batch_size": 2, "variant": "loop", "median_s": 1.0,
             "batch_shape": ["a"]}]
    for i, row in enumerate(rows):
        path = tmp_path / f"base{i}.json"
        path.write_text(json.dumps({"results": [row]}))
        result, out = _run(runner, f"bench jnp.add --a 2,3 --compare {path} {FAST}", tmp_path)
        assert result.exit_code == 2 and "not a vmapx bench export" in out, out
    assert not measured
    monkeypatch.setattr(baseline, "MAX_BYTES", 100)  # a file past the bound is not read whole
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"results": [], "pad": "x" * 200}))
    result, out = _run(runner, f"bench jnp.add --a 2,3 --compare {path} {FAST}", tmp_path)
    assert result.exit_code == 2 and "larger than" in out, out


@pytest.mark.parametrize("setting", [{"min_time": math.inf}, {"min_time": math.nan},
                                     {"runs": 10**9}, {"warmup": 10**9}, {"seed": -1}])
def test_a_benchmark_that_would_never_end_is_refused_in_the_library(setting):
    from vmapx._bench.settings import BenchSettings

    with pytest.raises(vmapx.UsageError, match="runs must be from 1 to"):
        vmapx.bench(jnp.add, (3,), (3,), batch=2, settings=BenchSettings(**setting))


def test_a_large_batch_runs_the_loop_on_the_first_examples_and_says_so(runner, monkeypatch):
    from vmapx._bench import variants

    monkeypatch.setattr(variants, "LOOP_MAX", LOOP_MAX := 16)  # the bound, made small
    batch = 3 * LOOP_MAX + 5
    r = runner.invoke(app, shlex.split(f"bench jnp.add --a 3 --b 3 --batch {batch} {FAST} "
                                       "--variants loop,jit-vmap --json"))
    assert r.exit_code == 0, r.output
    rows = {row["variant"]: row for row in json.loads(r.stdout)["results"]}
    assert rows["jit-vmap"]["matches_loop"] is True
    said = " ".join(rows["loop"]["warnings"])
    assert f"first {LOOP_MAX:,} of {batch:,} examples" in said and "scaled" in said
    assert not rows["jit-vmap"]["warnings"]


def test_a_cut_loop_still_catches_a_wrong_twin(user, monkeypatch):
    """The values check on the loop's first examples still finds a twin that is wrong."""
    import importlib.util

    from vmapx._bench import variants
    from vmapx._bench.settings import BenchSettings

    monkeypatch.setattr(variants, "LOOP_MAX", LOOP_MAX := 16)

    spec = importlib.util.spec_from_file_location("hostile_twin", user / "hostile.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    settings = BenchSettings(variants=("loop", "manual"), runs=1, min_time=0, warmup=0)
    report = vmapx.bench(mod.bad_twin, (3,), batch=LOOP_MAX + 7, manual=mod.bad_twin_batched,
                         settings=settings)
    manual = next(r for r in report.results if r.variant == "manual")
    assert manual.status == "mismatch" and manual.matches_loop is False
    loop = next(r for r in report.results if r.variant == "loop")
    assert f"first {LOOP_MAX} of {LOOP_MAX + 7}" in " ".join(loop.warnings)


# -- item 10: --json keeps stdout to the JSON, and the JSON strict ---------------------------------

@pytest.mark.parametrize("command", ["shape", "jaxpr", "bench"])
def test_users_prints_go_to_stderr_with_json(runner, user, command):
    extra = shlex.split(FAST) + ["--variants", "loop,jit-vmap"] if command == "bench" else []
    # a fresh copy, so that its import (and its print) happens inside this run
    (user / f"prints_{command}.py").write_text(USER)
    r = runner.invoke(app, [command, f"{user}/prints_{command}.py:prints", "--x", "3", "--json",
                            *extra])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["ok"] is True          # stdout is the JSON and nothing else
    assert "printed at import" in r.stderr and "printed inside" in r.stderr
    if command == "bench":                               # jax.debug.print ran for real
        assert "debug" in r.stderr


def test_json_is_strict(capsys):
    print_json({"a": math.nan, "b": [math.inf, -math.inf, 1.5], "c": {"d": np.float32("nan")},
                "e": np.int64(3)})
    text = capsys.readouterr().out

    def refuse(token):
        raise AssertionError(f"{token} in the JSON")

    assert json.loads(text, parse_constant=refuse) == {"a": None, "b": [None, None, 1.5],
                                                       "c": {"d": None}, "e": 3}


# -- item 12: the user's files --------------------------------------------------------------------

def test_a_file_imports_its_neighbours_and_same_stems_stay_apart(runner, tmp_path):
    from vmapx._text.target import resolve

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "helper_w11.py").write_text("SCALE = 3\n")
    (tmp_path / "a" / "model.py").write_text(
        "from helper_w11 import SCALE\n\ndef f(x):\n    return x * SCALE\n")
    (tmp_path / "b" / "model.py").write_text("def f(x):\n    return x.sum()\n")
    fa, fb = resolve(f"{tmp_path}/a/model.py:f").fn, resolve(f"{tmp_path}/b/model.py:f").fn
    assert fa.__module__ != fb.__module__
    # the file's folder comes after the standard library and before installed packages
    import sysconfig

    at = sys.path.index(str(tmp_path / "a"))
    stdlib = sysconfig.get_paths()["stdlib"]
    assert all(not p.startswith(stdlib) or "-packages" in p for p in sys.path[at + 1:])
    assert any("-packages" in p for p in sys.path[at + 1:])
    assert float(fa(jnp.ones(2))[0]) == 3.0 and float(fb(jnp.ones(2))) == 2.0
    r = runner.invoke(app, ["shape", f"{tmp_path}/a/model.py:f", "--x", "4,3", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["outputs"][0]["shape"] == [4, 3]


def test_user_code_under_a_folder_named_jax_keeps_its_line(runner, tmp_path):
    (tmp_path / "jax").mkdir()
    (tmp_path / "jax" / "mine.py").write_text("def f(x):\n    raise ValueError('mine')\n")
    result, out = _run(runner, f"jaxpr {tmp_path}/jax/mine.py:f --x 4,3", tmp_path)
    assert result.exit_code == 1
    assert "mine.py:2 in f" in out.replace(" ", "").replace("mine.py:2inf", "mine.py:2 in f"), out


# -- items 14 and 15: what bench and binding take -------------------------------------------------

def test_bench_compares_bf16_values_and_typed_keys(user):
    from vmapx._bench.settings import BenchSettings
    from vmapx._bench.values import mismatch

    settings = BenchSettings(variants=("loop", "jit-vmap"), runs=1, min_time=0, warmup=0)
    for dtype in ("bf16", "f16"):
        report = vmapx.bench(jnp.tanh, f"{dtype}[16]", batch=4, settings=settings)
        assert report.ok and all(r.matches_loop for r in report.results), report.results
    keys = vmapx.bench(lambda x: jax.random.key(0), (3,), batch=4, settings=settings)
    assert keys.ok and all(r.matches_loop for r in keys.results), keys.results
    one = jnp.ones(3, jnp.bfloat16)
    assert mismatch(one, one * 1.01) is None and "differ" in mismatch(one, one * 1.5)
    ka, kb = jax.random.split(jax.random.key(0), 3), jax.random.split(jax.random.key(1), 3)
    assert mismatch(ka, ka) is None and "differ" in mismatch(ka, kb)


def test_arrays_for_a_kwargs_function_go_by_keyword_as_vmap_takes_them(runner, user):
    import importlib.util

    spec = importlib.util.spec_from_file_location("hostile_kw", user / "hostile.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    x, y = jnp.ones((4, 3)), jnp.ones((4, 3))
    for fn, argv in ((mod.by_keyword, ["--x", "4,3", "--y", "4,3"]),
                     (mod.mixed, ["--x", "4,3", "--y", "4,3"]),
                     (mod.mixed, ["--a", "4,3", "--y", "4,3"])):
        r = runner.invoke(app, ["shape", f"{user}/hostile.py:{fn.__name__}", *argv, "--json"])
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        real = jax.vmap(fn)(x, y=y) if fn is mod.mixed else jax.vmap(fn)(x=x, y=y)
        assert [tuple(o["shape"]) for o in data["outputs"]] == [real.shape]
        assert any("y is a keyword argument" in n for n in data["notes"])


# -- items 11, 12, 13: the environment ----------------------------------------------------------

@pytest.mark.parametrize("encoding", ["ascii", "latin-1"])
def test_output_that_cannot_be_encoded_falls_back_to_ascii(monkeypatch, encoding):
    """What `main()` does to stdout and stderr, then a report and an error drawn on them."""
    import io

    import vmapx.cli.common as common
    import vmapx.cli.streams as streams
    from vmapx._render.bench import render_bench
    from vmapx._render.shape import render_shape
    from vmapx.errors import UsageError

    out = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    err = io.TextIOWrapper(io.BytesIO(), encoding=encoding)
    monkeypatch.setattr(sys, "stdout", out)
    monkeypatch.setattr(sys, "stderr", err)
    streams.ascii_fallback()
    streams.console(width=100).print(render_shape(vmapx.shape(jnp.add, (2, 3), None,
                                                             in_axes=(0, None))))
    from vmapx._bench.settings import BenchSettings

    streams.console(width=100).print(render_bench(vmapx.bench(
        jnp.add, (3,), (3,), batch=2,
        settings=BenchSettings(variants=("loop", "vmap"), runs=1, min_time=0, warmup=0))))
    with pytest.raises(Exception):
        common.fail(UsageError("a ≡ b … c", "try → this"))
    monkeypatch.undo()
    out.flush()
    err.flush()
    text, said = out.buffer.getvalue().decode(encoding), err.buffer.getvalue().decode(encoding)
    assert "vmap(jnp.add)" in text and "in_axes (0," in text and "f32[3]" in text, text
    assert "±" in text or "+-" in text                # latin-1 has ±; ascii gets a stand-in
    if encoding == "ascii":
        assert "in_axes (0,--) - out_axes (0)" in text and "+-" in text
    assert "a == b ... c" in said and "try -> this" in said, said


def _env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_", "PYTHONIOENC"))}
    env.update(extra)
    return env


def test_environments(tmp_path):
    """A reader that has gone, closed stdout, JAX_PLATFORMS and a user's logging.py beside
    their code: all started at once, then waited on."""
    from pathlib import Path

    root = str(Path(__file__).resolve().parent.parent)
    (tmp_path / "logging.py").write_text("raise RuntimeError('the user logging.py ran')\n")
    (tmp_path / "html.py").write_text("raise RuntimeError('the user html.py ran')\n")
    (tmp_path / "mymod_w11.py").write_text("def f(x):\n    return x * 2\n")
    # -P: no current directory first on sys.path, as the `vmapx` console script runs
    py = [sys.executable, "-P"] if sys.version_info >= (3, 11) else [sys.executable]
    vmapx_ = [*py, "-c", f"import sys; sys.path.insert(0, {root!r}); "
              "from vmapx.cli import main; sys.argv[0] = 'vmapx'; main()"]
    runs = {
        "gone": ([*vmapx_, "shape", "jnp.add", "--a", "2,3"], _env(), root, {"close": True}),
        "closed": (["sh", "-c", 'exec "$@" >&-', "sh", *vmapx_, "shape", "jnp.add", "--a",
                    "2,3"], _env(), root, {}),
        "platforms": ([*vmapx_, "jaxpr", "jnp.sin", "--a", "3"],
                      _env(JAX_PLATFORMS="bogus"), root, {}),
        "shadowed": ([*vmapx_, "shape", "mymod_w11:f", "--x", "4,3", "--json"], _env(),
                     str(tmp_path), {}),
    }
    procs = {}
    for name, (argv, env, cwd, how) in runs.items():
        procs[name] = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                       env=env, cwd=cwd)
        if how.get("close"):
            procs[name].stdout.close()     # the reader is gone before anything is written
    done = {}
    for name, p in procs.items():
        out, err = p.communicate(timeout=120) if p.stdout and not p.stdout.closed else \
            (b"", p.communicate(timeout=120)[1])
        done[name] = (p.returncode, out or b"", err or b"")
    code, out, err = done["gone"]
    assert code == 141 and b"Traceback" not in err and b"unexpected" not in err, err
    code, out, err = done["closed"]
    assert code == 2 and b"standard output is closed" in err, err
    code, out, err = done["platforms"]
    assert code == 2 and b"JAX_PLATFORMS=bogus" in err and b"JAX_PLATFORMS=cpu" in err, err
    assert b"please report" not in err
    code, out, err = done["shadowed"]
    assert code == 0, err
    assert json.loads(out)["outputs"][0]["shape"] == [4, 3]


# -- items 1-3, 5-7: the wrong answers, against jax.vmap --------------------------------------------

def _shapes(out):
    return [tuple(np.shape(o)) for o in jax.tree_util.tree_leaves(out)]


def test_jaxpr_of_a_function_returning_a_python_scalar(runner, tmp_path):
    """Item 3: vmap broadcasts a Python scalar output to the batch; jaxpr agrees with JAX."""
    report = vmapx.jaxpr(lambda x: 3, (4, 3))
    assert report.ok, report.error
    real = jax.vmap(lambda x: 3)(jnp.ones((4, 3)))
    assert "i32[4]" in report.versions["vmap"].text and real.shape == (4,)
    (tmp_path / "scalar.py").write_text("def three(x):\n    return 3\n")
    for command in ("jaxpr", "shape"):
        r = runner.invoke(app, [command, f"{tmp_path}/scalar.py:three", "--x", "4,3", "--json"])
        assert r.exit_code == 0, r.output
    assert [tuple(o["shape"]) for o in json.loads(r.stdout)["outputs"]] == [real.shape]


def test_a_static_before_the_arrays_on_the_command_line(runner, tmp_path):
    """Item 2, by the CLI: `f(n, x)` with --static n=…, and `f(fn, x)`."""
    (tmp_path / "statics.py").write_text(
        "def take(n, x):\n    return x[:n].sum(0)\n\n"
        "def apply(fn, x):\n    return x * 2 if fn == 'double' else x\n")
    for fn, static, real in (("take", "n=2", lambda x: x[:2].sum(0)),
                             ("apply", "fn='double'", lambda x: x * 2)):
        r = runner.invoke(app, ["shape", f"{tmp_path}/statics.py:{fn}", "--x", "4,6,3",
                                "--static", static, "--json"])
        assert r.exit_code == 0, r.output
        assert [tuple(o["shape"]) for o in json.loads(r.stdout)["outputs"]] == \
            _shapes(jax.vmap(real)(jnp.ones((4, 6, 3))))


@pytest.mark.parametrize("ranks, static", [
    ("2,1,None", []), ("m=2,v=1,n=None", []), ("2,1,None", ["--static", "n=2"]),
    ("m=2,v=1,n=None", ["--static", "n=2"]),
])
def test_a_none_rank_for_a_static_or_defaulted_argument(runner, tmp_path, ranks, static):
    """Item 7: jax_autovmap's None rank ("not vmapped") for an argument that is no array."""
    (tmp_path / "ranked.py").write_text(
        "def f(m, v, n=3):\n    return m @ v * n\n\ndef g(m, n, v):\n    return m @ v * n\n")
    r = runner.invoke(app, ["shape", f"{tmp_path}/ranked.py:f", "--m", "5,3,3", "--v", "3",
                            "--ranks", ranks, *static, "--json"])
    assert r.exit_code == 0, r.output
    real = jax.vmap(lambda m, v: m @ v * 2, in_axes=(0, None))(jnp.ones((5, 3, 3)), jnp.ones(3))
    assert [tuple(o["shape"]) for o in json.loads(r.stdout)["outputs"]] == [real.shape]
    r = runner.invoke(app, ["shape", f"{tmp_path}/ranked.py:g", "--m", "5,3,3", "--v", "3",
                            "--static", "n=2", "--ranks", "2,None,1", "--json"])
    assert r.exit_code == 0 and json.loads(r.stdout)["outputs"][0]["shape"] == [5, 3]
    result, out = _run(runner, f"shape {tmp_path}/ranked.py:f --m 5,3,3 --v 3 --ranks "
                       "m=2,v=1,n=0", tmp_path)
    assert result.exit_code == 2 and "n is not an array given" in out and "n=None" in out
