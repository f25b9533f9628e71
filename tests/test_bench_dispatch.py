"""CPU dispatch and x64 for timings: synchronous CPU dispatch by default, asked for before JAX
starts its CPU client; a library call puts JAX's settings back as it found them."""

import json
import subprocess
import sys
from dataclasses import replace

import jax

from vmapx.cli import app

FLAG = "jax_cpu_enable_async_dispatch"

CHECK = """
import jax
from vmapx._bench import device
from vmapx._analysis._compat import backends_initialized
FLAG = "jax_cpu_enable_async_dispatch"
assert backends_initialized() is False
before = jax.config.read(FLAG)
with device.cpu_dispatch(not before) as note:         # in time: applied
    assert note is None, note
    assert jax.config.read(FLAG) is (not before)
    jax.devices()                                     # the CPU client starts here
assert backends_initialized() is True
assert jax.config.read(FLAG) is before                # the flag is put back ...
assert device.cpu_async_dispatch() is (not before)    # ... the client keeps its mode
with device.cpu_dispatch(before) as note:             # too late: said, not pretended
    assert note and "already started" in note, note
    assert jax.config.read(FLAG) is before
with device.cpu_dispatch(not before) as note:         # what the client does already
    assert note is None, note
print("OK")
"""

LIBRARY = """
import jax, jax.numpy as jnp
import vmapx
from vmapx._bench.settings import BenchSettings
from vmapx._analysis._compat import backends_initialized
assert backends_initialized() is False
before = (jax.config.read("jax_enable_x64"), jax.config.read("jax_cpu_enable_async_dispatch"))
report = vmapx.bench(jnp.sin, "f64[3]", batch=2, settings=BenchSettings(
    variants=("loop", "jit-vmap"), runs=1, min_time=0, warmup=0, tick=1e-7))
assert report.ok and report.x64 and report.cpu_async_dispatch is False, report
after = (jax.config.read("jax_enable_x64"), jax.config.read("jax_cpu_enable_async_dispatch"))
assert after == before, (before, after)
print("OK")
"""


def test_dispatch_is_set_before_the_backend_starts_or_said_to_be_too_late():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert out.stdout.strip() == "OK", out.stderr


def test_a_fresh_library_call_sets_up_x64_and_dispatch_and_puts_them_back():
    out = subprocess.run([sys.executable, "-c", LIBRARY], capture_output=True, text=True)
    assert out.stdout.strip() == "OK", out.stderr


def test_a_library_call_leaves_x64_and_dispatch_unchanged():
    import jax.numpy as jnp

    import vmapx
    from vmapx._bench.settings import BenchSettings

    before = (jax.config.read("jax_enable_x64"), jax.config.read(FLAG))
    quick = BenchSettings(variants=("loop", "vmap"), runs=1, min_time=0, warmup=0, tick=1e-7)
    for dispatch in (False, True):
        report = vmapx.bench(jnp.add, "f64[3]", "f64[3]", batch=2,
                             settings=replace(quick, async_dispatch=dispatch))
        assert report.ok and report.x64
        assert (jax.config.read("jax_enable_x64"), jax.config.read(FLAG)) == before
    failing = vmapx.bench(jnp.add, "f64[2,3]", "f64[3,3]", settings=quick)
    assert failing.error is not None
    assert (jax.config.read("jax_enable_x64"), jax.config.read(FLAG)) == before


def test_report_and_header_name_the_dispatch_mode(runner):
    r = runner.invoke(app, ["bench", "jnp.sin", "--a", "3", "--batch", "2", "--variants",
                            "loop,jit-vmap", "--runs", "1", "--min-time", "0", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert isinstance(data["cpu_async_dispatch"], bool)
    r = runner.invoke(app, ["bench", "jnp.sin", "--a", "3", "--batch", "2", "--variants",
                            "loop", "--runs", "1", "--min-time", "0"])
    assert "CPU dispatch " in r.output
