"""Build overhead of the lowered path: `pipeline build` vs a plain clang compile.

Both compile the same file with no more than five arguments per call (so plain
clang can compile it too), side by side in one run, N times each; prints the
medians and their ratio.  Target: <= 1.5x.  Not a test: timings never gate CI.

    python bench/build_overhead.py [-n 15] [--clang clang-22]
"""

from __future__ import annotations

import argparse
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


def _time(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-n", type=int, default=15)
    ap.add_argument("--clang", default=shutil.which("clang-22") or "clang")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "five.c"
        src.write_text(SOURCE)
        plain = [args.clang, "--target=bpf", "-g", "-O2", "-mcpu=v3", "-D__TARGET_ARCH_x86",
                 "-c", str(src), "-o", str(Path(tmp) / "plain.o")]
        ours = [sys.executable, "-m", "pipeline", "build", str(src), "-o", str(Path(tmp) / "ours.o")]
        _time(plain), _time(ours)  # warm caches (probe cache, page cache)
        t_plain, t_ours = [], []
        for _ in range(args.n):  # interleaved so both see the same machine load
            t_plain.append(_time(plain))
            t_ours.append(_time(ours))
    mp, mo = statistics.median(t_plain), statistics.median(t_ours)
    print(f"plain clang   median {mp * 1000:8.1f} ms  ({args.n} runs)")
    print(f"pipeline build median {mo * 1000:8.1f} ms")
    print(f"ratio {mo / mp:.2f}x (target <= 1.5x)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
