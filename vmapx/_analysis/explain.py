"""Turn an exception JAX raised while tracing into a `VmapFailure` in the user's terms.

JAX's messages are recognised by exception class (the public `jax.errors`) and by stable
prefixes, never by exact text; JAX's own message is kept as `jax_message`.
"""

from __future__ import annotations

import re
import traceback

from vmapx._problem.surface import Surface
from vmapx.errors import VmapFailure
from vmapx._text.objects import object_for, ref_to
from vmapx._text.specs import format_shape
from vmapx._text.target import VMAPX_DIR, is_user_frame, user_location

# Stable prefixes of JAX messages that mean "a traced value was needed as a concrete one".
_DATA_DEPENDENT_PREFIXES = (
    "Shapes must be 1D sequences of concrete values",
    "Non-hashable static arguments",
    "Array boolean indices must be concrete",
    "Abstract tracer value encountered",
)
# out_axes None for a batched output: older JAX releases word it "vmap has mapped output but
# out_axes is None", newer ones "at vmap out_axes[PATH], got axis spec None but output was
# batched on axis N".
_UNMAPPED_OUTPUT = re.compile(r"(?:vmap has mapped output but out_axes is None|"
                              r"at vmap out_axes(\S*), got axis spec None but output was batched)")
_FIXES = {
    "control_flow": "Python `if`/`while` on a traced value: use jnp.where(cond, a, b) or "
                    "lax.cond for branches, lax.while_loop/fori_loop for loops, or pass the "
                    "value with {static} if it is the same for every example",
    "shape": "the value decides a shape, and every example must have the same shapes under "
             "vmap: pass it with {static} (the same for every example), or use a "
             "fixed size (jnp.nonzero(..., size=N), a mask with jnp.where instead of slicing)",
    "index": "boolean-mask indexing gives a data-dependent shape: use jnp.where(mask, x, 0) "
             "or the size= argument (jnp.nonzero(mask, size=N))",
}


def _more(surface: Surface, what: str) -> str:
    """Where to see more: `--debug` on the command line, `error.jax_message` in Python."""
    return f"run with --debug to see {what}" if surface.cli else \
        "the report's error.jax_message holds JAX's full message"


def first_line(text: str, limit: int = 160) -> str:
    line = text.strip().splitlines()[0] if text.strip() else ""
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _raised_by_user(exc: BaseException) -> bool:
    """True when the exception was raised by the user's own code, not inside JAX."""
    frames = traceback.extract_tb(exc.__traceback__)
    return bool(frames) and is_user_frame(frames[-1].filename)


def _data_dependent_kind(exc: BaseException) -> str | None:
    import jax

    text = str(exc)
    if isinstance(exc, getattr(jax.errors, "NonConcreteBooleanIndexError", ())) or \
            text.startswith("Array boolean indices must be concrete"):
        return "index"
    if isinstance(exc, getattr(jax.errors, "TracerIntegerConversionError", ())) or \
            text.startswith("Shapes must be 1D sequences of concrete values"):
        return "shape"
    if isinstance(exc, jax.errors.ConcretizationTypeError) or \
            text.startswith(_DATA_DEPENDENT_PREFIXES):
        return "control_flow"
    return None


def user_traceback(exc: BaseException) -> str:
    """The exception's traceback for --debug: the chain JAX raised (its own message last),
    from the first frame outside vmapx down to where it was raised, the user's frames among
    them (JAX's filtering has removed its internals). vmapx's frames above are left out."""
    te = traceback.TracebackException.from_exception(exc)
    for t in _chain(te):
        frames = list(t.stack)
        first = next((i for i, f in enumerate(frames) if not f.filename.startswith(VMAPX_DIR)),
                     0)
        t.stack = traceback.StackSummary.from_list(frames[first:])
    return "".join(te.format()).rstrip()


def _chain(te: traceback.TracebackException) -> list[traceback.TracebackException]:
    out, seen = [], set()
    while te is not None and id(te) not in seen:
        seen.add(id(te))
        out.append(te)
        te = te.__cause__ or (None if te.__suppress_context__ else te.__context__)
    return out


def classify(exc: BaseException, stage: str, fn_name: str, examples: list[tuple[str, tuple, str]],
             surface: Surface = Surface()) -> VmapFailure:
    """Explain `exc` (see `_classify`), keeping its traceback for --debug."""
    failure = _classify(exc, stage, fn_name, examples, surface)
    failure.traceback = user_traceback(exc)
    return failure


def _classify(exc: BaseException, stage: str, fn_name: str, examples: list[tuple[str, tuple, str]],
              surface: Surface) -> VmapFailure:
    """Explain `exc`, raised tracing `fn_name` on its per-example inputs (`stage="example"`) or
    under vmap (`stage="vmap"`). `examples` is (name, per-example shape, dtype) per argument.

    Callers build everything vmapx needs before the `try` whose exceptions come here (JAX's
    traceback filtering hides which frame raised), so what arrives is the user's or JAX's.
    """
    jax_message = f"{type(exc).__name__}: {exc}"
    where = user_location(exc)
    at = f" (at {where})" if where else ""
    given = ", ".join(f"{n}: {format_shape(s, d)}" for n, s, d in examples)
    dd = _data_dependent_kind(exc)
    if dd is not None:
        what = {"control_flow": "uses a traced value as a Python bool or number",
                "shape": "makes a shape from a traced value (a data-dependent shape)",
                "index": "indexes with a boolean mask (a data-dependent shape)"}[dd]
        return VmapFailure("data_dependent", f"{fn_name} {what}{at}",
                           _FIXES[dd].format(static=surface.static("NAME")),
                           jax_message=jax_message, short=f"data-dependent ({dd.replace('_', ' ')})")
    text = str(exc)
    tree = _flat_for_tree(exc, text, where, examples, fn_name, surface)
    if tree is not None:
        return tree
    if _raised_by_user(exc):
        return VmapFailure("other", f"{fn_name} raised {type(exc).__name__}: {first_line(text)}"
                           f"{at}", "this is your function's own error, raised on the "
                           f"per-example inputs ({given}); {_more(surface, 'the traceback')}",
                           jax_message=jax_message, short=f"raised {type(exc).__name__}")
    if _bad_output(exc, text):
        return VmapFailure(
            "output_type",
            f"{fn_name} returns a value that is not an array: {first_line(text)}",
            "the inputs are fine: vmap needs every output to be an array, a number or a pytree "
            "of them; return jnp.asarray(…) of it, or leave the non-array (a string, an object) "
            "out of what the function returns", jax_message=jax_message,
            short="an output is not an array")
    if stage == "example" and isinstance(exc, (TypeError, ValueError, IndexError)):
        return VmapFailure(
            "example_shape",
            f"{fn_name} cannot take the per-example shapes it is given ({given}): "
            f"{first_line(text)}{at}",
            "map a different axis so each example has the shape the function expects (see the "
            "suggestions), or fix the shapes",
            jax_message=jax_message, short="per-example shapes rejected")
    unmapped = _UNMAPPED_OUTPUT.match(text)
    if unmapped is not None:
        which = f"the output {unmapped.group(1)}" if unmapped.group(1) else "an output"
        return VmapFailure(
            "other", f"{which} of {fn_name} depends on a mapped input, so out_axes None "
            "(unmapped) cannot hold it", "give that output an integer out_axes, e.g. "
            f"{surface.set('out_axes', '0')}, or keep None for outputs that do not depend on "
            "a mapped input", jax_message=jax_message, short="mapped output with out_axes None")
    return VmapFailure("other", f"vmap of {fn_name} raised {type(exc).__name__}: "
                       f"{first_line(text)}{at}",
                       _more(surface, "JAX's full message and traceback"),
                       jax_message=jax_message, short=f"{type(exc).__name__}: {first_line(text, 40)}")


def _bad_output(exc: BaseException, text: str) -> bool:
    """JAX's TypeError for a traced function's output that is no JAX type (a string, an
    object): "… returned a value of type <class 'str'> …, which is not a valid JAX type", or on
    JAX 0.4.30 "Value 'x' with type <class 'str'> is not a valid JAX type"."""
    return isinstance(exc, TypeError) and "not a valid JAX type" in text and (
        "returned a value of type" in text or text.startswith("Value "))


def _flat_for_tree(exc: BaseException, text: str, where: str | None,
                   examples: list[tuple[str, tuple, str]], fn_name: str, surface: Surface
                   ) -> VmapFailure | None:
    """The function indexes an argument like a dict (`params["W1"]`) or reads an attribute
    (`mlp.hidden`) of it, but it was given one array: that argument is a pytree."""
    keyed = isinstance(exc, TypeError) and "string indexing" in text
    attr = isinstance(exc, AttributeError) and "Tracer" in text
    if not (keyed or attr):
        return None
    line = where.rpartition(": ")[2] if where else ""
    names = [n for n, _, _ in examples if "[" not in n and "." not in n]
    used = [n for n in names if any(f"{n}{c}" in line for c in ('["', "['", "."))]
    name = used[0] if used else (names[0] if names else "the argument")
    shape = next((format_shape(s, d) for n, s, d in examples if n == name), "one array")
    how = "like a dict" if keyed else "by attribute"
    at = f" (at {where})" if where else ""
    tree = surface.arg(name, "'{\"W\": \"f32[16,5]\", \"b\": \"f32[16]\"}'") \
        if surface.cli else f"{name}={{'W': (16, 5), 'b': (16,)}}"
    obj = surface.arg(name, _object_for(fn_name, name, where) or "@module:init_params")
    return VmapFailure(
        "example_shape",
        f"{fn_name} reads {name} {how}{at}, but {name} was given as one array ({shape}): "
        f"{name} is a pytree (a dict, NamedTuple or dataclass of arrays)",
        f"give {name} as a tree: a JSON tree of shapes ({tree}), an object in your code "
        f"({obj}), or declare it in the module's VMAPX_EXAMPLES",
        jax_message=f"{type(exc).__name__}: {exc}", short=f"{name} is a pytree, given an array")


def _object_for(fn_name: str, name: str, where: str | None) -> str | None:
    """`@module:NAME` for `name` in the module of the user's failing line, if it has one."""
    import sys

    path = where.partition(":")[0] if where else ""
    module = next((m for m in list(sys.modules.values())
                   if path and getattr(m, "__file__", None) == path), None)
    found = object_for(module, name, any_init=True)
    return ref_to(module, fn_name, found) if module is not None and found else None
