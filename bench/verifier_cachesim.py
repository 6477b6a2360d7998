"""Verifier cost of small programs, counted instead of timed: callgrind's cache model.

bench/verifier.py times our verifier against the kernel's, interleaved; between our runs
the kernel load (through a Python ELF loader) evicts our working set, so a small program's
time there is mostly cache misses, and on a shared machine the timings swing 20-30%.
This script counts what one verify of each small corpus program (< 30 processed insns, as
most of the corpus is) costs, deterministically, so that two trees can be compared while
other work runs:

* instructions executed (Ir), L1 misses and L2 misses per verify, under callgrind with a
  64 KiB L1 and a 1 MiB L2 (callgrind's "LL");
* cold (default): a store to every 64-byte line of 4 MiB before every verify evicts L1
  and L2 as the bench's kernel loads do; ``--warm``: no eviction;
* an estimate ``cycles = Ir + 12 * L1 misses + 45 * L2 misses`` (an L2 hit, an L3 hit).

Only the measured loop is instrumented (callgrind starts with instrumentation off and is
switched on once the inputs are built); the loop runs twice with verify and twice with
the evictions alone, and the difference is divided per verify.  Each program is verified
once before the loop, so what is kept per program BTF (func_info facts, map records) is
filled, as in the bench's later rounds.  PYTHONHASHSEED is fixed.  Needs valgrind.
Not a test: nothing here asserts a count.

    python bench/verifier_cachesim.py [--kind c|asm|all] [--warm] [--tree DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _inner(tree: Path, rounds: int, kind: str, cold: bool, objs: Path, sig: Path) -> None:
    """The measured process: build the inputs, say ready, wait for instrumentation."""
    sys.path.insert(0, str(tree))
    sys.path.append(str(tree / "tests"))
    sys.path.append(str(tree / "tests" / "verifier"))
    from corpus_inputs import input_for
    from oracles import corpus
    from verifier import verify
    inps = []
    for e in corpus.iter_corpus():
        if kind != "all" and e.kind != kind:
            continue
        obj = objs / (e.name + ".o")
        if not obj.exists():
            obj = corpus.build(e, objs)
        inp = input_for(e, obj)
        if verify(inp, 0).processed_insns < 30:
            inps.append(inp)
    junk = bytearray(4 << 20)
    lines = [bytes([k]) * (len(junk) // 64) for k in (1, 2)]
    sig.with_suffix(".ready").write_text(str(os.getpid()))
    go = sig.with_suffix(".go")
    while not go.exists():
        time.sleep(0.05)
    for r in range(2):
        for inp in inps:
            if cold:
                junk[::64] = lines[r]           # C-level: one store per cache line
            if rounds:
                verify(inp, 0)
    print(len(inps))


def _run(tree: Path, rounds: int, kind: str, cold: bool, objs: Path, tmp: Path):
    out = tmp / f"cg.{rounds}"
    sig = tmp / f"sig{rounds}"
    env = dict(os.environ, PYTHONHASHSEED="0")
    p = subprocess.Popen(
        ["valgrind", "--tool=callgrind", "--instr-atstart=no", "--cache-sim=yes",
         "--I1=65536,8,64", "--D1=65536,8,64", "--LL=1048576,16,64",
         f"--callgrind-out-file={out}", sys.executable, __file__, "--inner", str(rounds),
         "--kind", kind, "--tree", str(tree), "--objs", str(objs), "--sig", str(sig)]
        + ([] if cold else ["--warm"]),
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    ready = sig.with_suffix(".ready")
    while not ready.exists():
        if p.poll() is not None:
            raise SystemExit(f"the measured process failed:\n{p.stderr.read()[-2000:]}")
        time.sleep(0.5)
    time.sleep(0.5)
    subprocess.run(["callgrind_control", "-i", "on", ready.read_text().strip()], check=True,
                   capture_output=True)
    sig.with_suffix(".go").touch()
    so, se = p.communicate()
    if p.returncode:
        raise SystemExit(f"the measured process failed:\n{se[-2000:]}")
    events = totals = None
    for f in tmp.glob(f"cg.{rounds}*"):
        for line in f.read_text().splitlines():
            if line.startswith("events:"):
                events = line.split()[1:]
            elif line.startswith(("summary:", "totals:")):
                totals = [int(x) for x in line.split()[1:]]
    return int(so.split()[-1]), dict(zip(events, totals))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kind", default="c", choices=("c", "asm", "all"),
                    help="corpus programs compiled from C, assembly ones, or both")
    ap.add_argument("--warm", action="store_true", help="no eviction before each verify")
    ap.add_argument("--tree", default=str(ROOT), help="the checkout whose verifier runs")
    ap.add_argument("--inner", type=int, default=None, help=argparse.SUPPRESS)
    ap.add_argument("--objs", default=None, help=argparse.SUPPRESS)
    ap.add_argument("--sig", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    tree = Path(args.tree).resolve()
    if args.inner is not None:
        _inner(tree, args.inner, args.kind, not args.warm, Path(args.objs), Path(args.sig))
        return 0
    for tool in ("valgrind", "callgrind_control"):
        if shutil.which(tool) is None:
            print(f"{tool} not found: install valgrind", file=sys.stderr)
            return 1
    with tempfile.TemporaryDirectory(prefix="bench-cachesim-") as tmp:
        tmp = Path(tmp)
        objs = tmp / "objs"
        objs.mkdir()
        n, base = _run(tree, 0, args.kind, not args.warm, objs, tmp)
        _, full = _run(tree, 2, args.kind, not args.warm, objs, tmp)
    d = {k: (full[k] - base[k]) / (2 * n) for k in base}
    l1 = d.get("I1mr", 0) + d.get("D1mr", 0) + d.get("D1mw", 0)
    l2 = d.get("ILmr", 0) + d.get("DLmr", 0) + d.get("DLmw", 0)
    print(f"{'warm' if args.warm else 'cold'} {args.kind} ({n} programs < 30 processed insns), "
          f"per verify: Ir {d['Ir']:.0f}, L1 misses {l1:.0f}, L2 misses {l2:.0f}, "
          f"est. cycles {d['Ir'] + 12 * l1 + 45 * l2:.0f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
