"""Parsers: shapes, dtypes, axes, statics; good and bad input."""

import pytest

from vmapx.errors import SpecError
from vmapx._text.specs import ShapeSpec, format_shape, parse_axes, parse_shape, parse_static


@pytest.mark.parametrize("text, shape, dtype", [
    ("2,3,5", (2, 3, 5), None),
    (" 2, 3 ,5 ", (2, 3, 5), None),
    ("f32[2,3,5]", (2, 3, 5), "float32"),
    ("float32[2,3,5]", (2, 3, 5), "float32"),
    ("i32[]", (), "int32"),
    ("f32[]", (), "float32"),
    ("scalar", (), None),
    ("[4]", (4,), None),
    ("(4,5)", (4, 5), None),
    ("bf16[8]", (8,), "bfloat16"),
    ("u8[1,2]", (1, 2), "uint8"),
    ("uint64[3]", (3,), "uint64"),
    ("c128[2]", (2,), "complex128"),
    ("bool[3]", (3,), "bool"),
    ("F32[2]", (2,), "float32"),
    ("0", (0,), None),
])
def test_parse_shape_good(text, shape, dtype):
    assert parse_shape(text) == ShapeSpec(shape, dtype)


@pytest.mark.parametrize("text, needle", [
    ("", "empty shape spec"),
    ("f33[3]", "unknown dtype 'f33'"),
    ("3,x", "dim 'x' is not a non-negative integer"),
    ("2x3", "separate dims with commas: 2,3"),
    ("f32", "has a dtype but no dims"),
    ("-1,3", "not a non-negative integer"),
    ("3,,4", "cannot read shape spec"),
    ("f32[3", "cannot read shape spec"),
    ("hello", "cannot read shape spec"),
    ("99999999999999", "absurdly large"),
])
def test_parse_shape_bad(text, needle):
    with pytest.raises(SpecError) as info:
        parse_shape(text)
    assert needle in info.value.message + (info.value.hint or "")
    assert info.value.hint  # every spec error says what to type instead


def test_unknown_dtype_suggests_close_name():
    with pytest.raises(SpecError) as info:
        parse_shape("flaot32[3]")
    assert "float32" in info.value.hint


@pytest.mark.parametrize("text, value", [
    ("0", 0), ("1", 1), ("-1", -1), ("None", None), ("none", None), ("null", None),
    ("0,None", (0, None)), ("0, None, -2", (0, None, -2)), ("(0,)", (0,)), ("[1, 0]", (1, 0)),
    ("(None,)", (None,)),
])
def test_parse_axes_good(text, value):
    assert parse_axes(text) == value


@pytest.mark.parametrize("text", ["", "0,", "a", "0,,1", "1.5", "(0,x)"])
def test_parse_axes_bad(text):
    with pytest.raises(SpecError) as info:
        parse_axes(text)
    assert info.value.hint


@pytest.mark.parametrize("text, pair", [
    ("axis=0", ("axis", 0)), ("axis=(0, 1)", ("axis", (0, 1))), ("keepdims=True", ("keepdims", True)),
    ("mode='same'", ("mode", "same")), ("x=-1.5", ("x", -1.5)),
    ("axis=None", ("axis", None)),
])
def test_parse_static_good(text, pair):
    assert parse_static(text) == pair


@pytest.mark.parametrize("text", ["axis", "=0", "axis=__import__('os')", "1x=2", "a=[1,"])
def test_parse_static_bad(text):
    with pytest.raises(SpecError) as info:
        parse_static(text)
    assert "NAME=VALUE" in info.value.hint or "literal" in info.value.message


def test_parse_static_bare_word_is_refused_with_how_to_quote():
    # `--static axis=foo` used to become the string 'foo' and fail deep in JAX
    with pytest.raises(SpecError) as info:
        parse_static("axis=foo")
    assert "'foo' is not a Python literal" in info.value.message
    assert "--static axis=\"'foo'\"" in info.value.hint
    assert parse_static("axis='foo'") == ("axis", "foo")  # the hint, as the shell passes it


def test_format_shape_uses_jax_notation():
    assert format_shape((2, 3), "float32") == "f32[2,3]"
    assert format_shape((), "int32") == "i32[]"
    assert str(ShapeSpec((4,), None)) == "f32[4]"
