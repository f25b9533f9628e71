"""`--ranks`: the nest of vmaps vmapx builds gives the shapes jax_autovmap gives (seed 003)."""

import json

import jax
import jax.numpy as jnp
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import vmapx
from tests.fixtures.nest_funcs import foo

jax_autovmap = pytest.importorskip("jax_autovmap")


def _theirs(ranks, *shapes):
    fn = jax_autovmap.autovmap(*ranks)(foo)
    return jax.eval_shape(fn, *[jax.ShapeDtypeStruct(s, jnp.float32) for s in shapes]).shape


def _mine(ranks, *shapes):
    report = vmapx.shape(foo, *shapes, ranks=ranks)
    assert report.error is None, report.error
    return report.outputs[0].shape


DOCUMENTED = [((), (3,), (3, 3)), ((), (5, 3), (5, 3, 3)), ((5,), (5, 3), (5, 3, 3)),
              ((), (5, 3), (3, 3)), ((7, 1), (5, 3), (7, 5, 3, 3)), ((2, 5), (3,), (1, 3, 3))]


@pytest.mark.parametrize("shapes", DOCUMENTED)
def test_documented_cases_agree_with_jax_autovmap(shapes):
    assert _mine((0, 1, 2), *shapes) == _theirs((0, 1, 2), *shapes)


def test_named_ranks_equal_positional():
    shapes = ((), (5, 3), (5, 3, 3))
    assert vmapx.shape(foo, *shapes, ranks={"s": 0, "v": 1, "m": 2}).outputs[0].shape == (5,)


@st.composite
def _broadcastable(draw):
    depth = draw(st.integers(0, 3))
    batch = draw(st.lists(st.integers(1, 4), min_size=depth, max_size=depth))
    k = draw(st.integers(1, 3))

    def lead():
        n = draw(st.integers(0, depth))
        dims = batch[depth - n:]
        return tuple(d if draw(st.booleans()) else 1 for d in dims)

    return lead(), lead() + (k,), lead() + (k, k)


@settings(max_examples=40, deadline=None, derandomize=True)
@given(_broadcastable())
def test_generated_shapes_agree_with_jax_autovmap(shapes):
    assert _mine((0, 1, 2), *shapes) == _theirs((0, 1, 2), *shapes)


def test_seed_003_command(runner):
    r = runner.invoke(vmapx_app(), ["shape", "examples/autovmap.py:foo", "--s", "f32[]", "--v",
                                    "5,3", "--m", "5,3,3", "--ranks", "0,1,2"])
    assert r.exit_code == 0, r.output
    assert "levels (outermost first)" in r.output and "None,0,0" in r.output
    assert "f32[5]" in r.output


def test_seed_003_by_name_json(runner):
    r = runner.invoke(vmapx_app(), ["shape", "examples/autovmap.py:foo", "--s", "7,1", "--v",
                                    "5,3", "--m", "7,5,3,3", "--ranks", "s=0,v=1,m=2", "--json"])
    data = json.loads(r.stdout)
    assert data["outputs"][0]["shape"] == [7, 5]
    assert [lv["in_axes"] for lv in data["levels"]] == [[0, None, 0], [None, 0, 0]]
    assert any("broadcasts" in n for n in data["notes"])


@pytest.mark.parametrize("args, kind, words, code", [
    (["--s", "f32[]", "--v", "5,3", "--m", "3", "--ranks", "0,1,2"], "rank_too_large",
     ["base rank 2", "ndim 1"], 1),
    (["--s", "f32[]", "--v", "5,3", "--m", "4,3,3", "--ranks", "0,1,2"], "inconsistent_sizes",
     ["do not broadcast"], 1),
    (["--s", "f32[]", "--v", "5,3", "--m", "5,3,3", "--ranks", "0,1,x"], None,
     ["cannot read ranks entry"], 2),
    (["--s", "f32[]", "--v", "5,3", "--m", "5,3,3", "--ranks", "q=1"], None, ["'q'"], 2),
])
def test_rank_errors_through_the_cli(runner, args, kind, words, code):
    r = runner.invoke(vmapx_app(), ["shape", "examples/autovmap.py:foo", *args])
    assert r.exit_code == code, r.output
    assert "Traceback" not in r.output
    for w in words + ([kind] if kind else []):
        assert w in r.output, r.output


def vmapx_app():
    from vmapx.cli import app

    return app
