"""A two-layer MLP whose parameters are a dict, the way most JAX code starts (seed 004).

`model(params, x)` is written for one example; `jax.vmap(model, in_axes=(None, 0))` shares the
parameters and maps the data. `batched_model` is the same model batched by hand.
`grad_loss = jax.grad(loss)` is per-example gradients once vmapped with `in_axes=(None, 0, 0)`:
a params-shaped dict with a leading batch axis on every leaf; `batched_grads` computes the same
by hand (backpropagation written out with einsum).

    vmapx shape examples/mlp.py:model                    # declared below: no shapes typed
    vmapx shape examples/mlp.py:model --params @examples/mlp.py:init_params --x 5 --batch 8 \\
        --in-axes None,0
    vmapx jaxpr examples/mlp.py:grad_loss
    vmapx bench examples/mlp.py:model --batch 8,64
"""
import jax
import jax.numpy as jnp

IN, HIDDEN, OUT = 5, 16, 3


def init_params(key=None):
    """The parameters as a dict of arrays (built abstractly by vmapx: nothing is allocated)."""
    k1, k2 = jax.random.split(jax.random.PRNGKey(0) if key is None else key)
    return {"W1": jax.random.normal(k1, (HIDDEN, IN)) / IN ** 0.5, "b1": jnp.zeros(HIDDEN),
            "W2": jax.random.normal(k2, (OUT, HIDDEN)) / HIDDEN ** 0.5, "b2": jnp.zeros(OUT)}


def model(params, x):
    """One example: x f32[IN] -> f32[OUT]."""
    h = jnp.tanh(params["W1"] @ x + params["b1"])
    return params["W2"] @ h + params["b2"]


def batched_model(params, xs):
    """`model` batched by hand: params shared, xs f32[n, IN] -> f32[n, OUT]."""
    h = jnp.tanh(xs @ params["W1"].T + params["b1"])
    return h @ params["W2"].T + params["b2"]


def loss(params, x, y):
    """Squared error of one example."""
    return 0.5 * jnp.sum((model(params, x) - y) ** 2)


grad_loss = jax.grad(loss)


def batched_grads(params, xs, ys):
    """Per-example gradients by hand: each leaf gets a leading batch axis of size n."""
    h = jnp.tanh(xs @ params["W1"].T + params["b1"])           # (n, HIDDEN)
    d_out = h @ params["W2"].T + params["b2"] - ys              # (n, OUT)
    d_z = (d_out @ params["W2"]) * (1 - h ** 2)                 # (n, HIDDEN)
    return {"W1": jnp.einsum("nh,ni->nhi", d_z, xs), "b1": d_z,
            "W2": jnp.einsum("no,nh->noh", d_out, h), "b2": d_out}


VMAPX_EXAMPLES = {
    "model": {"inputs": {"params": "@init_params", "x": f"f32[{IN}]"}, "batch": 8,
              "in_axes": [None, 0], "manual": "batched_model"},
    "grad_loss": {"inputs": {"params": "@init_params", "x": f"f32[{IN}]", "y": f"f32[{OUT}]"},
                  "batch": 8, "in_axes": [None, 0, 0], "manual": "batched_grads"},
}
