"""CPU dispatch for timings: synchronous by default, set before JAX starts its CPU client."""

import json
import subprocess
import sys

from vmapx.cli import app

CHECK = """
import jax
from vmapx._bench import analysis as bench
from vmapx._analysis._compat import backends_initialized
assert backends_initialized() is False
assert bench.set_cpu_dispatch(False) is None          # in time: applied
assert jax.config.read("jax_cpu_enable_async_dispatch") is False
jax.devices()                                         # the CPU client starts here
assert backends_initialized() is True
note = bench.set_cpu_dispatch(True)                   # too late: said, not pretended
assert note and "already started" in note, note
assert jax.config.read("jax_cpu_enable_async_dispatch") is False
print("OK")
"""


def test_dispatch_is_set_before_the_backend_starts_or_said_to_be_too_late():
    out = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True)
    assert out.stdout.strip() == "OK", out.stderr


def test_report_and_header_name_the_dispatch_mode(runner):
    r = runner.invoke(app, ["bench", "jnp.sin", "--a", "3", "--batch", "2", "--variants",
                            "loop,jit-vmap", "--runs", "1", "--min-time", "0", "--json"])
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert isinstance(data["cpu_async_dispatch"], bool)
    r = runner.invoke(app, ["bench", "jnp.sin", "--a", "3", "--batch", "2", "--variants",
                            "loop", "--runs", "1", "--min-time", "0"])
    assert "CPU dispatch " in r.output
