"""Text specs to values: shapes (`f32[2,3]`), axes (`0,None`), statics (`axis=0`). No `eval`, ever.

This module imports neither jax nor numpy, so parsing costs nothing at start-up; function specs
(`jnp.add`, `pkg.mod:fn`, `path/file.py:fn`) are resolved in `target.py`.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass

from vmapx.errors import SpecError

# JAX's short names (as in `f32[3,4]`) and the long names, mapped to the canonical long name.
_SHORT = {
    "bool": "bool", "i8": "int8", "i16": "int16", "i32": "int32", "i64": "int64",
    "u8": "uint8", "u16": "uint16", "u32": "uint32", "u64": "uint64",
    "bf16": "bfloat16", "f16": "float16", "f32": "float32", "f64": "float64",
    "c64": "complex64", "c128": "complex128",
}
DTYPES: dict[str, str] = {**_SHORT, **{long: long for long in _SHORT.values()}}
SHORT_NAME = {long: short for short, long in _SHORT.items()}
X64_DTYPES = frozenset({"int64", "uint64", "float64", "complex128"})
DEFAULT_DTYPE = "float32"
# The largest dim or batch size accepted: beyond it nothing could be allocated, and XLA's
# lowering rejects it (an absurd size is a typo, reported as one).
MAX_DIM = 2**40

_SHAPE_RE = re.compile(r"^\s*(?:(?P<dtype>[A-Za-z][A-Za-z0-9]*)\s*)?\[(?P<dims>[^\]]*)\]\s*$")
_DIMS_RE = re.compile(r"^\s*\d+(\s*,\s*\d+)*\s*,?\s*$")

SHAPE_SYNTAX = "2,3,5 | f32[2,3,5] | float32[2,3,5] | f32[] (scalar) | scalar"


@dataclass(frozen=True)
class ShapeSpec:
    """A parsed shape spec: dims and the dtype's canonical name (None when not given)."""

    shape: tuple[int, ...]
    dtype: str | None = None

    def __post_init__(self) -> None:
        # every path that builds a spec (text, JSON pytrees, the Python API) gets this check
        bad = [d for d in self.shape if not 0 <= d <= MAX_DIM]
        if bad:
            raise SpecError(f"dim {bad[0]} in {list(self.shape)} is "
                            f"{'negative' if bad[0] < 0 else 'absurdly large'}",
                            "dims are whole numbers from 0 to 2**40")

    def __str__(self) -> str:
        return format_shape(self.shape, self.dtype or DEFAULT_DTYPE)


def short_dtype(dtype: object) -> str:
    """JAX's short name for a dtype (`float32` → `f32`); unknown names pass through."""
    name = getattr(dtype, "name", None) or str(dtype)
    return SHORT_NAME.get(name, name)


def format_shape(shape, dtype: object | None = None) -> str:
    """`f32[2,3]` in JAX's notation; without a dtype, `[2,3]`."""
    dims = ",".join(str(d) for d in shape)
    return f"{short_dtype(dtype) if dtype is not None else ''}[{dims}]"


def parse_dtype(text: str) -> str:
    """`f32` or `float32` → `float32`."""
    name = text.strip().lower()
    if name in DTYPES:
        return DTYPES[name]
    import difflib

    close = difflib.get_close_matches(name, list(DTYPES), n=3)
    hint = f"did you mean {' or '.join(close)}?" if close else (
        "known dtypes: " + ", ".join(_SHORT))
    raise SpecError(f"unknown dtype {text.strip()!r}", hint)


def parse_shape(text: str) -> ShapeSpec:
    """Parse one shape spec: `2,3,5`, `f32[2,3,5]`, `float32[2,3,5]`, `f32[]`, `scalar`, `[]`."""
    raw = text.strip()
    if not raw:
        raise SpecError("empty shape spec", f"write a shape like {SHAPE_SYNTAX}")
    if raw.lower() == "scalar":
        return ShapeSpec((), None)
    m = _SHAPE_RE.match(raw)
    if m:
        dtype = parse_dtype(m["dtype"]) if m["dtype"] else None
        return ShapeSpec(_parse_dims(m["dims"], raw), dtype)
    if raw.lower() in DTYPES:
        raise SpecError(f"shape spec {raw!r} has a dtype but no dims",
                        f"write {raw}[2,3] for a 2x3 array or {raw}[] for a scalar")
    if re.fullmatch(r"[\d\s,()x×-]+", raw):
        return ShapeSpec(_parse_dims(raw.strip("()"), raw), None)
    raise SpecError(f"cannot read shape spec {raw!r}", f"write a shape like {SHAPE_SYNTAX}")


def _parse_dims(dims: str, raw: str) -> tuple[int, ...]:
    if not dims.strip():
        return ()
    if re.fullmatch(r"\s*\d+(\s*[x×]\s*\d+)+\s*", dims):
        raise SpecError(f"cannot read shape spec {raw!r}",
                        f"separate dims with commas: {re.sub('[x×]', ',', raw)}")
    if not _DIMS_RE.match(dims):
        bad = [d for d in dims.split(",") if d.strip() and not d.strip().isdigit()]
        why = f"dim {bad[0].strip()!r} is not a non-negative integer" if bad else "empty dim"
        raise SpecError(f"cannot read shape spec {raw!r}: {why}",
                        f"write a shape like {SHAPE_SYNTAX}")
    out = tuple(int(d) for d in dims.split(",") if d.strip())
    if any(d > MAX_DIM for d in out):
        raise SpecError(f"dim in {raw!r} is absurdly large", "keep each dim below 2**40")
    return out


_NONE_WORDS = {"none", "null", "n", "-"}


def check_size(value: int | None, option: str) -> None:
    """Refuse a batch size (or axis size) that is not a whole number from 1 to 2**40."""
    if value is not None and not 1 <= value <= MAX_DIM:
        why = "absurdly large" if value > MAX_DIM else "not positive"
        raise SpecError(f"{option} {value} is {why}",
                        f"give {option} a whole number from 1 to 2**40, e.g. {option} 8")


def parse_axis(text: str, what: str = "axis") -> int | None:
    """One axis entry: an int (negatives allowed) or None."""
    word = text.strip()
    if word.lower() in _NONE_WORDS:
        return None
    try:
        return int(word)
    except ValueError:
        raise SpecError(f"cannot read {what} entry {word!r}",
                        "each entry is an integer axis (negatives count from the end) or None"
                        ) from None


def parse_axes(text: str, what: str = "in_axes") -> int | None | tuple[int | None, ...]:
    """`0,None` → (0, None); `1` → 1 (every argument); `None` → None; `(0,)`/`[0]` → (0,)."""
    raw = text.strip()
    if not raw:
        raise SpecError(f"empty {what}", f"write e.g. --{what.replace('_', '-')} 0,None")
    bracketed = raw[0] in "([" and raw[-1] in ")]"
    body = raw[1:-1] if bracketed else raw
    parts = [p for p in body.split(",")]
    if bracketed and parts and not parts[-1].strip():
        parts = parts[:-1]  # a trailing comma, as in (0,)
    if any(not p.strip() for p in parts):
        raise SpecError(f"cannot read {what} {raw!r}: an entry is empty",
                        f"write one entry per argument, e.g. --{what.replace('_', '-')} 0,None")
    values = tuple(parse_axis(p, what) for p in parts)
    if len(values) == 1 and not bracketed and "," not in body:
        return values[0]
    return values


def parse_static(text: str) -> tuple[str, object]:
    """`axis=0` → ("axis", 0). The value is a Python literal (read by `ast.literal_eval`)."""
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("-")
    if not sep or not name.isidentifier():
        raise SpecError(f"cannot read --static {text!r}",
                        "write NAME=VALUE with a Python literal, e.g. --static axis=0")
    value = value.strip()
    try:
        return name, ast.literal_eval(value)
    except (ValueError, SyntaxError):
        if value.isidentifier():  # a bare word: a string whose quotes the shell stripped?
            raise SpecError(f"--static {name}: {value!r} is not a Python literal (a string "
                            "needs quotes, and the shell removes one pair)",
                            f"quote it twice: --static {name}=\"'{value}'\" (or True, False, "
                            "None, a number, a tuple)") from None
        raise SpecError(f"--static {name}: {value!r} is not a Python literal",
                        f"write e.g. --static {name}=0, {name}=(0,1) or {name}=\"'same'\"") from None
