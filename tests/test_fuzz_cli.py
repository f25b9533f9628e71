"""Fuzzing the CLI: seeded random and mutated argument lists never end in an uncaught exception
and always exit 0, 1 or 2.

Valid command lines are mutated token by token (dropped, duplicated, swapped, replaced with junk:
unicode, huge numbers, empty strings, JSON fragments, option names). 1,300 lists for shape, 400
for jaxpr (tiny shapes) and 400 for bench: 2,100 in all. Bench is fuzzed up to the point where
it would start measuring: its core `run` is replaced by a stub that exits 0, so nothing is timed.
`--debug` is never passed (it shows tracebacks on purpose). Commands run in a temporary folder,
so a stray export lands there.
"""

from __future__ import annotations

import random
import re

import pytest
import typer

from tests.conftest import ROOT
from vmapx.cli import app

EX = str(ROOT / "examples")
FX = str(ROOT / "tests" / "fixtures")

SEEDS = {
    "shape": [
        "shape jnp.add --a 2,3,5 --in-axes 0,None",
        "shape jnp.add --a 2,3 --b 2,3 --in-axes 0,1 --explore",
        "shape jnp.dot --a 5,4 --b 4 --in-axes 0,None --json",
        "shape jnp.sum --a 4,3 --static axis=0 --json",
        "shape jnp.add --a f32[3] --b i32[3] --batch 2 --in-axes 0,-1",
        "shape jnp.add --a 2,3,4 --b 2,3,4 --in-axes 0 --in-axes 1 --out-axes 0 --out-axes 1",
        f"shape {EX}/neuron.py:model --batch 4",
        f"shape {EX}/dot.py:affine --batch 3",
        f"shape {EX}/autovmap.py:foo --s f32[] --v 5,3 --m 5,3,3 --ranks 0,1,2",
        f"shape {EX}/autovmap.py:foo --s f32[] --v 5,3 --m 5,3,3 --ranks s=0,v=1,m=2",
        f"shape {FX}/nest_funcs.py:affine --params "
        '{"W": "f32[3,5]", "b": [3]} --x 4,5 --in-axes {"W": null, "b": null},0',
        f"shape {FX}/user_funcs.py:two_outputs --x 4,3 --y 4,3 --out-axes 0,1",
        f"shape {FX}/user_funcs.py:boom --x 2,3",
        "shape jnp.add --a 2,3 --b 2,3 --in-axes None --axis-size 4",
        "shape lax.dot --arg lhs=3,4 --arg rhs=4",
        "shape jnp.matmul --a bf16[2,3,4] --b f16[4,5] --in-axes 0,None --out-axes -1",
    ],
    "jaxpr": [
        "jaxpr jnp.add --a 2,3 --b 2,3 --no-cost",
        "jaxpr jnp.dot --a 2,3 --b 3 --in-axes 0,None",
        f"jaxpr {EX}/neuron.py:model --batch 2 --no-cost",
        f"jaxpr {EX}/dot.py:affine --batch 2 --stage stablehlo --no-cost",
        "jaxpr jnp.sum --a 2,3 --static axis=0 --json --no-cost",
        "jaxpr jnp.add --a 2,3 --in-axes 1 --out-axes 1 --inline --source-info --no-cost",
        f"jaxpr {FX}/user_funcs.py:matvec --m 2,3,2 --v 2 --in-axes 0,None --no-cost",
    ],
    "bench": [
        "bench jnp.add --a 3 --b 3 --batch 2 --variants loop,vmap",
        "bench jnp.dot --a 4 --b 4 --batch 2,4 --variants vmap,jit-vmap --json",
        f"bench {EX}/dot.py:dot --batch 2",
        f"bench {EX}/neuron.py:model --batch 2 --manual batched_model",
        "bench jnp.add --a 2,3 --in-axes 1 --backend cpu --seed 3",
        "bench jnp.sum --a 4,3 --static axis=0 --export-json out.json --export-csv out.csv",
        "bench jnp.add --a 2 --b 2 --batch 3 --compare base.json --fail-above 20",
    ],
}

JUNK = [
    "", " ", "0", "-1", "1", "None", "none", "null", "2**40", "1099511627777",
    "99999999999999999999999", "-99999999999999999999", "1e9", "nan", "inf", "3.5", "0x10",
    "f32[]", "f32[2,3]", "i32[0]", "bool[1,1]", "c128[2]", "f64[2]", "x[2]", "f32[2,", "[]",
    "[[]]", "[1,[2]]", "{", "}", "{}", '{"W": null}', '{"a": [1, 2]}', '{"a": "f32[2"}',
    '[{"a": 1}]', '["f32[2]", [3]]', "[-1]", "[true]", "null,0", "0,,0", ",", ",,", "()", "(0,)",
    "2x3", "2×3", "∞", "ü", "日本", "💥", "\u200b", "a=1", "axis=0", "axis=(0,1)",
    "axis=__import__('os')", "=", "==", "--", "-", "--a", "--b", "--x", "--in-axes",
    "--out-axes", "--batch", "--static", "--arg", "--ranks", "--axis-size", "--explore",
    "--json", "--stage", "--manual", "--variants", "--runs", "--plot", "--help", "-h",
    "--version", "--no-cost", "--compile", "jnp.add", "jnp", "jnp.nope", "lax.add", "os:system",
    "os.path:join", "builtins:print", "jax", "jax.nn.relu", "nosuch.py:f", ":", "a:b:c",
    f"{FX}/raising_module.py:f", f"{FX}/user_funcs.py:NOT_CALLABLE", f"{FX}/user_funcs.py:boom",
    "loop", "vmap,loop", "cpu", "tpu", "hlo", "stablehlo", "jaxpr", "s=0,v=1", "0,1,2,3,4,5,6,7",
]
OPTIONS = ["--a", "--b", "--in-axes", "--out-axes", "--batch", "--static", "--ranks",
           "--axis-size", "--arg", "--x", "--v"]


def _mutate(tokens: list[str], rng: random.Random) -> list[str]:
    out = list(tokens)
    for _ in range(rng.choice([1, 1, 1, 2, 3])):
        op = rng.choice(["drop", "dup", "swap", "junk", "insert", "pair", "edit", "num",
                         "num"])
        if op == "num":  # a number in a value (a dim, an axis, a size) changed
            spots = [(k, m) for k, t in enumerate(out) for m in re.finditer(
                r"-?\d+", t) if not t.startswith("--")]
            if spots:
                k, m = rng.choice(spots)
                new = rng.choice(["0", "1", "-1", "-3", "7", "4", "1099511627776", "None"])
                out[k] = out[k][:m.start()] + new + out[k][m.end():]
            continue
        i = rng.randrange(len(out)) if out else 0
        if op == "drop" and len(out) > 1:
            del out[i]
        elif op == "dup" and out:
            out.insert(i, out[i])
        elif op == "swap" and len(out) > 1:
            j = rng.randrange(len(out))
            out[i], out[j] = out[j], out[i]
        elif op == "junk" and out:
            out[i] = rng.choice(JUNK)
        elif op == "insert":
            out.insert(i, rng.choice(JUNK))
        elif op == "pair":
            out[i:i] = [rng.choice(OPTIONS), rng.choice(JUNK)]
        elif op == "edit" and out and out[i]:
            t = out[i]
            k = rng.randrange(len(t))
            out[i] = t[:k] + rng.choice(["", "9", ",", "[", "]", "-", "é", " ", "{"]) + t[k + 1:]
    return out


def _lists(command: str, n: int, seed: int) -> list[list[str]]:
    rng = random.Random(seed)
    seeds = [s.split(" ") for s in SEEDS[command]]
    # the JSON seeds hold spaces: rebuild them from markers
    seeds = [_rejoin(s) for s in seeds]
    out = []
    for k in range(n):
        base = seeds[k % len(seeds)]
        if k < len(seeds):
            out.append(base)                       # every seed as is, once
        elif rng.random() < 0.08:                  # pure noise after the command
            out.append([command] + [rng.choice(JUNK) for _ in range(rng.randint(0, 6))])
        else:
            out.append([command] + _mutate(base[1:], rng))
    return [[t for t in argv if t != "--debug"] for argv in out]


def _rejoin(parts: list[str]) -> list[str]:
    """Split on spaces, but keep a JSON value ({…}) as one token."""
    out, depth = [], 0
    for p in parts:
        if depth:
            out[-1] += " " + p
        else:
            out.append(p)
        depth += p.count("{") - p.count("}")
    return out


def _fuzz(runner, command: str, n: int, seed: int) -> int:
    bad = []
    for argv in _lists(command, n, seed):
        result = runner.invoke(app, argv)
        exc = result.exception
        if (exc is not None and not isinstance(exc, SystemExit)) or \
                result.exit_code not in (0, 1, 2) or "Traceback" in result.output or \
                "please report it" in result.output:   # the guard's "unexpected …": a bug
            bad.append((argv, result.exit_code, repr(exc), result.output[-300:]))
    assert not bad, f"{len(bad)} of {n} failed; first: {bad[:3]}"
    return n


@pytest.fixture
def in_tmp(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "base.json").write_text('{"results": []}')
    return tmp_path


def test_fuzz_shape(runner, in_tmp):
    assert _fuzz(runner, "shape", 1300, seed=1) == 1300


def test_fuzz_jaxpr(runner, in_tmp):
    assert _fuzz(runner, "jaxpr", 400, seed=2) == 400


def test_fuzz_bench(runner, in_tmp, monkeypatch):
    import vmapx._bench.analysis

    def no_measuring(*args, **kwargs):
        raise typer.Exit(0)  # everything before measuring ran: parsing, resolving, checks

    monkeypatch.setattr(vmapx._bench.analysis, "run", no_measuring)
    assert _fuzz(runner, "bench", 400, seed=3) == 400
