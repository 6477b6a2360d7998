"""Start-up: whole-process wall time of `pipeline run` against the interpreter's own start.

Prints, for `python -m pipeline run examples/sum10.c` (C in: compile or build-cache hit,
verify, JIT, run; with ``--no-cache`` clang runs every time: the first-run figure) and for
the same on a prebuilt object, the median wall time of N interleaved runs and the ratio to
`python -c pass` measured in the same loop (target, issue 13: sum10.c <= 0.25 s with
bytecode cached), in both bytecode regimes:
- cached: the packages' .pyc files exist (what `pipeline` itself writes once when
  PYTHONDONTWRITEBYTECODE is set, see pipeline.cli.ensure_bytecode);
- cold: no .pyc (every module compiled in memory, as with PYTHONDONTWRITEBYTECODE=1 and
  nothing cached).
Not a test: it asserts nothing.
"""

from __future__ import annotations

import argparse
import os
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
    t0 = time.perf_counter()
    subprocess.run(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - t0


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
            for _ in range(args.n):
                for name, cmd in cases.items():
                    if regime == "cold":
                        drop_bytecode()
                        env["STACKARGS_NO_BYTECODE"] = "1"
                    times[name].append(wall(cmd, env))
            anchor = statistics.median(times["python -c pass"])
            print(f"-- bytecode {regime} (PYTHONDONTWRITEBYTECODE=1), median of {args.n}")
            for name, ts in times.items():
                m = statistics.median(ts)
                print(f"{name:32} {m * 1e3:8.1f} ms   {m / anchor:6.2f}x python -c pass")
        wall(cases["pipeline run sum10.bpf.o"], dict(os.environ))   # leave bytecode cached


if __name__ == "__main__":
    main()
