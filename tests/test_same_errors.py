"""One problem, one check: `vmapx shape`, `vmapx jaxpr` and `vmapx bench` give the same exit
code, error kind and message for the same structural mistake (a finding reported as JSON on
stdout, or bad input explained on stderr)."""

from __future__ import annotations

import json
import shlex

import pytest

from vmapx.cli import app

NEST = "tests/fixtures/nest_funcs.py"
PARAMS = '\'{"W": "f32[3,5]", "b": [3]}\''
BENCH = ["--runs", "1", "--min-time", "0", "--warmup", "0"]

ROWS = [
    # (arguments after the command, exit code, error kind or None for bad input)
    ("jnp.add --a 2,3 --b 3,3", 1, "inconsistent_sizes"),
    ("jnp.add --a 2,3 --in-axes 5", 1, "axis_out_of_range"),
    ("jnp.add --a 2,3 --b 2,3 --in-axes None,None", 1, "no_mapped_axis"),
    ("jnp.add --a 2,3 --b 2,3 --in-axes 0,0,0", 1, "in_axes_length"),
    (f"{NEST}:affine --params {PARAMS} --x 4,5 --in-axes '{{\"W\": null, \"c\": 0}},0'", 1,
     "in_axes_length"),
    (f"{NEST}:affine --params {PARAMS} --x 4,5 --in-axes '{{\"W\": null, \"b\": 0}}'", 1,
     "in_axes_length"),
    (f"{NEST}:scaled --x 4,3 --scale 5", 1, "other"),
    (f"{NEST}:foo --s f32[] --v 5,3 --m 5,3,3 --ranks 0,1,4", 1, "axis_out_of_range"),
    (f"{NEST}:affine --params {PARAMS} --x 5 --in-axes '{{\"W\": null, \"b\": 3}},0' "
     "--batch 8", 1, "axis_out_of_range"),
    ("jnp.add --a 2,3 --b 2,3 --in-axes 0 --in-axes 0 --batch 4", 2, None),
    ("jnp.add --a 2,3 --c 2,3", 2, None),
    ("jnp.sum --a 4,3 --static a=1", 2, None),
    ("jnp.add --a 2,3 --b 2,3 --ranks 1,1 --in-axes 0", 2, None),
    ("jnp.add --a 2,3 --b 2,3 --in-axes 0 --in-axes 1 --out-axes 0 --out-axes 0 --out-axes 0",
     2, None),
]


def _run(runner, command: str, args: str):
    extra = BENCH if command == "bench" else []
    return runner.invoke(app, [command, *shlex.split(args), *extra, "--json"])


@pytest.mark.parametrize("args,code,kind", ROWS, ids=[r[0][:50] for r in ROWS])
def test_same_mistake_same_error_in_every_command(runner, args, code, kind):
    results = {c: _run(runner, c, args) for c in ("shape", "jaxpr", "bench")}
    for command, r in results.items():
        assert r.exit_code == code, (command, r.output)
    if kind is None:  # bad input: the same `error:` text on stderr, nothing on stdout
        said = {c: r.stderr for c, r in results.items()}
        assert all(not r.stdout for r in results.values())
        assert len(set(said.values())) == 1, said
        assert said["shape"].startswith("error: ")
        return
    errors = {c: json.loads(r.stdout)["error"] for c, r in results.items()}
    assert errors["shape"]["kind"] == kind
    for command in ("jaxpr", "bench"):
        for key in ("kind", "detail", "message", "hint", "suggestions"):
            assert errors[command][key] == errors["shape"][key], (command, key)
