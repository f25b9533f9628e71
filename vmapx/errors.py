"""The errors vmapx raises: each carries a user-facing message and, where one exists, a hint."""

from __future__ import annotations


class VmapxError(Exception):
    """Base class. `message` says what went wrong; `hint` says what to type instead."""

    exit_code = 2

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.hint = hint


class SpecError(VmapxError):
    """A shape, dtype, axes or static-value spec that does not parse."""


class TargetError(VmapxError):
    """A function spec that does not resolve to a callable (unknown name, bad file, import failure)."""


class UsageError(VmapxError):
    """Options that do not fit together, or arguments that do not fit the function."""


class VmapFailure(VmapxError):
    """The user's vmap fails for these inputs: a finding, not a usage mistake (exit 1).

    `kind` is one of KINDS, `detail` the finer kind (or the kind itself); `jax_message` keeps JAX's own text when JAX raised; `short` is
    a few words for a table cell.
    """

    exit_code = 1
    # The kinds of the JSON contract (`error.kind`); finer kinds (`error.detail`) map onto them.
    KINDS = ("inconsistent_sizes", "axis_out_of_range", "no_mapped_axis", "in_axes_length",
             "example_shape", "data_dependent", "other")
    DETAILS = {"pytree_prefix": "in_axes_length", "in_axes_dict": "in_axes_length",
               "kwargs_mapped": "other", "rank_too_large": "axis_out_of_range",
               "tree_unbatched": "inconsistent_sizes"}

    def __init__(self, kind: str, message: str, hint: str | None = None,
                 jax_message: str | None = None, short: str | None = None):
        assert kind in self.KINDS or kind in self.DETAILS, kind
        super().__init__(message, hint)
        self.kind = self.DETAILS.get(kind, kind)
        self.detail = kind
        self.jax_message = jax_message
        self.short = short or message
        self.traceback: str | None = None  # where the exception JAX or the user raised came from
