"""Bad-input corpus: malformed command lines for every command, each with its exit code, a
message that names the problem and says what to type instead, and no traceback.

Each row is (command line, exit code, substrings the output must hold). `{tmp}` is replaced by
a fresh temporary folder. Bench rows fail before anything is measured (and carry
`--runs 1 --min-time 0` where a row could get that far).
"""

from __future__ import annotations

import shlex

import pytest

from tests.conftest import with_add_names
from vmapx.cli import app

UF = "tests/fixtures/user_funcs.py"
RAISING = "tests/fixtures/raising_module.py"
NEST = "tests/fixtures/nest_funcs.py"
PARAMS = '\'{"W": "f32[3,5]", "b": [3]}\''
FAST = "--runs 1 --min-time 0 --warmup 0"
HUGE = "100000000000000000000"
UP = "tests/fixtures/upstream_funcs.py"   # rows derived from JAX's, jax_autovmap's vmap tests
TREE = '\'{"a": "f32[4,3]", "b": "f32[3]"}\''

ROWS = [
    # -- vmapx shape: shapes and dtypes ----------------------------------------------------
    ("shape jnp.add --a 2,3,x", 2, ["dim 'x' is not a non-negative integer", "2,3,5"]),
    ("shape jnp.add --a f99[2,3]", 2, ["unknown dtype 'f99'", "f32"]),
    ("shape jnp.add --a flaot32[2,3]", 2, ["unknown dtype 'flaot32'", "did you mean float32"]),
    ("shape jnp.add --a f32[2,3", 2, ["cannot read shape spec 'f32[2,3'", "f32[2,3,5]"]),
    ("shape jnp.add --a 2x3", 2, ["cannot read shape spec '2x3'", "2,3"]),
    ("shape jnp.add --a ''", 2, ["empty shape spec", "write a shape like"]),
    ("shape jnp.add --a 2,-3", 2, ["'-3' is not a non-negative integer", "2,3,5"]),
    ("shape jnp.add --a f32", 2, ["has a dtype but no dims", "f32[]"]),
    ("shape jnp.add --a 99999999999999999,3", 2, ["absurdly large", "2**40"]),
    ("shape jnp.add --a '{\"w\": [99999999999999999999]}'", 2, ["absurdly large", "2**40"]),
    ("shape jnp.add --a '{\"w\": [2,'", 2, ["cannot read pytree spec", "write JSON"]),
    ("shape jnp.add --a '{\"w\": 3}'", 2, ["3 is not a shape", "list of ints"]),
    ("shape jnp.add --a '{\"w\": [-2]}'", 2, ["negative dim", "dims are >= 0"]),
    # -- axes -----------------------------------------------------------------------------
    ("shape jnp.add --a 2,3 --in-axes 0,foo", 2, ["cannot read in_axes entry 'foo'", "None"]),
    ("shape jnp.add --a 2,3 --in-axes ''", 2, ["empty in_axes", "--in-axes 0,None"]),
    ("shape jnp.add --a 2,3 --in-axes 0,,1", 2, ["an entry is empty", "--in-axes 0,None"]),
    ("shape jnp.add --a 2,3 --in-axes '{\"a\":'", 2, ["cannot read in_axes entry", "null"]),
    ("shape jnp.add --a 2,3 --out-axes x", 2, ["cannot read out_axes entry 'x'", "integer"]),
    ("shape jnp.add --a 2,3 --in-axes 5", 1, ["in_axis 5 for {a} is out of range", "-2..1"]),
    ("shape jnp.add --a 2,3 --b 3,3", 1, ["different sizes", "try --in-axes"]),
    ("shape jnp.add --a 2,3 --b 2,3 --in-axes None,None", 1,
     ["every in_axes entry is None", "--axis-size N"]),
    ("shape jnp.add --a 2,3 --b 2,3 --in-axes 0,0,0", 1,
     ["in_axes has 3 entries", "give one entry per argument"]),
    ("shape jnp.add --a 2,3 --b 2,3 --out-axes 5", 1,
     ["out_axes 5 is out of range", "pick --out-axes between -2 and 1"]),
    ("shape jnp.sum --a 4,3 --static axis=5", 1, ["cannot take the per-example shapes",
                                                  "map a different axis"]),
    ("shape jnp.add --a 2,3 --ranks x", 2, ["cannot read ranks entry 'x'", "integer"]),
    (f"shape {NEST}:affine --params {PARAMS} --x 4,5 --in-axes '{{\"W\": null, \"c\": 0}},0'",
     1, ["in_axes", "params"]),
    # -- axes JAX's own vmap tests refuse (tests/test_upstream_cases.py has their library side) --
    (f"shape {UP}:add --x 2,3 --y 2,3 --in-axes 0.5,0", 2,
     ["cannot read in_axes entry '0.5'", "an integer axis"]),
    (f"shape {UP}:add --x 2,3 --y 2,3 --in-axes true,0", 2,
     ["cannot read in_axes entry 'true'", "an integer axis"]),
    (f"shape {UP}:tree_in --p {TREE} --x 4,3 --in-axes '{{\"a\": 1.5, \"b\": null}},0'", 2,
     ["'1.5' is not an axis", "integer axis or null"]),
    (f"shape {UP}:add --x 2,3 --y 2,3 --out-axes 0.5", 2,
     ["cannot read out_axes entry '0.5'", "an integer axis"]),
    (f"shape {UP}:dict_out --x 2,3,4 --out-axes '{{\"a\": 0.5, \"b\": 0}}'", 2,
     ["'0.5' is not an axis", "integer axis or null"]),
    (f"shape {UP}:add --x 4,3 --y 4,3 --out-axes None", 1,
     ["depends on a mapped input", "out_axes None (unmapped) cannot hold it", "--out-axes 0"]),
    (f"shape {UP}:mul_and_sum --x 4,3 --y 4,3 --out-axes 0,None", 1,
     ["mul_and_sum depends on a mapped input"]),   # JAX 0.10 also names it: [1]
    (f"shape {UP}:sort --x 3 --in-axes 1", 1,
     ["in_axis 1 for x is out of range", "-1..0 or None"]),
    (f"shape {UP}:tree_in --p '{{\"a\": \"f32[4,3]\", \"b\": \"f32[5,3]\"}}' --x 4,3", 1,
     ["p['b'] f32[5,3] has size 5", "map it with None"]),
    (f"shape {UP}:foo --s f32[] --v 4,3 --m 5,3,3 --ranks 0,1,2", 1,
     ["leading batch dims do not broadcast", "check the base ranks"]),
    (f"shape {UP}:foo --s f32[] --v 5,3 --m 3 --ranks 0,1,2", 1,
     ["m base rank 2, but m is f32[3]", "lower m's rank to 1 or less"]),
    (f"jaxpr {UP}:add --x 2,3 --y 2,3 --in-axes true,0", 2, ["cannot read in_axes entry 'true'"]),
    (f"jaxpr {UP}:add --x 4,3 --y 4,3 --out-axes None", 1, ["depends on a mapped input"]),
    (f"bench {UP}:add --x 2,3 --y 2,3 --out-axes 1.0 {FAST}", 2,
     ["cannot read out_axes entry '1.0'"]),
    # -- function specs --------------------------------------------------------------------
    ("shape jnp.addd --a 2,3", 2, ["has no attribute 'addd'", "did you mean jnp.add"]),
    ("shape numpy.add --a 2,3", 2, ["only jax functions are named by dotted path",
                                    "numpy:add"]),
    ("shape jnp --a 2,3", 2, ["'jnp' is a module, not a function", "e.g. jnp.abs"]),
    ("shape jnp.pi --a 2,3", 2, ["'jnp.pi' is a float, not a function", "something callable"]),
    ("shape add --a 2,3", 2, ["cannot resolve 'add'", "did you mean jnp.add"]),
    ("shape nothere --a 2,3", 2, ["cannot resolve 'nothere'", "pkg.module:fn"]),
    ("shape '' --a 2,3", 2, ["no function given", "jnp.add"]),
    ("shape tests/fixtures/nope.py:f --a 2", 2, ["does not exist", "check the path"]),
    ("shape tests/fixtures/user_funcs:f --a 2", 2, ["does not exist",
                                                    "tests/fixtures/user_funcs.py:FUNCTION"]),
    ("shape nosuchpkg.mod:f --x 2", 2, ["no module named 'nosuchpkg'", "path/to/file.py"]),
    (f"shape {RAISING}:f --a 2", 2, ["importing", "raised RuntimeError: this module refuses",
                                     "raising_module.py:3"]),
    ("shape tests.fixtures.raising_module:f --a 2", 2, ["importing", "refuses to import",
                                                         "raising_module.py:3"]),
    ("shape {tmp}/broken.py:f --x 2", 2, ["has a syntax error", "line 1",
                                          "fix the file and run again"]),
    (f"shape {UF}:NOT_CALLABLE --x 2", 2, ["is an int, not a function", "something callable"]),
    (f"shape {UF}:nothere --x 2,3", 2, ["has no attribute 'nothere'", "check the spelling"]),
    (f"shape {UF}:two_outpts --x 2,3", 2, ["has no attribute", "did you mean"]),
    (f"shape {UF}: --x 2,3", 2, ["names no attribute after ':'", "FUNCTION_NAME"]),
    (f"shape {UF}:boom --x 2,3", 1, ["boom raised ValueError: boom from user code",
                                     "user_funcs.py:25 in boom"]),
    # -- arguments and statics --------------------------------------------------------------
    ("shape jnp.add --a 2,3 --static axis", 2, ["cannot read --static 'axis'", "NAME=VALUE"]),
    ("shape jnp.add --a 2,3 --static axis=os.system", 2, ["'os.system' is not a Python literal",
                                                          "--static axis=0"]),
    ("shape jnp.add --a 2,3 --static \"axis=__import__('os')\"", 2,
     ["is not a Python literal", "--static axis=0"]),
    ("shape jnp.sum --a 4,3 --static a=1", 2, ["'a' is given both a shape and --static",
                                               "drop --a or --static a="]),
    ("shape examples/neuron.py:model --v 4,5 --static v=3", 2,
     ["'v' is given both a shape and --static", "drop --v"]),
    ("shape jnp.add --a 2,3 --a 2,3", 2, ["--a is given twice", "give --a once"]),
    ("shape jnp.add --a 2,3 --c 2,3", 2, ["has no parameter 'c'", "--{a}, --{b}"]),
    ("shape examples/neuron.py:model --w 3", 2, ["has no parameter 'w'", "--v"]),
    ("shape jnp.add --a", 2, ["--a needs a shape", "--a f32[3,4]"]),
    ("shape jnp.add 2,3", 2, ["unexpected argument '2,3'", "--NAME SHAPE"]),
    ("shape --a 2,3", 2, ["unexpected argument '2,3'", "name the FUNCTION first"]),
    ("shape jnp.add --a 2,3 --arg bad", 2, ["cannot read --arg 'bad'", "--arg NAME=SHAPE"]),
    ("shape", 2, ["Missing argument", "vmapx shape -h"]),
    # -- sizes and conflicting options ------------------------------------------------------
    ("shape jnp.add --a 2,3 --batch 0", 2, ["--batch", "greater than or equal to 1"]),
    (f"shape jnp.add --a 2,3 --batch {HUGE}", 2, ["--batch", "absurdly large", "2**40"]),
    ("shape jnp.add --a 2,3 --axis-size 0", 2, ["--axis-size", "greater than or equal to 1"]),
    (f"shape jnp.add --a 2,3 --in-axes None --axis-size {HUGE}", 2,
     ["--axis-size", "absurdly large"]),
    ("shape jnp.sum --a 4,3 --ranks 0 --in-axes 0", 2, ["--ranks and --in-axes both",
                                                       "give one"]),
    ("shape jnp.add --a 2,3 --in-axes 0 --in-axes 1 --out-axes 0 --out-axes 0 --out-axes 1", 2,
     ["2 --in-axes levels but 3 --out-axes", "once per level"]),
    ("shape jnp.add --a 2,3 --b 2,3 --in-axes 0 --in-axes 0 --batch 4", 2,
     ["--batch gives one vmap's batch size", "full (batched) shapes"]),
    (f"shape {NEST}:affine --params {PARAMS} --x 4,5 --ranks 1,1 --batch 4", 2,
     ["--batch gives one vmap's batch size", "full (batched) shapes"]),
    ("shape jnp.add --a 2,3 --in-axes 0 --in-axes 1", 1,
     ["in_axis 1 for {a} at level 1 is out of range", "levels outside it"]),
    ("shape jnp.add --a 2,3 --json --in-axes 0,foo", 2, ["cannot read in_axes entry 'foo'"]),
    (f"shape {UF}:two_outputs --x 4,3 --y 4,3 --out-axes {{}}", 1,
     ["out_axes specification must be a tree prefix", "{} is not one", "a tuple of 2"]),
    # -- vmapx jaxpr ----------------------------------------------------------------------------
    ("jaxpr jnp.add --a 2,3,x", 2, ["dim 'x'", "2,3,5"]),
    ("jaxpr jnp.add --a 2,3 --stage foo", 2, ["unknown --stage 'foo'", "jaxpr, stablehlo, hlo"]),
    ("jaxpr jnp.add --a 2,3 --svg /nonexistent/dir/x.svg", 2,
     ["the folder /nonexistent/dir does not exist", "mkdir -p", "--svg out.svg"]),
    ("jaxpr jnp.add --a 2,3 --html /nonexistent/dir/x.html", 2,
     ["the folder /nonexistent/dir does not exist", "--html out.html"]),
    ("jaxpr jnp.add --a 2,3 --svg {tmp}", 2, ["is a directory", "--svg out.svg"]),
    ("jaxpr jnp.add --a 2,3 --svg ''", 2, ["--svg needs a file name", "--svg out.svg"]),
    ("jaxpr jnp.add --a 2,3 --html ' '", 2, ["--html needs a file name"]),
    (f"jaxpr {RAISING}:f --a 2", 2, ["importing", "refuses to import", "raising_module.py:3"]),
    (f"jaxpr {UF}:boom --x 2,3", 1, ["boom from user code", "user_funcs.py:25 in boom"]),
    (f"jaxpr {UF}:NOT_CALLABLE --x 2,3", 2, ["is an int, not a function"]),
    ("jaxpr jnp.addd --a 2,3", 2, ["has no attribute 'addd'", "did you mean jnp.add"]),
    ("jaxpr jnp.add --a 2,3 --in-axes 5", 1, ["in_axis 5 for {a} is out of range", "-2..1"]),
    ("jaxpr jnp.add --a 2,3 --b 3,3", 1, ["different sizes", "map axes of the same size"]),
    ("jaxpr jnp.add --a 2,3 --manual nothere", 2, ["cannot resolve 'nothere'",
                                                   "pkg.module:fn"]),
    (f"jaxpr jnp.add --a 2,3 --manual {UF}:nothere", 2, ["has no attribute 'nothere'"]),
    (f"jaxpr jnp.add --a 2,3 --batch {HUGE}", 2, ["--batch", "absurdly large"]),
    ("jaxpr jnp.add --a '{\"w\": [2]}'", 2, ["no shape for {b}", "--{b} f32[3]"]),
    ("jaxpr jnp.add --a 2,3 --b 2,3 --in-axes 0 --in-axes 0 --batch 2", 2,
     ["--batch gives one vmap's batch size", "full (batched) shapes"]),
    ("jaxpr jnp.add --a 2,3 --b 2,3 --in-axes '{\"a\":0}'", 1,
     ["in_axes is a dict", "wrap it in a tuple"]),
    ("jaxpr jnp.add --a 2,3 --static axis=os.system", 2, ["not a Python literal"]),
    ("jaxpr --a 2,3", 2, ["unexpected argument '2,3'", "name the FUNCTION first"]),
    ("jaxpr", 2, ["Missing argument", "vmapx jaxpr -h"]),
    # -- vmapx bench ----------------------------------------------------------------------------
    (f"bench jnp.add --a 2,3 --backend tpu {FAST}", 2, ["backend 'tpu' is not available",
                                                        "--backend cpu"]),
    (f"bench jnp.add --a 2,3 --backend quantum {FAST}", 2, ["'quantum' is not available"]),
    ("bench jnp.add --a 2,3 --export-json /nonexistent/dir/x.json", 2,
     ["the folder /nonexistent/dir does not exist", "mkdir -p"]),
    ("bench jnp.add --a 2,3 --plot /nonexistent/dir/x.svg", 2,
     ["--plot /nonexistent/dir/x.svg", "mkdir -p"]),
    ("bench jnp.add --a 2,3 --export-csv /nonexistent/dir/x.csv", 2, ["--export-csv", "mkdir"]),
    ("bench jnp.add --a 2,3 --plot ''", 2, ["--plot needs a file name", "--plot out.svg"]),
    ("bench jnp.add --a 2,3 --export-json ''", 2, ["--export-json needs a file name"]),
    ("bench jnp.add --a 2,3 --export-markdown /nonexistent/dir/x.md", 2,
     ["--export-markdown", "mkdir"]),
    ("bench jnp.add --a 2,3 --compare /nonexistent/base.json", 2,
     ["no such file", "--export-json FILE"]),
    ("bench jnp.add --a 2,3 --compare README.md", 2, ["not JSON", "--export-json FILE"]),
    ("bench jnp.add --a 2,3 --fail-above 20", 2, ["--fail-above needs --compare",
                                                  "--compare base.json"]),
    ("bench jnp.add --a 2,3 --variants loop,vmapp", 2, ["unknown variant 'vmapp'",
                                                        "did you mean vmap"]),
    ("bench jnp.add --a 2,3 --variants ,", 2, ["--variants is empty", "--variants loop"]),
    ("bench jnp.add --a 2,3 --batch 0", 2, ["'0' is not a positive whole number",
                                            "--batch 8,64,512"]),
    ("bench jnp.add --a 2,3 --batch x", 2, ["'x' is not a positive whole number"]),
    (f"bench jnp.add --a 2,3 --batch {HUGE} {FAST}", 2, ["--batch", "absurdly large"]),
    (f"bench jnp.add --a {HUGE} --b 3 {FAST}", 2, ["absurdly large", "2**40"]),
    ("bench jnp.add --a 2,3 --runs 0", 2, ["--runs", "greater than or equal to 1"]),
    ("bench jnp.add --a 2,3 --min-time -1", 2, ["--min-time", "greater than or equal to 0"]),
    ("bench jnp.add --a 2,3 --warmup -1", 2, ["--warmup", "greater than or equal to 0"]),
    ("bench jnp.add --a 2,3 --seed x", 2, ["--seed", "valid integer"]),
    ("bench --batch 8", 2, ["--batch needs a FUNCTION", "examples/dot.py:dot"]),
    ("bench --a 2,3", 2, ["unexpected argument '2,3'", "name the FUNCTION first"]),
    (f"bench {RAISING}:f --a 2", 2, ["importing", "refuses to import", "raising_module.py:3"]),
    (f"bench {UF}:NOT_CALLABLE --x 2,3", 2, ["is an int, not a function"]),
    ("bench jnp.addd --a 2,3", 2, ["has no attribute 'addd'", "did you mean jnp.add"]),
    ("bench jnp.add --a 2,3 --manual nothere", 2, ["cannot resolve 'nothere'"]),
    (f"bench jnp.add --a 2,3 --in-axes 5 {FAST}", 1, ["in_axis 5 for {a} is out of range"]),
    (f"bench jnp.add --a 2,3 --b 3,3 {FAST}", 1, ["different sizes"]),
    ("bench jnp.add --a 2,3 --static axis=os.system", 2, ["not a Python literal"]),
    ("bench jnp.add --a f99[3]", 2, ["unknown dtype 'f99'"]),
    ("bench jnp.sum --a 4,3 --static a=1", 2, ["given both a shape and --static"]),
    ("jaxpr jnp.add --a 2,3 --out-axes 7", 1, ["out_axes 7 is out of range"]),
    (f"jaxpr {UF}:two_outputs --x 4,3 --y 4,3 --out-axes 0,0,0", 2,
     ["--out-axes has 3 entries but the function returns 2 outputs", "one entry per output"]),
    (f"bench {UF}:boom --x 2,3 {FAST}", 1, ["boom from user code", "user_funcs.py:25"]),
    # an option mistake found while the loop runs is bad input (exit 2), not a failed variant
    (f"bench {UF}:two_outputs --x 4,3 --y 4,3 --out-axes 0,0,0 {FAST}", 2,
     ["--out-axes has 3 entries but the function returns 2 outputs", "one entry per output"]),
]


def _ids(row):
    return row[0][:60]


@pytest.mark.parametrize("line, code, needles", ROWS, ids=[_ids(r) for r in ROWS])
def test_bad_input(line, code, needles, runner, tmp_path):
    (tmp_path / "broken.py").write_text("def f(x) return x\n")
    argv = shlex.split(line.replace("{tmp}", str(tmp_path)))
    result = runner.invoke(app, argv)
    out = result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), \
        repr(result.exception)
    assert "Traceback" not in out, out
    assert result.exit_code == code, out
    for needle in map(with_add_names, needles):
        assert needle in " ".join(out.replace("│", " ").split()), (needle, out)
    # what to type instead: vmapx's hint, or the option parser's pointer to --help
    assert "hint:" in out or "-h' for help" in out, out


def test_corpus_is_large_enough():
    assert len(ROWS) >= 60
    assert {r[0].split()[0] for r in ROWS} == {"shape", "jaxpr", "bench"}


# -- the bugs these rows found, pinned in the core (the Python API) ---------------------------

def test_absurd_sizes_are_refused_in_the_core():
    import jax.numpy as jnp

    import vmapx
    from vmapx.errors import SpecError
    from vmapx._text.specs import ShapeSpec

    with pytest.raises(SpecError, match="absurdly large"):
        vmapx.shape(jnp.add, (2, 3), (2, 3), batch=10**20)
    with pytest.raises(SpecError, match="absurdly large"):
        vmapx.shape(jnp.add, (2, 3), (2, 3), in_axes=None, axis_size=2**41)
    with pytest.raises(SpecError, match="absurdly large"):
        ShapeSpec((2**41,))
    with pytest.raises(SpecError, match="negative"):
        ShapeSpec((-1,))


def test_pytree_out_axes_are_handed_to_jax_not_compared_to_ints():
    from tests.fixtures.user_funcs import two_outputs

    import vmapx

    report = vmapx.shape(two_outputs, (4, 3), (4, 3), out_axes={})
    assert report.error is not None and "tree prefix" in report.error.message


def test_a_shape_and_a_static_for_one_argument_is_refused():
    import jax.numpy as jnp

    import vmapx
    from vmapx.errors import UsageError

    with pytest.raises(UsageError, match="both a shape and a static value"):
        vmapx.shape(jnp.sum, (4, 3), static={"a": 1})


def test_function_spec_messages():
    from vmapx.errors import TargetError
    from vmapx._text.target import resolve

    with pytest.raises(TargetError) as bare:
        resolve("add")
    assert bare.value.hint == "did you mean jnp.add?"
    with pytest.raises(TargetError) as module:
        resolve("jnp")
    assert module.value.hint.endswith("e.g. jnp.abs")        # a function, not a class
    with pytest.raises(TargetError) as value:
        resolve("tests/fixtures/user_funcs.py:NOT_CALLABLE")
    assert "is an int, not a function" in value.value.message
