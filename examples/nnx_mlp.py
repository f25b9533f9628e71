"""A Flax NNX model (seed 004's MLP): the module is the function, its `nnx.Param`s closed over.

NNX modules hold state; the functional form splits it off (`nnx.split`) and `apply` merges it
back, so the state is an argument (a pytree of parameters, shared with `in_axes=(None, 0)`).
`init_state` builds that state abstractly (`--state @examples/nnx_mlp.py:init_state`).

    vmapx shape examples/nnx_mlp.py:model
    vmapx bench examples/nnx_mlp.py:model --batch 8,64
    vmapx shape examples/nnx_mlp.py:apply --state @examples/nnx_mlp.py:init_state --x 5 \\
        --batch 8 --in-axes None,0
"""
import jax.numpy as jnp
from flax import nnx

IN, HIDDEN, OUT = 5, 16, 3


class MLP(nnx.Module):
    def __init__(self, rngs: nnx.Rngs):
        self.hidden = nnx.Linear(IN, HIDDEN, rngs=rngs)
        self.out = nnx.Linear(HIDDEN, OUT, rngs=rngs)

    def __call__(self, x):
        return self.out(jnp.tanh(self.hidden(x)))


model = MLP(nnx.Rngs(0))
graphdef, _ = nnx.split(model)


def batched_model(xs):
    """`model` batched by hand: xs f32[n, IN] -> f32[n, OUT] (Linear's kernel is (in, out))."""
    h = jnp.tanh(xs @ model.hidden.kernel[...] + model.hidden.bias[...])
    return h @ model.out.kernel[...] + model.out.bias[...]


def init_state():
    return nnx.state(MLP(nnx.Rngs(0)))


def apply(state, x):
    return nnx.merge(graphdef, state)(x)


VMAPX_EXAMPLES = {
    "model": {"inputs": {"x": f"f32[{IN}]"}, "batch": 8, "manual": "batched_model"},
    "apply": {"inputs": {"state": "@init_state", "x": f"f32[{IN}]"}, "batch": 8,
              "in_axes": [None, 0]},
}
