"""Scale: time and peak RSS against input size, printing the slope (not a test).

    python bench/scale.py [--only KIND ...] [--factor F] [--root DIR]

Four dimensions, each at four sizes doubling from a base (``--factor`` scales the base):

* ``programs``: an object with N small programs (one C file, built once): load it, then
  verify and JIT every program through the public API;
* ``btf-depth``: a BTF whose typedef names an N-deep chain of arrays (``int[1][1]...``):
  parse it and dump it as C (``pipeline btf --format c``);
* ``log``: a bounded loop of N iterations verified at log level 2, the log either kept
  in memory (``Verdict.log``, how every level-2 log was held before streaming) or
  streamed to /dev/null (``pipeline.verify(..., log=stream)``, ``verify --log-file``);
* ``insns``: the same loop at log level 0: processed instructions ~ 3N.

Each measurement runs in a fresh interpreter (``--child``), so peak RSS (``ru_maxrss``)
is that case's alone; ``rss+`` is the peak minus the RSS just before the operation.
The slope is d log(time) / d log(size) between neighbouring sizes: 1.0 is linear,
2.0 quadratic.  ``--root DIR`` runs the children against another checkout (e.g. the
main branch, for a before/after), where a mode that checkout lacks is reported as such.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import struct
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve()
ROOT = HERE.parents[1]

BASE = {"programs": 100, "btf-depth": 500, "log": 2500, "insns": 5000}


# --- inputs ---------------------------------------------------------------------------------

def _loop(n: int):
    """r1 = 0; loop: r1 += 1; if r1 < n goto loop; r0 = 0; exit."""
    import isa
    from isa import opcodes as op
    return [isa.Insn(op.ALU64 | op.MOV | op.K, 1, 0, 0, 0),
            isa.Insn(op.ALU64 | op.ADD | op.K, 1, 0, 0, 1),
            isa.Insn(op.JMP | op.JLT | op.K, 1, 0, -2, n),
            isa.Insn(op.ALU64 | op.MOV | op.K, 0, 0, 0, 0),
            isa.Insn(op.JMP | op.EXIT)]


def _deep_btf(n: int) -> bytes:
    """Raw BTF: INT 'int', n ARRAY types each of the previous (1 element), and
    TYPEDEF 'deep' naming the last."""
    strs = b"\0int\0deep\0u32\0"
    types = [struct.pack("<III", 1, 1 << 24, 4) + struct.pack("<I", 32)]   # [1] int
    types.append(struct.pack("<III", 10, 1 << 24, 4) + struct.pack("<I", 32))  # [2] u32
    prev = 1
    for i in range(n):
        types.append(struct.pack("<III", 0, 3 << 24, 0) + struct.pack("<III", prev, 2, 1))
        prev = 3 + i
    types.append(struct.pack("<III", 5, 8 << 24, prev))                    # typedef deep
    tb = b"".join(types)
    hdr = struct.pack("<HBBIIIII", 0xEB9F, 1, 0, 24, 0, len(tb), len(tb), len(strs))
    return hdr + tb + strs


def _programs_c(n: int) -> str:
    out = ["#define SEC(n) __attribute__((section(n), used))\n"]
    for i in range(n):
        out.append(f'SEC("tc") int p{i}(void *ctx) {{ return {i}; }}\n')
    out.append('char _license[] SEC("license") = "GPL";\n')
    return "".join(out)


# --- one measurement (a fresh interpreter) --------------------------------------------------

def _rss_kb() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 1024


def child(kind: str, size: int, mode: str, scratch: str) -> dict:
    sys.path.insert(0, os.getcwd())
    extra = {}
    if kind == "programs":
        import pipeline
        src = Path(scratch) / f"progs{size}.c"
        obj_path = Path(scratch) / f"progs{size}.o"
        if not obj_path.exists():
            src.write_text(_programs_c(size))
            pipeline.compile(src, obj_path)
        before = _rss_kb()
        t0 = time.perf_counter()
        obj = pipeline.load(obj_path)
        for p in obj.programs:
            v = pipeline.verify(obj, p)
            pipeline.jit(obj, p, verdict=v)
        extra["programs"] = len(obj.programs)
    elif kind == "btf-depth":
        from btf import load_bytes
        from btf.dump_c import dump_c
        data = _deep_btf(size)
        sys.setrecursionlimit(max(sys.getrecursionlimit(), 4 * size + 1000))
        before = _rss_kb()
        t0 = time.perf_counter()
        try:
            text = dump_c(load_bytes(data, "deep").btf)
            extra["c_bytes"] = len(text)
        except RecursionError:
            extra["failed"] = "RecursionError"
    else:
        from verifier import VerifierInput, verify
        inp = VerifierInput(_loop(size), prog_type="socket_filter")
        before = _rss_kb()
        t0 = time.perf_counter()
        if kind == "insns":
            v = verify(inp, log_level=0)
        elif mode == "memory":
            v = verify(inp, log_level=2)
            extra["log_bytes"] = len(v.log)
        else:
            with open(os.devnull, "w") as sink:
                try:
                    v = verify(inp, log_level=2, log=sink)
                except TypeError:
                    return {"failed": "no streaming in this checkout"}
            extra["log_bytes"] = v.log_true_size - 1
        extra["processed"] = v.processed_insns
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {"time": dt, "peak_kb": peak, "delta_kb": max(0, peak - before), **extra}


def run_child(root: Path, kind: str, size: int, mode: str, scratch: str) -> dict:
    r = subprocess.run([sys.executable, str(HERE), "--child", kind, str(size), mode, scratch],
                       cwd=root, capture_output=True, text=True)
    if r.returncode:
        return {"failed": (r.stderr.strip().splitlines() or ["exit %d" % r.returncode])[-1]}
    return json.loads(r.stdout.strip().splitlines()[-1])


# --- the table ------------------------------------------------------------------------------

def _slope(a: float, b: float, sa: int, sb: int) -> str:
    if a <= 0 or b <= 0:
        return "   -"
    return "%4.2f" % (math.log(b / a) / math.log(sb / sa))


def measure(root: Path, kind: str, mode: str, sizes: list[int], scratch: str) -> None:
    label = kind if mode == "-" else f"{kind} ({mode})"
    print(f"\n{label}")
    print(f"  {'size':>8} {'time s':>9} {'slope':>6} {'peak RSS MB':>12} {'rss+ MB':>8} "
          f"{'slope':>6}  notes")
    prev = None
    for n in sizes:
        m = run_child(root, kind, n, mode, scratch)
        if "failed" in m and "time" not in m:
            print(f"  {n:>8}  failed: {m['failed']}")
            prev = None
            continue
        notes = " ".join(f"{k}={v}" for k, v in m.items()
                         if k not in ("time", "peak_kb", "delta_kb"))
        ts = rs = "     "
        if prev is not None:
            ts = _slope(prev[1]["time"], m["time"], prev[0], n)
            rs = _slope(prev[1]["delta_kb"], m["delta_kb"], prev[0], n)
        print(f"  {n:>8} {m['time']:>9.3f} {ts:>6} {m['peak_kb'] / 1024:>12.1f} "
              f"{m['delta_kb'] / 1024:>8.1f} {rs:>6}  {notes}", flush=True)
        prev = (n, m)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--only", nargs="*", choices=sorted(BASE), help="dimensions to run")
    ap.add_argument("--factor", type=float, default=1.0, help="scale every base size")
    ap.add_argument("--root", type=Path, default=ROOT,
                    help="checkout whose code the children run (default: this one)")
    ap.add_argument("--child", nargs=4, metavar=("KIND", "SIZE", "MODE", "DIR"),
                    help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        kind, size, mode, scratch = args.child
        print(json.dumps(child(kind, int(size), mode, scratch)))
        return 0
    kinds = args.only or list(BASE)
    print(f"code: {args.root}; slope = d log y / d log size (1 linear, 2 quadratic)")
    with tempfile.TemporaryDirectory() as scratch:
        for kind in kinds:
            base = max(1, int(BASE[kind] * args.factor))
            sizes = [base * 2 ** i for i in range(4)]
            modes = ("memory", "stream") if kind == "log" else ("-",)
            for mode in modes:
                measure(args.root.resolve(), kind, mode, sizes, scratch)
    return 0


if __name__ == "__main__":
    sys.exit(main())
