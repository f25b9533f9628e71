"""vmapx: a vmap shape explorer and jaxpr inspector for JAX.

    import vmapx
    vmapx.shape(jnp.add, (2, 3, 5), None, in_axes=(0, None))   # a ShapeReport

The report renders as the CLI's tables in Jupyter/IPython and has `.to_json()`.
"""

from vmapx.errors import SpecError, TargetError, UsageError, VmapFailure, VmapxError

__all__ = ["shape", "VmapxError", "SpecError", "TargetError", "UsageError", "VmapFailure"]


def __getattr__(name: str):
    # Lazy: `import vmapx` (and `vmapx --help`) must not import jax.
    if name == "shape":
        from vmapx._analysis.shape import shape

        return shape
    raise AttributeError(f"module 'vmapx' has no attribute {name!r}")
