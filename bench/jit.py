"""JIT + unicorn vs the reference interpreter: time per run, side by side.

For each program: the JIT's translation time, the load time (for objects:
verification, the run environment and the unicorn executor's mapping and
linking; for asm: the executor alone), the median time of one run under unicorn, and the
median time of one run of the reference interpreter on the same memory
layout; then the run-time ratio.  Programs: a 1M-iteration ALU loop (asm),
examples/sum10.c (a 10-argument call), and a tc program with a map, a loop and
bpf2bpf calls.  Not a test: timings never gate CI.

    python bench/jit.py [-n 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from isa.asm import assemble  # noqa: E402
from jit import jit  # noqa: E402
from pipeline.exec_unicorn import UnicornExecutor  # noqa: E402
from pipeline.interp import Interpreter  # noqa: E402

LOOP = """
    mov %r0, 0
    mov %r1, 1000000
loop:
    add %r0, %r1
    xor %r0, 0x55
    sub %r1, 1
    jne %r1, 0, loop
    exit
"""

MAP_PROG = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 16); __type(key, int); __type(value, long); } counts SEC(".maps");
static __attribute__((noinline)) long mix(long a, long b, long c, long d, long e)
{
	for (int i = 0; i < 64; i++)
		a = (a ^ b) * 31 + c - d + (e >> (i & 7));
	return a;
}
SEC("tc")
int prog(struct __sk_buff *skb)
{
	int key = skb->len & 15;
	long *v = bpf_map_lookup_elem(&counts, &key);
	if (!v)
		return 0;
	for (int i = 0; i < 32; i++)
		*v += mix(skb->len + i, skb->protocol, skb->mark, skb->priority, i);
	return *v & 0xff;
}
char _license[] SEC("license") = "GPL";
"""


def timed(fn, n: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(n):
        t = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times), result


def bench_asm(name: str, text: str, n: int) -> tuple:
    prog = assemble(text)
    t_jit, image = timed(lambda: jit(prog), n)
    t_setup, ex = timed(lambda: UnicornExecutor(image), n)
    t_run, r = timed(lambda: ex.run().retval, n)
    t_interp, r2 = timed(lambda: Interpreter(prog, max_insns=10**8).run().r0, max(1, n // 5))
    assert r == r2, (r, r2)
    return name, t_jit, t_setup, t_run, t_interp


def bench_object(name: str, path: Path, prog_name: str, n: int, verify: bool) -> tuple:
    import pipeline
    obj = pipeline.load(path)
    verdict = pipeline.verify(obj, prog_name) if verify else None
    t_jit, _ = timed(lambda: pipeline.jit(obj, prog_name, verdict=verdict, verified=verify), n)
    outs = {}
    for engine in ("unicorn", "interp"):
        t0 = time.perf_counter()
        out = pipeline.run(obj, prog_name, engine=engine, verify=verify, repeat=n)
        total = time.perf_counter() - t0
        outs[engine] = (out.duration_ns / 1e9, total - out.duration_ns * n / 1e9, out.retval)
    assert outs["unicorn"][2] == outs["interp"][2]
    return name, t_jit, outs["unicorn"][1], outs["unicorn"][0], outs["interp"][0]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5, help="runs per measurement (median)")
    args = ap.parse_args()
    rows = [bench_asm("alu loop (1M iterations)", LOOP, args.n)]
    rows.append(bench_object("examples/sum10.c", ROOT / "examples" / "sum10.c",
                             "sum", args.n, verify=False))
    with tempfile.TemporaryDirectory() as d:
        src = Path(d) / "map_prog.c"
        src.write_text(MAP_PROG)
        rows.append(bench_object("tc: map + loops + calls", src, "prog", args.n,
                                 verify=True))
    print(f"{'program':28} {'jit':>9} {'load':>9} {'run (jit)':>11} {'run (interp)':>13} "
          f"{'interp/jit':>10}")
    for name, t_jit, t_setup, t_run, t_interp in rows:
        print(f"{name:28} {t_jit * 1e3:8.2f}m {t_setup * 1e3:8.2f}m {t_run * 1e3:10.3f}m "
              f"{t_interp * 1e3:12.3f}m {t_interp / max(t_run, 1e-9):9.1f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
