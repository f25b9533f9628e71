"""vmapx: a vmap shape explorer and jaxpr inspector for JAX.

    import vmapx
    vmapx.shape(jnp.add, (2, 3, 5), None, in_axes=(0, None))   # a ShapeReport
    vmapx.jaxpr(model, (5,), batch=4)                           # a JaxprReport
    vmapx.bench(model, (5,), batch=[8, 64])                     # a BenchReport

Every report renders as the CLI's tables in Jupyter/IPython and with `print()`, and has
`.ok`, `.error`, `.notes`, `.levels` and `.to_json()`.
"""

# Kept equal to pyproject.toml's version (tests/test_docs_examples.py checks it).
__version__ = "0.1.0"

from vmapx.errors import SpecError as SpecError
from vmapx.errors import TargetError as TargetError
from vmapx.errors import UsageError as UsageError
from vmapx.errors import VmapFailure as VmapFailure
from vmapx.errors import VmapxError as VmapxError

__all__ = ["shape", "jaxpr", "bench", "JaxprSettings", "BenchSettings", "VmapxError",
           "SpecError", "TargetError", "UsageError", "VmapFailure", "__version__"]


# Each public function lives beside its analysis; imported on first use.
_PUBLIC = {"shape": "vmapx._analysis.shape", "jaxpr": "vmapx._jaxpr.api",
           "bench": "vmapx._bench.api", "JaxprSettings": "vmapx._jaxpr.settings",
           "BenchSettings": "vmapx._bench.settings"}


def __getattr__(name: str):
    # Lazy: `import vmapx` (and `vmapx --help`) must not import jax.
    if name in _PUBLIC:
        import importlib

        return getattr(importlib.import_module(_PUBLIC[name]), name)
    raise AttributeError(f"module 'vmapx' has no attribute {name!r}")


def load_ipython_extension(ipython) -> None:  # noqa: ANN001 - IPython's shell
    """`%load_ext vmapx`: registers the `%vmapx` line magic (imports IPython's side only now)."""
    from vmapx._notebook.magic import load

    load(ipython)
