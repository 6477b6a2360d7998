"""Start-up: whole-process wall time of `pipeline run` against the interpreter's own start.

Prints, for `python -m pipeline run examples/sum10.c` (C in: compile or build-cache hit,
verify, JIT, run; with ``--no-cache`` clang runs every time: the first-run figure) and for
the same on a prebuilt object, the median wall time of N interleaved runs and the ratio to
`python -c pass` measured in the same loop (target, issue 13: sum10.c <= 0.25 s with
bytecode cached), and the median CPU time (user + system) of the process and its children
(clang, the native engine's child), which a shared, loaded machine inflates far less than
wall time, in both bytecode regimes:
- cached: the packages' .pyc files exist (what `pipeline` itself writes once when
  PYTHONDONTWRITEBYTECODE is set, see pipeline.cli.ensure_bytecode), and so does the cache
  of the code dataclasses generate (pipeline.codecache);
- cold: no .pyc and no code cache (every module and dataclass compiled in memory, as with
  PYTHONDONTWRITEBYTECODE=1 and nothing cached: STACKARGS_NO_BYTECODE=1).
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("isa", "btf", "toolchain", "verifier", "jit", "pipeline")


def wall(cmd: list[str], env: dict) -> float:
    return measure(cmd, env)[0]


def measure(cmd: list[str], env: dict) -> tuple[float, float]:
    """(wall seconds, CPU seconds: user + system of the finished child and its children)."""
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    t1 = time.perf_counter()
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    return t1 - t0, (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)


def drop_bytecode() -> None:
    for pkg in PACKAGES:
        for d in (ROOT / pkg).rglob("__pycache__"):
            shutil.rmtree(d, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=7, help="runs per measurement (median)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        obj = Path(d) / "sum10.bpf.o"
        subprocess.run([sys.executable, "-m", "pipeline", "build", "examples/sum10.c", "-o",
                        str(obj)], cwd=ROOT, check=True, stdout=subprocess.DEVNULL)
        cases = {"python -c pass": [sys.executable, "-c", "pass"],
                 "pipeline run sum10.bpf.o": [sys.executable, "-m", "pipeline", "run", str(obj)],
                 "pipeline run sum10.c": [sys.executable, "-m", "pipeline", "run",
                                          "examples/sum10.c"],
                 "pipeline run sum10.c --no-cache": [sys.executable, "-m", "pipeline", "run",
                                                     "examples/sum10.c", "--no-cache"]}
        helptext = subprocess.run([sys.executable, "-m", "pipeline", "run", "--help"], cwd=ROOT,
                                  capture_output=True, text=True).stdout
        if "--no-cache" not in helptext:    # a tree from before the build cache
            del cases["pipeline run sum10.c --no-cache"]
        base_env = dict(os.environ, XDG_CACHE_HOME=str(Path(d) / "cache"))
        base_env.pop("STACKARGS_NO_CACHE", None)
        wall(cases["pipeline run sum10.c"], base_env)      # probe cache, build cache entry
        for regime in ("cached", "cold"):
            env = dict(base_env, PYTHONDONTWRITEBYTECODE="1")
            if regime == "cached":
                wall(cases["pipeline run sum10.bpf.o"], dict(base_env,
                                                             PYTHONDONTWRITEBYTECODE="1"))
            times = {k: [] for k in cases}
            cpus = {k: [] for k in cases}
            for _ in range(args.n):
                for name, cmd in cases.items():
                    if regime == "cold":
                        drop_bytecode()
                        env["STACKARGS_NO_BYTECODE"] = "1"
                    w, c = measure(cmd, env)
                    times[name].append(w)
                    cpus[name].append(c)
            anchor = statistics.median(times["python -c pass"])
            cpu_anchor = statistics.median(cpus["python -c pass"])
            print(f"-- bytecode {regime} (PYTHONDONTWRITEBYTECODE=1), median of {args.n}, "
                  f"load average {os.getloadavg()[0]:.1f}")
            for name, ts in times.items():
                m, c = statistics.median(ts), statistics.median(cpus[name])
                print(f"{name:32} wall {m * 1e3:7.1f} ms {m / anchor:5.2f}x   "
                      f"cpu {c * 1e3:7.1f} ms {c / cpu_anchor:5.2f}x python -c pass")
        wall(cases["pipeline run sum10.bpf.o"], dict(os.environ))   # leave bytecode cached


if __name__ == "__main__":
    main()
