"""An Equinox model (seed 004's MLP): the module is the function, its weights closed over.

`vmapx shape examples/eqx_mlp.py:model` vmaps the module itself over `x`; its array fields are
part of the callable, not mapped. `apply(model, x)` is the functional form, where the module is
an argument: parameters shared with `in_axes=(None, 0)`, and `init_model` builds it abstractly
(`--model @examples/eqx_mlp.py:init_model`: nothing is allocated).

    vmapx shape examples/eqx_mlp.py:model
    vmapx jaxpr examples/eqx_mlp.py:model
    vmapx shape examples/eqx_mlp.py:apply --model @examples/eqx_mlp.py:init_model --x 5 \\
        --batch 8 --in-axes None,0
"""
import equinox as eqx
import jax
import jax.numpy as jnp

IN, HIDDEN, OUT = 5, 16, 3


class MLP(eqx.Module):
    hidden: eqx.nn.Linear
    out: eqx.nn.Linear

    def __init__(self, key):
        k1, k2 = jax.random.split(key)
        self.hidden = eqx.nn.Linear(IN, HIDDEN, key=k1)
        self.out = eqx.nn.Linear(HIDDEN, OUT, key=k2)

    def __call__(self, x):
        return self.out(jnp.tanh(self.hidden(x)))


def init_model():
    return MLP(jax.random.PRNGKey(0))


model = init_model()


def batched_model(xs):
    """`model` batched by hand: xs f32[n, IN] -> f32[n, OUT] (Linear's weight is (out, in))."""
    h = jnp.tanh(xs @ model.hidden.weight.T + model.hidden.bias)
    return h @ model.out.weight.T + model.out.bias


def apply(model, x):
    return model(x)


VMAPX_EXAMPLES = {
    "model": {"inputs": {"x": f"f32[{IN}]"}, "batch": 8, "manual": "batched_model"},
    "apply": {"inputs": {"model": "@init_model", "x": f"f32[{IN}]"}, "batch": 8,
              "in_axes": [None, 0]},
}
