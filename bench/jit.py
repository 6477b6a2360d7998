"""JIT + unicorn vs the reference interpreter: time per run, side by side.

For each program: the JIT's translation time, the load time (for objects:
verification, the run environment and the unicorn executor's mapping and
linking; for asm: the executor alone), the median time of one run under unicorn, and the
median time of one run of the reference interpreter on the same memory
layout; then the run-time ratio.  Programs: a 1M-iteration ALU loop (asm),
examples/sum10.c (a 10-argument call), and a tc program with a map, a loop and
bpf2bpf calls.  Not a test: timings never gate CI.

``--size``: code size against the live kernel's JIT.  Every runnable entry of
the verifier corpus (tests/data/verifier_corpus) is loaded into the kernel
(bpf() as root; skipped where denied) and its ``jited_prog_len`` read; our
image of the same program (verified by our verifier, dead code as the verdict's
``seen_insns`` says) is measured beside it, per program and in total.  Entries
our verifier refuses (kfuncs) are left out.  The kernel's number includes its
own ctx rewrites and helper inlining (map lookups, smp_processor_id), which
our image does not do: those rows are marked.

``--args``: x86 instruction counts of a call with 6..12 arguments (caller +
callee, prologues and epilogues included) through the stack-argument ABI
against clang -O2 compiling the same C for x86-64 (counted with capstone).

Recorded (kernel 6.x of this machine, clang 22, BMI2 host):
  before this round: 5710 / 7710 bytes = 0.741x over 112 programs, worst
  a_may_goto_zero.s 2.000x; 12 arguments: 38 + 23 instructions vs native 28 + 12
  after: 4644 / 7710 = 0.602x, worst c_a_prandom_loop.c 0.934x (32 helper calls;
  the kernel adds its nop5/tail-call prologue); 12 arguments: 26 + 12 vs 28 + 12

    python bench/jit.py [-n 5] [--size] [--args] [--no-time]
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


# --- code size against the kernel's JIT ----------------------------------------------------

# helpers the kernel inlines (or whose calls it rewrites into longer code) on x86-64
_KERNEL_INLINES = {1: "map_lookup_elem", 8: "get_smp_processor_id", 5: "ktime_get_ns",
                   14: "get_current_pid_tgid", 12: "tail_call", 181: "loop"}


def _ours(entry, obj_path: Path, dead: bool):
    """(our image, set of helper ids called) for one corpus entry, or None with a reason."""
    import importlib.util

    import pipeline
    from isa import opcodes as op
    from jit import jit as _jit
    spec = importlib.util.spec_from_file_location("_vs_kernel", ROOT / "tests" / "jit" /
                                                  "test_vs_kernel.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    obj, prog = mod.load_entry(entry, obj_path)
    from pipeline.api import _object
    api = _object(obj)
    p = api.program(prog.name)
    verdict = pipeline.verify(api, p)
    if not verdict.accepted:
        return None, f"our verifier: {verdict.error_line}"
    insns = list(api.linked(p, None).insns)
    specs = pipeline.func_specs(p, verdict)
    kw = {}
    if dead and len(verdict.seen_insns) == len(insns):
        kw["dead"] = {i for i, s in enumerate(verdict.seen_insns) if not s}
    try:
        image = _jit(insns, specs, **kw)
    except TypeError:                      # a JIT without the dead= parameter
        image = _jit(insns, specs)
    helpers = {i.imm for i in insns if i.code == op.CALL_OP and i.src == 0}
    return (image, helpers), ""


def bench_size(verbose: bool = True) -> tuple[float, float]:
    sys.path.insert(0, str(ROOT / "tests"))
    from oracles import corpus as corpus_mod
    from oracles import kernel as kernel_oracle
    ok, why = kernel_oracle.kernel_available()
    if not ok:
        print(f"size vs kernel: skipped ({why})")
        return 0.0, 0.0
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for entry in corpus_mod.iter_corpus():
            if not entry.runnable:
                continue
            obj_path = corpus_mod.build(entry, Path(d))
            with corpus_mod.kernel_load(entry, obj_path, log_level=0) as res:
                if not res.accepted:
                    continue
                klen = kernel_oracle.prog_info(res.fd).jited_prog_len
            try:
                got, why = _ours(entry, obj_path, dead=True)
            except Exception as e:  # noqa: BLE001 - a bench reports, never stops
                got, why = None, f"{type(e).__name__}: {e}"
            if got is None:
                if verbose:
                    print(f"  {entry.name:44} skipped: {why[:60]}")
                continue
            image, helpers = got
            inl = sorted(_KERNEL_INLINES[h] for h in helpers if h in _KERNEL_INLINES)
            rows.append((entry.name, image.size, klen, inl))
    tot_ours = sum(r[1] for r in rows)
    tot_k = sum(r[2] for r in rows)
    plain = [r for r in rows if not r[3]]
    worst = max(plain, key=lambda r: r[1] / r[2]) if plain else None
    print(f"{'program':44} {'ours':>6} {'kernel':>7} {'ratio':>6}")
    for name, ours, k, inl in sorted(rows, key=lambda r: -r[1] / r[2]):
        mark = f"  (kernel inlines {', '.join(inl)})" if inl else ""
        print(f"{name:44} {ours:6} {k:7} {ours / k:6.3f}{mark}")
    print(f"total over {len(rows)} programs: {tot_ours} / {tot_k} bytes = {tot_ours / tot_k:.3f}x"
          f"; {sum(1 for r in rows if r[1] > r[2])} above 1.0x"
          f" ({sum(1 for r in plain if r[1] > r[2])} without an inlined helper)")
    if worst:
        print(f"worst without an inlined helper: {worst[0]} {worst[1] / worst[2]:.3f}x")
    return tot_ours / max(tot_k, 1), (worst[1] / worst[2]) if worst else 0.0


# --- stack-argument calls against native code -------------------------------------------

def args_source(n: int) -> str:
    params = ", ".join(f"long a{k}" for k in range(1, n + 1))
    body = " + ".join(f"a{k}" for k in range(1, n + 1))
    call = ", ".join(f"{k} * s" if k > 1 else "s" for k in range(1, n + 1))
    return f"""
#define SEC(name) __attribute__((section(name), used))
struct __sk_buff;
long step = 1;
static __attribute__((noinline)) long sum{n}({params})
{{
	return {body};
}}
SEC("tc")
int caller(struct __sk_buff *skb)
{{
	long s = step;

	return sum{n}({call});
}}
char _license[] SEC("license") = "GPL";
"""


def _native_counts(src: Path, n: int) -> tuple[int, int]:
    """(caller, callee) x86 instruction counts of clang-22 -O2 for x86-64."""
    import subprocess

    import capstone
    from elftools.elf.elffile import ELFFile
    out = src.with_suffix(".x86.o")
    subprocess.run(["clang-22", "--target=x86_64-linux-gnu", "-O2", "-fno-asynchronous-unwind-tables",
                    "-c", str(src), "-o", str(out)], check=True)
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    counts = {}
    with open(out, "rb") as f:
        elf = ELFFile(f)
        for sym in elf.get_section_by_name(".symtab").iter_symbols():
            if sym["st_info"]["type"] != "STT_FUNC":
                continue
            sec = elf.get_section(sym["st_shndx"])
            code = sec.data()[sym["st_value"]:sym["st_value"] + sym["st_size"]]
            counts[sym.name] = len(list(md.disasm(code, 0)))
    return counts["caller"], counts[f"sum{n}"]


def bench_args() -> list[tuple[int, int, int, int, int]]:
    import pipeline
    rows = []
    with tempfile.TemporaryDirectory() as d:
        for n in range(6, 13):
            src = Path(d) / f"args{n}.c"
            src.write_text(args_source(n))
            nc, ne = _native_counts(src, n)
            obj = pipeline.build(src)
            verdict = pipeline.verify(obj, "caller")
            image = pipeline.jit(obj, "caller", verdict=verdict if verdict.accepted else None,
                                 verified=verdict.accepted)
            main, callee = image.funcs[0], image.funcs[1]
            import capstone
            md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
            count = lambda f: len(list(md.disasm(image.code[f.offset:f.offset + f.size], 0)))  # noqa: E731
            rows.append((n, count(main), count(callee), nc, ne))
    print(f"{'args':>4} {'jit caller':>10} {'jit callee':>10} {'native caller':>13} "
          f"{'native callee':>13} {'jit - native':>12}")
    for n, jc, je, nc, ne in rows:
        print(f"{n:4} {jc:10} {je:10} {nc:13} {ne:13} {jc + je - nc - ne:+12}")
    return rows


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=5, help="runs per measurement (median)")
    ap.add_argument("--size", action="store_true", help="code size vs the kernel's JIT")
    ap.add_argument("--args", action="store_true", help="6..12-argument calls vs clang -O2 x86-64")
    ap.add_argument("--no-time", action="store_true", help="skip the timing table")
    args = ap.parse_args()
    if args.size:
        bench_size()
    if args.args:
        bench_args()
    if args.no_time:
        return 0
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
