"""Function specs resolve by import and attribute lookup, with close matches on typos."""

import pytest

from vmapx.errors import TargetError
from vmapx._text.target import resolve


@pytest.mark.parametrize("spec", ["jnp.add", "jax.numpy.add", "lax.add", "jax.lax.add",
                                  "jax.nn.relu", "jax.scipy.special.logsumexp", "jax.jit"])
def test_builtin_specs_resolve(spec):
    assert callable(resolve(spec).fn)


def test_user_specs_resolve_by_module_and_by_path():
    by_path = resolve("examples/neuron.py:model")
    assert by_path.fn.__name__ == "model" and by_path.attr == "model"
    by_module = resolve("tests.fixtures.user_funcs:matvec")
    assert by_module.fn.__name__ == "matvec"


@pytest.mark.parametrize("spec, needle", [
    ("jnp.addd", "did you mean jnp.add?"),
    ("jax.nn.rleu", "did you mean jax.nn.relu"),
    ("examples/neuron.py:modle", "did you mean"),
    ("examples/nope.py:f", "does not exist"),
    ("tests.fixtures.nope:f", "no module named"),
    ("tests/fixtures/raising_module.py:f", "refuses to import"),
    ("tests/fixtures/user_funcs.py:NOT_CALLABLE", "not a function"),
    ("jnp", "not a function"),
    ("mymod.fn", "module:function"),
    ("", "no function given"),
    ("examples/neuron.py:", "names no attribute"),
])
def test_bad_specs_explain(spec, needle):
    with pytest.raises(TargetError) as info:
        resolve(spec)
    assert needle in info.value.message + " " + (info.value.hint or "")


def test_module_raising_on_import_names_its_line():
    with pytest.raises(TargetError) as info:
        resolve("tests/fixtures/raising_module.py:f")
    assert "raising_module.py:3" in info.value.hint


def test_spec_is_never_evaluated():
    with pytest.raises(TargetError):
        resolve("__import__('os').system('echo hacked')")
