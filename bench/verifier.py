"""Verifier benchmark: how closely and how fast we follow the kernel on the corpus.

For every program of tests/data/verifier_corpus that both the kernel and we accept,
prints our processed instructions against the kernel's ``verified_insns`` and the
aggregate ratio; then our total verification time against the time clang takes to
build the same programs; then the peak resident memory of one verification that runs
into the 1,000,000-instruction limit (measured in a child process).  Not a test.

    python bench/verifier.py [--no-kernel] [--limit-prog NAME]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.append(str(ROOT / "tests"))
sys.path.append(str(ROOT / "tests" / "verifier"))

# A loop the verifier cannot prove bounded: it walks until the 1M budget runs out.
LIMIT_PROG = """\t.section socket,"ax",@progbits
\t.globl prog
prog:
\tr1 = 0
\tr0 = 0
1:
\t.rept 1000
\tr0 += 1
\t.endr
\tr1 += 1
\tif r1 != 0 goto 1b
\texit
"""


def _peak_rss_of_limit_run(tmp: Path) -> tuple[float, float, str]:
    """Verify LIMIT_PROG in a child process; returns (seconds, peak RSS MiB, verdict)."""
    src = tmp / "limit.s"
    src.write_text(LIMIT_PROG)
    obj = tmp / "limit.o"
    subprocess.run(["clang-22", "--target=bpf", "-c", str(src), "-o", str(obj)], check=True)
    child = (
        "import sys, time; sys.path.insert(0, %r)\n"
        "from elftools.elf.elffile import ELFFile\n"
        "import isa; from verifier import VerifierInput, verify\n"
        "f = open(%r, 'rb'); code = ELFFile(f).get_section_by_name('socket').data()\n"
        "t = time.perf_counter(); v = verify(VerifierInput(isa.decode(code)), 1)\n"
        "print(time.perf_counter() - t); print(v.error_line)\n" % (str(ROOT), str(obj)))
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True)
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    secs, verdict = p.stdout.splitlines()[:2]
    return float(secs), max(peak, before) / 1024.0, verdict


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--no-kernel", action="store_true", help="skip the kernel comparison")
    args = ap.parse_args(argv)

    from corpus_inputs import input_for
    from oracles import corpus, kernel
    from verifier import verify

    use_kernel = not args.no_kernel and kernel.kernel_available()[0]
    entries = corpus.iter_corpus()
    rows = []
    ours_time = clang_time = 0.0
    with tempfile.TemporaryDirectory(prefix="bench-verifier-") as tmp:
        tmp = Path(tmp)
        for e in entries:
            t = time.perf_counter()
            obj = corpus.build(e, tmp)
            clang_time += time.perf_counter() - t
            inp = input_for(e, obj)
            t = time.perf_counter()
            v = verify(inp, log_level=0)
            ours_time += time.perf_counter() - t
            vi = None
            if use_kernel:
                with corpus.kernel_load(e, obj, log_level=0) as res:
                    if res.accepted:
                        vi = kernel.prog_info(res.fd).verified_insns
            rows.append((e.name, v.accepted, v.processed_insns, vi))
        secs, rss, verdict = _peak_rss_of_limit_run(tmp)

    both = [(n, ours, k) for n, acc, ours, k in rows if acc and k]
    print(f"{'program':44} {'ours':>8} {'kernel':>8} {'ratio':>7}")
    for n, ours, k in both:
        print(f"{n:44} {ours:8d} {k:8d} {ours / k:7.3f}")
    if both:
        so, sk = sum(x[1] for x in both), sum(x[2] for x in both)
        exact = sum(x[1] == x[2] for x in both)
        print(f"\nprocessed insns, ours / kernel verified_insns over {len(both)} programs: "
              f"{so}/{sk} = {so / sk:.3f} ({exact} identical)")
    elif not use_kernel:
        print("(kernel comparison skipped)")
    print(f"verify time {ours_time:.2f} s for {len(rows)} programs; clang build time "
          f"{clang_time:.2f} s; ratio {ours_time / clang_time:.2f}")
    print(f"1M-limit program: {secs:.1f} s, peak RSS {rss:.0f} MiB ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
