"""JSON pytree specs: argument shapes (`{"W": "f32[3,5]", "b": [3]}`), pytree in_axes prefixes
(`{"W": null, "b": 0},0`) and base ranks (`s=0,v=1,m=2`). No jax import here.

A pytree here is nested dicts (flattened in sorted-key order, as JAX does), lists and tuples
(each keeps its type), and `Node`s: any other container JAX knows (a NamedTuple, a registered
dataclass, …), read from the user's objects by `objects.py`; its leaves are `ShapeSpec`s (for shapes) or int/None (for axes and ranks). A JSON list of ints is a shape,
not a list of leaves; a string is a shape spec.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Iterator

from vmapx.errors import SpecError
from vmapx._text.specs import ShapeSpec, parse_axes, parse_axis, parse_shape, shown

# How deep a JSON pytree may nest: real parameter trees are a few levels deep, and the
# standard json module (and every walk over the tree) recurses once per level.
MAX_DEPTH = 100


@dataclass(frozen=True, eq=False)
class Node:
    """One level of a container JSON has no word for (a NamedTuple, a registered dataclass, an
    OrderedDict, …), as JAX flattens it: the container's type name, each child's key-path step
    (`.W`, `[0]`, `['k']`), the children (pytrees here) and `rebuild`, JAX's treedef of that one
    level (opaque here: only its `.unflatten(children)` is called), so the traced call gets the
    very container type the user's function expects."""

    kind: str
    keys: tuple[str, ...]
    children: tuple[Any, ...]
    rebuild: Any


def is_tree(value: Any) -> bool:
    """True for a dict, list, tuple or `Node` (a pytree with structure), False for a leaf."""
    return isinstance(value, (dict, list, tuple, Node))


def looks_like_json(text: str) -> bool:
    """`{…}` or `[` followed by `"`, `{` or `[`: a JSON pytree (`[4]` stays a plain shape)."""
    raw = text.strip()
    return raw.startswith("{") or (raw.startswith("[") and raw[1:].lstrip()[:1] in ('"', "{", "["))


def parse_tree_spec(text: str) -> ShapeSpec | dict | list:
    """A shape spec, or a JSON object/array whose leaves are shape specs (strings or int lists)."""
    if not looks_like_json(text):
        return parse_shape(text)
    data = load_json(text, "pytree spec", 'write JSON, e.g. \'{"W": "f32[3,5]", "b": [3]}\'')
    return _to_specs(data, "")


def load_json(text: str, what: str, hint: str) -> Any:
    """`json.loads`, with every way it can fail (bad syntax, nesting past `MAX_DEPTH`, a number
    too long for int()) a `SpecError` naming `what`."""
    depth = _depth(text)
    if depth > MAX_DEPTH:
        raise SpecError(f"cannot read {what} {shown(text.strip())}: it nests {depth} levels "
                        f"deep; vmapx reads pytrees up to {MAX_DEPTH} levels", hint)
    try:
        return json.loads(text)
    except json.JSONDecodeError as err:
        raise SpecError(f"cannot read {what} {shown(text.strip())}: {err.msg} at column "
                        f"{err.colno}", hint) from None
    except (ValueError, RecursionError):  # a 5,000-digit number: int() refuses it
        raise SpecError(f"cannot read {what} {shown(text.strip())}: a number in it has "
                        "thousands of digits", hint) from None


def _depth(text: str) -> int:
    """The deepest nesting of brackets and braces outside JSON strings."""
    deepest = depth = 0
    quoted = escaped = False
    for ch in text:
        if quoted:
            escaped, quoted = (False, quoted) if escaped else (ch == "\\", ch != '"')
        elif ch == '"':
            quoted = True
        elif ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth -= 1
    return deepest


def _to_specs(data: Any, path: str) -> ShapeSpec | dict | list:
    if isinstance(data, str):
        try:
            return parse_shape(data)
        except SpecError as err:
            raise SpecError(f"at {path or 'the top'}: {err.message}", err.hint) from None
    if isinstance(data, list) and all(isinstance(d, int) and not isinstance(d, bool) for d in data):
        if any(d < 0 for d in data):
            raise SpecError(f"at {path or 'the top'}: negative dim in {data}", "dims are >= 0")
        return ShapeSpec(tuple(data))
    if isinstance(data, list):
        return [_to_specs(v, f"{path}[{i}]") for i, v in enumerate(data)]
    if isinstance(data, dict):
        return {k: _to_specs(v, f"{path}['{k}']") for k, v in data.items()}
    raise SpecError(f"at {path or 'the top'}: {json.dumps(data)} is not a shape",
                    'each leaf is a shape spec string ("f32[3,5]") or a list of ints ([3, 5])')


def leaves(tree: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """(key path, leaf) in JAX's flattening order: dict keys sorted, lists in order."""
    if isinstance(tree, dict):
        for k in sorted(tree):
            yield from leaves(tree[k], f"{path}['{k}']")
    elif isinstance(tree, (list, tuple)):
        for i, v in enumerate(tree):
            yield from leaves(v, f"{path}[{i}]")
    elif isinstance(tree, Node):
        for key, v in zip(tree.keys, tree.children):
            yield from leaves(v, path + key)
    else:
        yield path, tree


def unflatten_like(tree: Any, values: Iterator[Any]) -> Any:
    """`tree` with its leaves replaced, in `leaves` order, by the next values."""
    if isinstance(tree, dict):
        return {k: unflatten_like(tree[k], values) for k in sorted(tree)}
    if isinstance(tree, (list, tuple)):
        return type(tree)(unflatten_like(v, values) for v in tree)
    if isinstance(tree, Node):
        return tree.rebuild.unflatten([unflatten_like(v, values) for v in tree.children])
    return next(values)


def split_top(text: str) -> list[str]:
    """Split on commas outside brackets, braces and JSON strings."""
    parts, depth, start, quoted, escaped = [], 0, 0, False, False
    for i, ch in enumerate(text):
        if quoted:
            if escaped:
                escaped = False
            elif ch == "\\":
                escaped = True
            elif ch == '"':
                quoted = False
            continue
        if ch == '"':
            quoted = True
        elif ch in "[{(":
            depth += 1
        elif ch in "]})":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def _wraps_whole(raw: str) -> bool:
    """`[ … ]` or `( … )` whose opening bracket closes at the very end."""
    if not raw or raw[0] not in "[(" or raw[-1] not in "])":
        return False
    return _closes_at_end(raw)


def _closes_at_end(raw: str) -> bool:
    depth, quoted = 0, False
    for i, ch in enumerate(raw):
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "[{(":
            depth += 1
        elif not quoted and ch in "]})":
            depth -= 1
            if depth == 0:
                return i == len(raw) - 1
    return False


def parse_level_axes(text: str, what: str = "in_axes") -> Any:
    """in_axes/out_axes for one vmap: `0,None` as before, plus JSON pytree-prefix entries.

    `{"W": null, "b": 0},0` → ({"W": None, "b": 0}, 0); a lone `{…}` stays a dict (vmap rejects
    that, and the report says so); `[{…}]` is a tuple of one entry.
    """
    raw = text.strip()
    bracketed = _wraps_whole(raw)
    opens = raw.count("[") + raw.count("(")
    if "{" not in raw and '"' not in raw and (opens == 0 or (opens == 1 and bracketed)):
        return parse_axes(raw, what)
    body = raw[1:-1] if bracketed else raw
    parts = split_top(body)
    if bracketed and parts and not parts[-1].strip():
        parts = parts[:-1]
    if any(not p.strip() for p in parts):
        raise SpecError(f"cannot read {what} {raw!r}: an entry is empty",
                        "write one entry per argument, e.g. --in-axes '{\"W\": null, \"b\": 0},0'")
    values = tuple(_axes_entry(p, what) for p in parts)
    if len(values) == 1 and not bracketed and not raw.endswith(","):
        return values[0]
    return values


def _axes_entry(text: str, what: str) -> Any:
    raw = text.strip()
    if raw[:1] not in "{[":
        return parse_axis(raw, what)
    data = load_json(raw, f"{what} entry", 'write JSON with null for None, e.g. '
                     '{"W": null, "b": 0}')
    return _check_axes(data, raw, what)


def _check_axes(data: Any, raw: str, what: str) -> Any:
    if data is None or (isinstance(data, int) and not isinstance(data, bool)):
        return data
    if isinstance(data, list):
        return [_check_axes(v, raw, what) for v in data]
    if isinstance(data, dict):
        return {k: _check_axes(v, raw, what) for k, v in data.items()}
    raise SpecError(f"{what} entry {shown(raw)}: {shown(json.dumps(data), 20)} is not an axis",
                    "each leaf is an integer axis or null")


def parse_ranks(text: str) -> tuple[Any, ...] | dict[str, Any]:
    """`0,1,2` → (0, 1, 2); `s=0,v=1,m=2` → {"s": 0, …}. Entries may be None or JSON pytrees."""
    parts = [p for p in split_top(text.strip())]
    if not text.strip() or any(not p.strip() for p in parts):
        raise SpecError(f"cannot read --ranks {text!r}: an entry is empty",
                        "write one base rank per argument, e.g. --ranks 0,1,2 or s=0,v=1,m=2")
    named = ["=" in p.split("{")[0].split("[")[0] for p in parts]
    if any(named) and not all(named):
        raise SpecError(f"cannot read --ranks {text!r}: mixes positional and named entries",
                        "write either --ranks 0,1,2 or --ranks s=0,v=1,m=2")
    if all(named):
        out: dict[str, Any] = {}
        for p in parts:
            name, _, value = p.partition("=")
            if not name.strip().isidentifier():
                raise SpecError(f"--ranks: {name.strip()!r} is not an argument name",
                                "write NAME=RANK, e.g. --ranks s=0,v=1,m=2")
            out[name.strip()] = _rank(value)
        return out
    return tuple(_rank(p) for p in parts)


def _rank(text: str) -> Any:
    value = _axes_entry(text, "ranks")
    for _, leaf in leaves(value):
        if leaf is not None and leaf < 0:
            raise SpecError(f"--ranks: rank {leaf} is negative",
                            "a base rank is how many dims the function takes per example (>= 0)")
    return value


def axes_text(value: Any) -> str:
    """An in_axes value as a user would type it: `0,None`, `{"W": null, "b": 0},0`."""
    if isinstance(value, tuple):
        return ",".join(axes_text(v) for v in value) + ("," if len(value) == 1 else "")
    if is_tree(value):
        return json.dumps(value, separators=(", ", ": "))
    return "None" if value is None else str(value)
