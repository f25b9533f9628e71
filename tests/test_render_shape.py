"""The shape report's terminal rendering at fixed widths, colour off; and the Python API's forms."""

import io

import jax
import jax.numpy as jnp
import numpy as np
from rich.console import Console

import vmapx
from tests.conftest import with_add_names
from vmapx._render import to_text
from vmapx._render.common import BATCH_STYLE, shape_text
from vmapx._render.shape import render_shape


def render(report, width):
    console = Console(file=io.StringIO(), width=width, color_system=None)
    console.print(render_shape(report))
    return console.file.getvalue()


def test_tables_fit_80_columns_and_show_everything():
    report = vmapx.shape(jnp.add, (2, 3, 5), None, in_axes=(0, None), name="jnp.add")
    text = render(report, 80)
    assert all(len(line) <= 80 for line in text.splitlines())
    assert text.splitlines()[0] == "vmap(jnp.add) · in_axes (0,—) · out_axes (0) · batch size 2"
    for needle in ["inputs", "outputs", "where the batch axis lands for each out_axes",
                   with_add_names("{b} (from {a})"), "f32[3,5]", "0 ≡ -3 ◀", "1 ≡ -2", "2 ≡ -1", "[3,5,B]", "B is the batch axis (size 2)"]:
        assert needle in text, needle


def test_160_columns_does_not_wrap_the_notes():
    report = vmapx.shape(jnp.add, (2, 3, 5), None, in_axes=(0, None), name="jnp.add")
    text = render(report, 160)
    assert with_add_names("note: {b} had no shape: it borrows {a}'s per-example shape (f32[3,5]); "
                          "give {b}=… to set it") in text


def test_failure_panel_and_suggestions():
    report = vmapx.shape(jnp.add, (2, 3, 5), (2, 3, 5), in_axes=(0, 1), name="jnp.add")
    text = render(report, 100)
    assert "vmap fails: inconsistent_sizes" in text
    assert "in_axes that work (closest to yours first)" in text
    assert "JAX said" not in text  # only with --debug


def test_batch_axis_is_highlighted():
    text = shape_text((3, 2, 5), "f32", 1)
    assert text.plain == "f32[3,2,5]"
    assert [(text.plain[sp.start:sp.end], sp.style) for sp in text.spans] == [("2", BATCH_STYLE)]


def test_jupyter_and_ipython_reprs():
    report = vmapx.shape(jnp.add, (2, 3, 5), None, in_axes=(0, None))
    html = report._repr_html_()
    assert html.startswith("<pre") and "<html" not in html and "3,5]" in html
    assert "f32[2,3,5]" in to_text(report)


def test_api_takes_shapes_specs_structs_and_arrays():
    by_tuple = vmapx.shape(jnp.dot, (5, 100), (5, 100))
    by_spec = vmapx.shape(jnp.dot, "f32[5,100]", "5,100")
    by_struct = vmapx.shape(jnp.dot, jax.ShapeDtypeStruct((5, 100), jnp.float32),
                            jax.ShapeDtypeStruct((5, 100), jnp.float32))
    by_array = vmapx.shape(jnp.dot, np.ones((5, 100), np.float32), jnp.ones((5, 100)))
    by_name = vmapx.shape(jnp.dot, a=(5, 100), b=(5, 100))
    shapes = {r.outputs[0].shape for r in (by_tuple, by_spec, by_struct, by_array, by_name)}
    assert shapes == {(5,)}


def test_api_batch_mode_with_int_dtype():
    report = vmapx.shape(jnp.add, "i32[3]", "i32[3]", batch=4, in_axes=(0, 1))
    assert [i.shape for i in report.inputs] == [(4, 3), (3, 4)]
    assert report.outputs[0].dtype == "i32"
