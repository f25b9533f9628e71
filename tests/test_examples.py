"""Every example module's VMAPX_EXAMPLES entries are well formed and hold up under jax.vmap.

For each entry: the function exists and takes the declared inputs; jax.vmap of it on a
batch of random inputs agrees with a Python loop and with the hand-batched twin
("manual"); the functions in failing.py really raise under jax.vmap.
"""
import functools
import importlib.util
import inspect
import re
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import pytest

EXAMPLES_DIR = Path(__file__).resolve().parent.parent / "examples"
FAILING_MODULES = {"failing"}  # modules whose functions are meant to fail under vmap
KNOWN_KEYS = {"inputs", "batch", "in_axes", "manual", "static"}
SPEC_RE = re.compile(r"^\s*(f32|f64|i32|i64|bool)\[\s*([0-9,\s]*)\]\s*$")
DTYPES = {"f32": np.float32, "f64": np.float64, "i32": np.int32, "i64": np.int64, "bool": np.bool_}
DEFAULT_BATCH = 3


def _load(path):
    spec = importlib.util.spec_from_file_location(f"vmapx_example_{path.stem}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MODULES = {p.stem: _load(p) for p in sorted(EXAMPLES_DIR.glob("*.py")) if not p.name.startswith("_")}
ENTRIES = [
    (mod_name, fn_name)
    for mod_name, module in MODULES.items()
    for fn_name in getattr(module, "VMAPX_EXAMPLES", {})
]


def _parse(spec):
    m = SPEC_RE.match(spec)
    assert m, f"unparsable shape spec {spec!r}"
    dims = tuple(int(d) for d in m.group(2).replace(" ", "").split(",") if d)
    return DTYPES[m.group(1)], dims


def _random(rng, spec, lead=()):
    dtype, shape = _parse(spec)
    shape = tuple(lead) + shape
    if np.issubdtype(dtype, np.integer):
        return rng.integers(1, 10, size=shape).astype(dtype)
    if dtype == np.bool_:
        return rng.integers(0, 2, size=shape).astype(bool)
    return rng.standard_normal(shape).astype(dtype)


def _in_axes(entry):
    n = len(entry["inputs"])
    in_axes = entry.get("in_axes", [0] * n)
    if isinstance(in_axes, int) or in_axes is None:
        in_axes = [in_axes] * n
    assert len(in_axes) == n, "in_axes must have one entry per input"
    return list(in_axes)


def _batched_args(module, entry, seed=0):
    """Per input: (array with batch on axis 0 or unbatched, array laid out for vmap's in_axes)."""
    rng = np.random.default_rng(seed)
    batch = entry.get("batch", DEFAULT_BATCH)
    manual_args, vmap_args = [], []
    for spec, axis in zip(entry["inputs"].values(), _in_axes(entry)):
        assert isinstance(spec, str), "only simple string specs and @objects are handled here"
        if spec.startswith("@"):   # an object of the module (an init function is called)
            assert axis is None, "objects are shared parameters here"
            obj = getattr(module, spec[1:])
            obj = obj() if callable(obj) else obj
            manual_args.append(obj)
            vmap_args.append(obj)
        elif axis is None:
            arr = _random(rng, spec)
            manual_args.append(arr)
            vmap_args.append(arr)
        else:
            arr = _random(rng, spec, lead=(batch,))
            manual_args.append(arr)
            vmap_args.append(np.moveaxis(arr, 0, axis))
    return manual_args, vmap_args


def _fn(module, fn_name):
    entry = module.VMAPX_EXAMPLES[fn_name]
    fn = getattr(module, fn_name)
    return functools.partial(fn, **entry["static"]) if entry.get("static") else fn


def test_examples_found():
    assert {"neuron", "dot", "convolve", "logistic", "failing", "autovmap"} <= set(MODULES)
    for name, module in MODULES.items():
        assert isinstance(getattr(module, "VMAPX_EXAMPLES", None), dict), name
        assert module.__doc__ and "seed" in module.__doc__, f"{name} lacks a seed docstring"


@pytest.mark.parametrize("mod_name,fn_name", ENTRIES)
def test_entry_well_formed(mod_name, fn_name):
    module = MODULES[mod_name]
    entry = module.VMAPX_EXAMPLES[fn_name]
    assert set(entry) <= KNOWN_KEYS, set(entry) - KNOWN_KEYS
    fn = getattr(module, fn_name, None)
    assert callable(fn), f"{mod_name}.{fn_name} is not a callable in the module"
    params = inspect.signature(fn).parameters
    assert entry["inputs"], "no inputs declared"
    for name, spec in entry["inputs"].items():
        assert name in params, f"{name!r} is not a parameter of {fn_name}"
        if spec.startswith("@"):
            assert hasattr(module, spec[1:]), f"{spec!r} is not in the module"
        else:
            _parse(spec)
    for name in entry.get("static", {}):
        assert name in params, f"static {name!r} is not a parameter of {fn_name}"
    _in_axes(entry)
    if "batch" in entry:
        assert isinstance(entry["batch"], int) and entry["batch"] > 0
    if "manual" in entry:
        assert callable(getattr(module, entry["manual"], None)), entry["manual"]


@pytest.mark.parametrize(
    "mod_name,fn_name", [e for e in ENTRIES if e[0] not in FAILING_MODULES]
)
def test_vmap_matches_loop_and_manual(mod_name, fn_name):
    module = MODULES[mod_name]
    entry = module.VMAPX_EXAMPLES[fn_name]
    fn = _fn(module, fn_name)
    in_axes = _in_axes(entry)
    batch = entry.get("batch", DEFAULT_BATCH)
    manual_args, vmap_args = _batched_args(module, entry)

    # each under jax.jit: one compile each, where eager dispatch compiles every operation
    got = jax.jit(jax.vmap(fn, in_axes=tuple(in_axes)))(*vmap_args)
    assert all(leaf.shape[0] == batch for leaf in jax.tree.leaves(got))

    # vmap agrees with a Python loop over the examples (outputs may be trees)
    loop = jax.jit(lambda *args: jax.tree.map(lambda *xs: jnp.stack(xs), *[
        fn(*[a if ax is None else a[i] for a, ax in zip(args, in_axes)])
        for i in range(batch)
    ]))(*manual_args)
    _assert_trees_close(got, loop)

    if "manual" in entry:
        manual = getattr(module, entry["manual"])
        if entry.get("static"):
            manual = functools.partial(manual, **entry["static"])
        _assert_trees_close(got, jax.jit(manual)(*manual_args))


def _assert_trees_close(got, want):
    assert jax.tree.structure(got) == jax.tree.structure(want)
    for g, w in zip(jax.tree.leaves(got), jax.tree.leaves(want)):
        assert g.shape == w.shape, (g.shape, w.shape)
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize(
    "mod_name,fn_name", [e for e in ENTRIES if e[0] in FAILING_MODULES]
)
def test_failing_examples_raise_under_vmap(mod_name, fn_name):
    module = MODULES[mod_name]
    entry = module.VMAPX_EXAMPLES[fn_name]
    fn = _fn(module, fn_name)
    manual_args, vmap_args = _batched_args(module, entry)
    # one example on its own works ...
    fn(*[a[0].item() if np.ndim(a) == 1 else a[0] for a in manual_args])
    # ... but the batch does not
    # (TypeError: data-dependent shape; TracerBoolConversionError, a TypeError: Python if)
    with pytest.raises(TypeError):
        jax.vmap(fn, in_axes=tuple(_in_axes(entry)))(*vmap_args)


def test_logistic_per_example_grads_match_seed():
    lg = MODULES["logistic"]
    rng = np.random.default_rng(1)
    weights = rng.standard_normal(2).astype(np.float32)
    X = rng.standard_normal((3, 2)).astype(np.float32)
    y = rng.integers(0, 2, size=3).astype(np.float32)
    # the seed's way: vmap(grad(loss), in_axes=(None, 0, 0)) with its batch loss
    seed_grads = jax.jit(jax.vmap(jax.grad(lg.loss), in_axes=(None, 0, 0)))(weights, X, y)
    assert seed_grads.shape == (3, 2)
    np.testing.assert_allclose(seed_grads, lg.batched_grad(weights, X, y), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(
        jnp.sum(seed_grads, axis=0), jax.grad(lg.loss)(weights, X, y), rtol=1e-5, atol=1e-5
    )
