"""The `vmapx` command line: parses options, calls the core, renders. The one error boundary.

Importing this package imports neither jax nor the renderer: `vmapx --help` stays fast.
"""

from __future__ import annotations

import typer

app = typer.Typer(
    name="vmapx",
    epilog="Exit codes: 0 ok · 1 your vmap fails for these inputs (explained) · 2 bad input.",
    no_args_is_help=True,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, …)
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)



def _version(value: bool) -> None:
    if value:
        import sys

        # the package itself, imported before this module (an import here would be a cycle)
        typer.echo(f"vmapx {sys.modules['vmapx'].__version__}")
        raise typer.Exit()


@app.callback()
def _root(version: bool = typer.Option(False, "--version", callback=_version, is_eager=True,
                                       help="Print vmapx's version and exit.")) -> None:
    """vmap shape explorer and jaxpr inspector for JAX.

    Trace a function abstractly (no arrays allocated) and see what jax.vmap does to it: output shapes, where the batch axis lands, why a vmap fails and which in_axes would work.

    Start here: vmapx shape jnp.add --a 2,3,5 --in-axes 0,None
    """


def _register() -> None:
    """Each command is a plain function in its own module; registered here, in this order."""
    from vmapx.cli.bench import bench
    from vmapx.cli.common import DYNAMIC
    from vmapx.cli.jaxpr import jaxpr
    from vmapx.cli.shape import shape
    from vmapx.cli.watch import watch

    for command in (shape, jaxpr, bench, watch):
        app.command(context_settings=DYNAMIC)(command)


_register()


def main() -> None:
    """Entry point of the `vmapx` console script."""
    import gc
    import sys

    from vmapx.cli.streams import EXIT_PIPE, ascii_fallback, reader_gone

    if sys.stdout is None:  # started with stdout closed (`vmapx … >&-`)
        sys.stderr.write("error: standard output is closed, so vmapx has nowhere to write\n"
                         "hint: redirect it to a file (> out.txt) or to /dev/null\n")
        raise SystemExit(2)
    ascii_fallback()
    try:
        try:
            app()
        finally:
            sys.stdout.flush()  # a reader that has gone shows here when output was buffered
    except BrokenPipeError:
        try:
            reader_gone()
        except Exception:  # typer.Exit, outside Typer's own handling
            raise SystemExit(EXIT_PIPE) from None
    finally:
        # The process ends here and every object goes with it. Freezing them first spares the
        # interpreter's last garbage collection a walk over everything jax allocated (~150 ms
        # of a ~600 ms `vmapx jaxpr`; benchmarks/bench_jaxpr.py).
        gc.freeze()
