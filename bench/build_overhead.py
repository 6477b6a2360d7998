"""Build overhead of the lowered path: `pipeline build` vs a plain clang compile.

Whole process, wall time, interleaved, medians of N: plain ``clang --target=bpf -O2 -g -c``
(the anchor) against ``python -m pipeline build`` with ``--no-cache`` (every run compiles:
the first-run figure) and with the build cache (every run after the first is a hit), on
files with no call over five arguments (a tiny program; 60 static helpers); then the
60-function file with 20 calls of 8..12 arguments (plain clang cannot compile it; its
anchor is plain clang on the 60-function five-argument file, the same amount of code).
Then, in this process (no interpreter start-up, no self-check, no cache),
``toolchain.driver.compile_c`` on the lowered path with and without the one-step
shortcut, against plain clang: CPU time of the process and its children (wall time on a
shared machine mostly measures the queue).  Targets (issue 13): <= 1.3x on files with no
call over five arguments, <= 2x on the 60-function file.  Not a test: timings never gate CI.

``--steps`` prints, instead, where the CPU of one in-process build goes, step by step, for
each file (the same loop as above: interleaved with plain clang, medians of N): each clang
run the driver starts (C to IR, C to an object, lowered IR to an object) and this
process's own CPU (our Python, and starting the clang processes).

    python bench/build_overhead.py [-n 15] [--clang clang-22] [--steps]
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

SOURCE = r"""
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct { __uint(type, BPF_MAP_TYPE_ARRAY); __uint(max_entries, 16); __type(key, int); __type(value, long); } counts SEC(".maps");

static __attribute__((noinline)) long mix(long a, long b, long c, long d, long e)
{
	for (int i = 0; i < 8; i++)
		a = (a ^ b) * 31 + c - d + (e >> i);
	return a;
}

SEC("tc")
int prog(struct __sk_buff *skb)
{
	int key = skb->len & 15;
	long *v = bpf_map_lookup_elem(&counts, &key);
	if (!v)
		return 0;
	*v += mix(skb->len, skb->protocol, skb->mark, skb->priority, skb->hash);
	return 1;
}
char _license[] SEC("license") = "GPL";
"""


ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from toolchain.driver import header_flags  # noqa: E402


def _large_source(n: int = 60) -> str:
    """A program of ``n`` static helpers with loops (a few hundred lines, like a real tc program)."""
    parts = [SOURCE.split("SEC(\"tc\")")[0]]
    for i in range(n):
        parts.append(f"static __attribute__((noinline)) long f{i}(long a, long b, long c, long d, long e)\n"
                     f"{{ for (int k = 0; k < {i % 7 + 2}; k++) a = (a ^ b) * {i + 3} + c - d + (e >> k); return a; }}\n")
    body = " + ".join(f"f{i}(skb->len, skb->mark, {i}, skb->hash, skb->priority)" for i in range(n))
    parts.append(f'SEC("tc")\nint prog(struct __sk_buff *skb) {{ return ({body}) & 1; }}\n'
                 'char _license[] SEC("license") = "GPL";\n')
    return "".join(parts)


def _wide_source(n: int = 60) -> str:
    """``n`` static helpers, every third taking 8..12 arguments, all called from one program."""
    parts = [SOURCE.split("static __attribute__")[0]]
    calls = []
    for i in range(n):
        k = 8 + i % 5 if i % 3 == 0 else 5
        params = ", ".join(f"long a{j}" for j in range(k))
        body = " + ".join(f"a{j} * {j + i + 1}" for j in range(k))
        parts.append(f"static __attribute__((noinline)) long f{i}({params})\n"
                     f"{{ long r = 0; for (int m = 0; m < {i % 7 + 2}; m++) "
                     f"r = (r ^ ({body})) * 31 + a0; return r; }}\n")
        calls.append(f"f{i}(" + ", ".join(f"skb->len + {j}" for j in range(k)) + ")")
    parts.append(f'SEC("tc")\nint prog(struct __sk_buff *skb) {{ return ({" + ".join(calls)}) & 1; }}\n'
                 'char _license[] SEC("license") = "GPL";\n')
    return "".join(parts)


def _cpu() -> float:
    import resource
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


def _bench_driver(label: str, text: str, args, one_step: bool = True, anchor_text=None) -> None:
    from toolchain.driver import CompileOptions, compile_c
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src.c"
        src.write_text(text)
        anchor = src
        if anchor_text is not None:       # wide calls: LLVM 22 alone cannot compile the file
            anchor = Path(tmp) / "anchor.c"
            anchor.write_text(anchor_text)
        plain = [args.clang, "--target=bpf", "-g", "-O2", "-mcpu=v3", "-D__TARGET_ARCH_x86",
                 *header_flags(), "-c", str(anchor), "-o", str(Path(tmp) / "plain.o")]
        runs = {"plain clang": lambda: subprocess.run(plain, capture_output=True),
                "one_step=False": lambda: compile_c(src, Path(tmp) / "two.o",
                                                    CompileOptions(self_check=False,
                                                                   one_step=False))}
        if one_step:
            runs["default (one step first)"] = lambda: compile_c(
                src, Path(tmp) / "one.o", CompileOptions(self_check=False))
        times: dict[str, list[float]] = {k: [] for k in runs}
        for _ in range(args.n):
            for k, f in runs.items():
                c = _cpu()
                f()
                times[k].append(_cpu() - c)
    base = statistics.median(times["plain clang"])
    print(f"{label} (compile_c in process, CPU, medians of {args.n}): " + ", ".join(
        f"{k} {statistics.median(v) * 1000:.0f} ms ({statistics.median(v) / base:.2f}x)"
        for k, v in times.items()))


def _own_cpu() -> float:
    import resource
    s = resource.getrusage(resource.RUSAGE_SELF)
    return s.ru_utime + s.ru_stime


def _step(cmd: list[str]) -> str:
    """What one clang run of the driver does, by its command line."""
    if "-emit-llvm" in cmd:
        return "clang: C -> IR"
    if any(a.endswith(".ll") for a in cmd) or "ir" in cmd:
        return "clang: lowered IR -> object"
    return "clang: C -> object"


def _bench_steps(label: str, text: str, args, one_step: bool) -> None:
    """CPU per step of compile_c (default options, no self-check), next to plain clang."""
    from toolchain.driver import CompileOptions, compile_c
    real_run = subprocess.run
    rounds: list[dict[str, float]] = []

    def timed_run(cmd, *a, **kw):          # every clang run the driver starts, by step
        c = _cpu()
        try:
            return real_run(cmd, *a, **kw)
        finally:
            spent = rounds[-1].setdefault(_step(cmd), 0.0)
            rounds[-1][_step(cmd)] = spent + _cpu() - c

    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "src.c"
        src.write_text(text)
        anchor = src if one_step else Path(tmp) / "anchor.c"
        if not one_step:
            anchor.write_text(_large_source())
        plain = [args.clang, "--target=bpf", "-g", "-O2", "-mcpu=v3", "-D__TARGET_ARCH_x86",
                 *header_flags(), "-c", str(anchor), "-o", str(Path(tmp) / "plain.o")]
        opts = CompileOptions(self_check=False, one_step=one_step)
        compile_c(src, Path(tmp) / "one.o", opts)      # imports, probe cache
        subprocess.run = timed_run
        try:
            for i in range(args.n + 1):
                rounds.append({})
                c = _cpu()
                real_run(plain, capture_output=True)
                rounds[-1]["plain clang" + (" (anchor)" if not one_step else "")] = _cpu() - c
                c, o = _cpu(), _own_cpu()
                compile_c(src, Path(tmp) / "one.o", opts)
                rounds[-1]["ours: total"] = _cpu() - c
                rounds[-1]["ours: this process"] = _own_cpu() - o
        finally:
            subprocess.run = real_run
    rounds = rounds[1:]                  # the first round warms the page cache
    keys = list(dict.fromkeys(k for r in rounds for k in r))
    base = statistics.median(r[keys[0]] for r in rounds)
    print(f"{label} (in process, CPU, medians of {args.n}; load "
          f"{os.getloadavg()[0]:.1f}):")
    for k in keys:
        v = statistics.median(r.get(k, 0.0) for r in rounds)
        print(f"  {k:32s} {v * 1000:7.1f} ms  {v / base:5.2f}x")


def _has_cache() -> bool:
    out = subprocess.run([sys.executable, "-m", "pipeline", "build", "--help"], cwd=ROOT,
                         capture_output=True, text=True).stdout
    return "--no-cache" in out


def _time(cmd: list[str], env=None) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT, env=env)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=15)
    ap.add_argument("--clang", default=shutil.which("clang-22") or "clang")
    ap.add_argument("--steps", action="store_true",
                    help="per-step CPU of the in-process builds instead of the ratios")
    args = ap.parse_args()
    if args.steps:
        for label, text, one_step in (("tiny program", SOURCE, True),
                                      ("60-function program", _large_source(), True),
                                      ("60 functions, 20 wide calls", _wide_source(), False)):
            _bench_steps(label, text, args, one_step)
        return 0
    print("-- whole process, wall time (ratios against plain clang in the same loop)")
    for label, text, anchor in (("tiny program", SOURCE, None),
                                ("60-function program", _large_source(), None),
                                ("60 functions, 20 wide calls", _wide_source(), _large_source())):
        _bench(label, text, args, anchor)
    print("-- in process")
    for label, text in (("tiny program", SOURCE), ("60-function program", _large_source())):
        _bench_driver(label, text, args)
    _bench_driver("60 functions, 20 wide calls (anchor: plain clang, 60-function five-argument "
                  "file)", _wide_source(), args, one_step=False, anchor_text=_large_source())
    return 0


def _bench(label: str, text: str, args, anchor_text: str | None = None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "five.c"
        src.write_text(text)
        anchor = src
        if anchor_text is not None:
            anchor = Path(tmp) / "anchor.c"
            anchor.write_text(anchor_text)
        old = time.time() - 60            # the build cache records no file younger than a compile
        for p in (src, anchor):
            os.utime(p, (old, old))
        env = dict(os.environ, XDG_CACHE_HOME=str(Path(tmp) / "cache"))
        env.pop("STACKARGS_NO_CACHE", None)
        # the same header search the driver uses, so both compile the same thing
        plain = [args.clang, "--target=bpf", "-g", "-O2", "-mcpu=v3", "-D__TARGET_ARCH_x86",
                 *header_flags(), "-c", str(anchor), "-o", str(Path(tmp) / "plain.o")]
        ours = [sys.executable, "-m", "pipeline", "build", str(src), "-o", str(Path(tmp) / "ours.o")]
        cases = {"plain clang": plain, "pipeline build --no-cache": [*ours, "--no-cache"],
                 "pipeline build (cache hit)": ours}
        if not _has_cache():              # a tree from before the build cache: compiles each time
            cases = {"plain clang": plain, "pipeline build": ours}
        for cmd in cases.values():
            _time(cmd, env)               # warm: probe cache, page cache, the build cache entry
        times: dict[str, list[float]] = {k: [] for k in cases}
        for _ in range(args.n):           # interleaved so all see the same machine load
            for k, cmd in cases.items():
                times[k].append(_time(cmd, env))
    base = statistics.median(times["plain clang"])
    print(f"{label} (medians of {args.n}): " + ", ".join(
        f"{k} {statistics.median(v) * 1000:.0f} ms ({statistics.median(v) / base:.2f}x)"
        for k, v in times.items()))


if __name__ == "__main__":
    sys.exit(main())
