"""The built-in suite of `vmapx bench`: the seeds' functions from examples/, each at its seed's
batch size, with its declared inputs, in_axes, statics and hand-batched twin."""

from __future__ import annotations

from pathlib import Path

from vmapx._problem import request
from vmapx._problem.problem import Problem
from vmapx._problem.surface import Surface
from vmapx.errors import UsageError

SUITE = (("dot.py", "dot"), ("dot.py", "affine"), ("neuron.py", "model"),
         ("convolve.py", "convolve"), ("logistic.py", "predict_single"),
         ("logistic.py", "per_example_grad"))


def examples_dir() -> Path:
    """examples/ beside the vmapx package (vmapx/_bench/suite.py → ../../examples)."""
    return Path(__file__).resolve().parent.parent.parent / "examples"


def suite(surface: Surface) -> list[Problem]:
    """One problem per suite function, from what its module declares (`VMAPX_EXAMPLES`)."""
    from vmapx._text.declared import declared
    from vmapx._text.target import resolve

    folder = examples_dir()
    if not all((folder / f).is_file() for f, _ in SUITE):
        how = ("name a function: vmapx bench FUNC --NAME SHAPE --batch 8,64,512" if surface.cli
               else "pass a function: vmapx.bench(fn, x=(100,), batch=[8, 64])")
        raise UsageError(f"the built-in suite reads vmapx's examples/ folder, and it is not at "
                         f"{folder}", f"run vmapx from a checkout of the repository, or {how}")
    out = []
    for file, attr in SUITE:
        target = resolve(f"{folder / file}:{attr}")
        decl = declared(target.module, attr)
        stem = file.removesuffix(".py")
        options = {"batch": decl.batch, "static": decl.static,
                   "name": attr if stem == attr else f"{stem}.{attr}"}
        if decl.in_axes is not None:
            options["in_axes"] = decl.in_axes
        out.append(request.problem(target.fn, (), decl.inputs, options, surface))
    return out
