"""Benchmark: parse + raw dump of vmlinux BTF vs `bpftool btf dump file` (not a test).

    python bench/btf_dump.py [FILE] [--repeat N]

Runs both in the same process run (best of N each; ours in-process, bpftool as
a subprocess writing to a pipe) and prints the ratio; the target is <= 5x.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from btf import load_bytes  # noqa: E402
from btf.dump_raw import dump_raw  # noqa: E402


def best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("file", nargs="?", default="/sys/kernel/btf/vmlinux")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    bpftool = shutil.which("bpftool")
    if not bpftool:
        print("bpftool not found", file=sys.stderr)
        return 2
    try:
        data = Path(args.file).read_bytes()
    except OSError as exc:
        print(f"cannot read {args.file}: {exc}", file=sys.stderr)
        return 2

    def ours():
        return dump_raw(load_bytes(data, args.file).btf)

    def theirs():
        return subprocess.run([bpftool, "btf", "dump", "file", args.file], check=True,
                              stdout=subprocess.PIPE).stdout

    same = ours().encode("utf-8", "surrogateescape") == theirs()
    t_ours = best(ours, args.repeat)
    t_theirs = best(theirs, args.repeat)
    print(f"file            {args.file} ({len(data)} bytes)")
    print(f"stackargs btf   {t_ours:.3f} s  (parse + raw dump, best of {args.repeat})")
    print(f"bpftool         {t_theirs:.3f} s  (best of {args.repeat})")
    print(f"ratio           {t_ours / t_theirs:.2f}x  (target <= 5x)")
    print(f"output equal    {same}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
