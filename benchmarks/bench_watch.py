"""`vmapx watch`: time from saving the file to the new answer on the stream.

    python benchmarks/bench_watch.py [--saves 15]

Copies examples/neuron.py into a temporary folder, starts `vmapx watch shape COPY:model` and
`vmapx watch jaxpr COPY:model` (each its own process, stdout a pipe: each answer is printed
whole, its status line `… answer #N …` last), then saves the copy `--saves` times (the model
changed each time: its bias), timing each save from just before the write to the moment the
status line of the answer it caused is read from the pipe. Three saves first warm up (and
make sure the watcher is running). Prints the median, min … max, against one fresh process
(`vmapx shape|jaxpr` run once from the shell).
Targets (issue 14): shape <= 50 ms, jaxpr <= 150 ms.
"""

from __future__ import annotations

import argparse
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable
TARGETS = {"shape": 50.0, "jaxpr": 150.0}


def _save(path: Path, text: str, k: int) -> None:
    path.write_text(text.replace("b = 1.0  # bias", f"b = {k}.0  # bias"))


def _reader(proc: subprocess.Popen) -> queue.Queue:
    """(time read, line) of each line the watcher prints, read as soon as it comes."""
    lines: queue.Queue = queue.Queue()

    def read() -> None:
        for line in proc.stdout:
            lines.put((time.perf_counter(), line))

    threading.Thread(target=read, daemon=True).start()
    return lines


def _until(lines: queue.Queue, text: str, timeout: float) -> float | None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            at, line = lines.get(timeout=max(0.001, end - time.monotonic()))
        except queue.Empty:
            return None
        if text in line:
            return at
    return None


def watch_times(command: str, path: Path, saves: int) -> list[float]:
    """Milliseconds from each save to its answer's status line on the watcher's stdout."""
    text = path.read_text()
    env = {**os.environ, "COLUMNS": "160"}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    proc = subprocess.Popen([PY, "-m", "vmapx", "watch", command, f"{path}:model"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=env, cwd=ROOT)
    try:
        lines = _reader(proc)
        assert _until(lines, "answer #1", 120) is not None, "the watcher did not answer"
        n, times = 1, []
        for k in range(saves + 3):
            for _ in range(40):  # before the first answer to a save, the watcher may not be set
                t0 = time.perf_counter()
                _save(path, text, k + 2)
                at = _until(lines, f"answer #{n + 1} ", 0.5 if n == 1 else 30)
                if at is not None:
                    break
            assert at is not None, "no answer to a save"
            n += 1
            if k >= 3:
                times.append((at - t0) * 1e3)
        return times
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        path.write_text(text)


def fresh_process(command: str, path: Path) -> float:
    t0 = time.perf_counter()
    subprocess.run([PY, "-m", "vmapx", command, f"{path}:model"], capture_output=True,
                   cwd=ROOT, check=True)
    return (time.perf_counter() - t0) * 1e3


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--saves", type=int, default=15)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "neuron_watched.py"
        shutil.copy(ROOT / "examples" / "neuron.py", path)
        print(f"examples/neuron.py, {args.saves} saves after 3 warm-up saves "
              f"(load average {os.getloadavg()[0]:.2f})")
        for command in ("shape", "jaxpr"):
            times = watch_times(command, path, args.saves)
            med, target = statistics.median(times), TARGETS[command]
            fresh = fresh_process(command, path)
            print(f"watch {command:5}  save → answer: median {med:5.1f} ms "
                  f"(min {min(times):.1f} … max {max(times):.1f})  "
                  f"target <= {target:.0f} ms: {'ok' if med <= target else 'OVER'};  "
                  f"one fresh `vmapx {command}`: {fresh:.0f} ms ({fresh / med:.0f}x)")


if __name__ == "__main__":
    main()
