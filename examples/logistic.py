"""Binary logistic regression: batched prediction and per-example gradients.

From seed 004 (the JAX tutorial's vmap section): ``vmap(predict_single)``
matches ``predict_batch``, and ``vmap(grad(loss), in_axes=(None, 0, 0))`` gives
per-example gradients, here matched by the analytic ``batched_grad``.
"""
import jax
import jax.numpy as jnp
import numpy as np

D = 2
w = np.random.RandomState(0).normal(size=(D,)).astype(np.float32)  # fixed weights


def sigmoid(x):
    return 0.5 * (jnp.tanh(x / 2.0) + 1)


def predict_single(x):
    return sigmoid(jnp.dot(w, x))  # <(D), (D)> = (1), inner product


def predict_batch(X):
    return sigmoid(jnp.dot(X, w))  # (N, D) @ (D,) = (N,), matrix-vector product


def predict(weights, x):
    # works for one example x: (D,) and for a batch X: (N, D)
    return sigmoid(jnp.dot(x, weights))


def loss(weights, inputs, targets):
    """Negative log likelihood of a batch, as in the seed."""
    preds = predict(weights, inputs)
    logprobs = jnp.log(preds) * targets + jnp.log(1 - preds) * (1 - targets)
    return -jnp.sum(logprobs)


def example_loss(weights, x, y):
    """Negative log likelihood of one example x: (D,), y: ()."""
    p = predict(weights, x)
    return -(jnp.log(p) * y + jnp.log(1 - p) * (1 - y))


def per_example_grad(weights, x, y):
    return jax.grad(example_loss)(weights, x, y)


def batched_grad(weights, X, y):
    """Per-example gradients (N, D), analytically: (sigmoid(x . w) - y) * x."""
    return (sigmoid(X @ weights) - y)[:, None] * X


VMAPX_EXAMPLES = {
    "predict_single": {
        "inputs": {"x": "f32[2]"},
        "batch": 3,
        "manual": "predict_batch",
    },
    "per_example_grad": {
        "inputs": {"weights": "f32[2]", "x": "f32[2]", "y": "f32[]"},
        "batch": 3,
        "in_axes": [None, 0, 0],
        "manual": "batched_grad",
    },
}
