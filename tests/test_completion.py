"""Shell completion (Typer's): subcommands, options, --variants/--stage/--backend values and
FUNCTION names, through the same protocol bash uses; none of it imports jax."""

import subprocess
import sys
from types import ModuleType

import pytest

from vmapx.cli import app
from vmapx.cli.completion import complete_function, complete_variants, public_names


def complete(runner, line):
    """What bash's completion gets for `line` (the cursor at its end)."""
    words = line.split(" ")
    r = runner.invoke(app, [], prog_name="vmapx", env={
        "_VMAPX_COMPLETE": "complete_bash", "COMP_WORDS": line,
        "COMP_CWORD": str(len(words) - 1)})
    return r.stdout.split()


@pytest.mark.parametrize("line, wanted", [
    ("vmapx sh", ["shape"]),
    ("vmapx jaxpr jnp.add --sta", ["--static", "--stage"]),
    ("vmapx jaxpr jnp.add --stage s", ["stablehlo"]),
    ("vmapx bench jnp.add --backend g", ["gpu"]),
    ("vmapx bench jnp.add --variants loop,jit-", ["loop,jit-vmap", "loop,jit-manual"]),
    ("vmapx shape jnp.ad", ["jnp.add"]),
    ("vmapx bench lax.cum", ["lax.cumlogsumexp", "lax.cummax", "lax.cummin", "lax.cumprod",
                             "lax.cumsum"]),
    ("vmapx shape examples/dot.py:aff", ["examples/dot.py:affine"]),
    ("vmapx shape exam", ["examples/"]),
])
def test_completes(runner, line, wanted):
    assert complete(runner, line) == wanted


def test_values_given_are_not_offered_again():
    assert "loop,vmap,loop" not in complete_variants("loop,vmap,")
    assert complete_variants("loop,vmap,jit-v") == ["loop,vmap,jit-vmap"]


def test_function_names_are_jax_public_names():
    import jax.lax
    import jax.numpy as jnp

    names = public_names("jax.numpy")
    assert {"add", "einsum", "tanh", "dot"} <= set(names) and len(names) > 300
    assert all(hasattr(jnp, n) for n in names)
    assert all(callable(getattr(jax.lax, n)) or isinstance(getattr(jax.lax, n), ModuleType)
               for n in public_names("jax.lax"))
    assert complete_function("jnp.") and all(n.startswith("jnp.") for n in
                                             complete_function("jnp."))


def test_completion_does_not_import_jax():
    code = ("import os, sys\n"
            "from vmapx.cli import app\n"
            "os.environ.update(_VMAPX_COMPLETE='complete_bash', COMP_WORDS='vmapx shape jnp.ta',"
            " COMP_CWORD='2')\n"
            "try:\n    app(prog_name='vmapx')\n"
            "except SystemExit:\n    pass\n"
            "print('jax imported' if 'jax' in sys.modules else 'no jax')\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.split()
    assert out[-1:] == ["jax"] or out[-2:] == ["no", "jax"], out
    assert "jnp.tanh" in out and out[-2:] == ["no", "jax"]


def test_install_completion_is_offered(runner):
    r = runner.invoke(app, ["--help"])
    assert "--install-completion" in r.stdout and "--show-completion" in r.stdout
