"""Level-2 logs against the live kernel on small targeted programs.

Each program below is assembled with clang, loaded through the oracle harness at log
level 2, and verified by us at log level 2; the two logs must be identical line for
line (verdict, every state line, precision backtracking, pruning, stack liveness,
statistics). The programs pin down behaviour found by differential testing:

* packet pointers compared with pkt_end, twice in a row, for every pair of conditions
  (<, <=, >, >=, either operand order) - the second comparison is decided from the
  first (BEYOND_PKT_END / AT_PKT_END), which once went wrong in an unsafe way;
* linked scalars: deltas from ``+=``/``-=`` constants, 64- and 32-bit, copies of a
  delta-linked register, ``rX += rX``, mixed 32/64-bit links, zero extension of
  32-bit deltas, dead registers left out of the link set;
* pruning with scalar ids: an old scalar without id matches a linked cur scalar.

Skips with the reason where bpf() is denied.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)

from oracles import kernel  # noqa: E402

import isa  # noqa: E402
from verifier import VerifierInput, verify  # noqa: E402

_OK, _WHY = kernel.kernel_available()
# The live kernel here (6.18) predates the static liveness rework: no "arg JOIN" lines,
# and checkpoints and state lines still show dead registers.
_CLEAN = False   # VerifierInput.static_liveness
pytestmark = pytest.mark.skipif(not _OK, reason=_WHY or "bpf() available")


def _pkt_end_pair(first: str, second: str) -> str:
    return f"""
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 8
	if {first} goto l1
	if {second} goto l2
	r0 = 1
	exit
l1:
	if {second} goto l3
	r0 = 2
	exit
l2:
	r0 = 3
	exit
l3:
	r0 = 4
	exit
"""


def _pkt_cases():
    forms = [f"{a} {o} {b}" for o in ("<", "<=", ">", ">=") for a, b in (("r4", "r3"), ("r3", "r4"))]
    for i, (x, y) in enumerate(itertools.product(forms, forms)):
        yield f"pkt_end_{i:02d}", "xdp", _pkt_end_pair(x, y)


CASES = [
    *_pkt_cases(),
    # known pkt > pkt_end, then 'if pkt > pkt_end' is always taken: its target reads
    # past the checked range and must be rejected
    ("pkt_end_beyond_taken", "xdp", """
	r2 = *(u32 *)(r1 + 0)
	r3 = *(u32 *)(r1 + 4)
	r4 = r2
	r4 += 8
	if r4 > r3 goto l1
	r0 = 0
	exit
l1:
	if r4 > r3 goto l2
	r0 = 0
	exit
l2:
	r0 = *(u8 *)(r2 + 0)
	exit
"""),
    ("linked_add_sub_widths", "socket_filter", """
	call 7
	r1 = r0
	r1 += -4
	r2 = r0
	r2 -= 5
	w0 &= 0xff
	r3 = r0
	w3 += 7
	r4 = r0
	w4 -= 3
	r5 = r1
	r5 += r5
	r6 = r0
	r6 += 0x7fffffff
	r7 = r0
	r7 -= 0x80000000
	r0 = 0
	exit
"""),
    ("linked_zext_by_linked_reg", "socket_filter", """
	call 7
	w6 = w0
	r7 = r6
	w7 += 1
	r8 = 0xFFFFffff ll
	if r6 < r8 goto l0
	r7 >>= 32
	if r7 == 0 goto l0
	r0 /= 0
l0:
	r0 = 0
	exit
"""),
    ("linked_mixed_widths_live", "socket_filter", """
	call 7
	w6 = w0
	r7 = r6
	w7 += 1
	r8 = r6
	r8 += 2
	if r8 < 10 goto l0
	r0 = r7
	r0 += r6
	exit
l0:
	r0 = r7
	r0 += r6
	exit
"""),
    ("linked_32bit_known", "socket_filter", """
	call 7
	w6 = w0
	r7 = r6
	w7 += 1
	r8 = r6
	w8 += 2
	if r8 > 3 goto l0
	r0 = r7
	r0 += r6
	exit
l0:
	r0 = r7
	r0 += r6
	exit
"""),
    ("linked_dead_reg_not_synced", "socket_filter", """
	call 7
	w6 = w0
	r8 = r6
	r8 += 2
	if r8 < 10 goto l0
	r0 = 0
	exit
l0:
	r0 = 0
	exit
"""),
    ("linked_spill_of_delta_reg", "socket_filter", """
	call 7
	r6 = r0
	r6 &= 0x3f
	r7 = r6
	w7 += 8
	*(u64 *)(r10 - 8) = r7
	r8 = *(u64 *)(r10 - 8)
	if r6 > 7 goto l0
	r0 = r8
	exit
l0:
	r0 = r7
	exit
"""),
    ("prune_old_id_zero_matches_link", "socket_filter", """
	r1 = 0
	*(u64 *)(r10 - 8) = r1
	*(u64 *)(r10 - 16) = r1
	*(u64 *)(r10 - 24) = r1
	call 7
	r9 = r0
	call 7
	r6 = r0
	r6 &= 7
	if r9 > 100 goto la
	call 7
	r7 = r0
	r7 &= 7
	if r9 > 200 goto lj
	if r9 > 300 goto lj
	goto lj
la:
	r7 = r6
	if r9 > 400 goto lj
	if r9 > 500 goto lj
lj:
	r1 = r10
	r1 += -24
	r1 += r6
	r1 += r7
	r0 = *(u8 *)(r1 + 0)
	exit
"""),
]


# may_goto loops (found by differential fuzzing): widening of the queued iteration,
# SCC backedges, precision propagated through them newest first
HEX_CASES = [
    ("may_goto_backedges_a",
     "b7010000000000007b1af8ff000000007b1af0ff000000007b1ae8ff000000007b1ae0ff000000008500"
     "000007000000570000000f000000bf060000000000008500000007000000570000000f000000bf070000"
     "000000008500000007000000570000000f000000bf080000000000008500000007000000570000000f00"
     "0000bf09000000000000e500070000000000bf67200000000000a606010000000000b706000008000000"
     "c7070000030000004607010005000000b7070000090000000500f8ff00000000b7000000000000009500"
     "000000000000"),
    ("may_goto_backedges_b",
     "b7010000000000007b1af8ff000000007b1af0ff000000007b1ae8ff000000007b1ae0ff000000008500"
     "00000700000057000000ffff0000bf060000000000008500000007000000570000000f000000bf070000"
     "000000008500000007000000570000000f000000bf08000000000000850000000700000057000000ff00"
     "0000bf09000000000000e5000600000000002f670000000000001f6700000000000047070000ffffffff"
     "4509010000000000b7090000070000000500f9ff00000000b7000000000000009500000000000000"),
    ("may_goto_backedges_c",
     "b7010000000000007b1af8ff000000007b1af0ff000000007b1ae8ff000000007b1ae0ff000000008500"
     "00000700000057000000ffff0000bf06000000000000850000000700000057000000ffff0000bf070000"
     "00000000850000000700000057000000ff000000bf080000000000008500000007000000570000000f00"
     "0000bf09000000000000e500070000000000570600000100000091a9f8ff000000000c98000000000000"
     "16080100ffffffffb708000005000000dc090000200000000500f8ff00000000b7000000000000009500"
     "000000000000"),
]


@pytest.mark.parametrize("name,hexcode", HEX_CASES, ids=[c[0] for c in HEX_CASES])
def test_level2_log_identical_hex(name, hexcode):
    insns = isa.decode(bytes.fromhex(hexcode))
    res = kernel.prog_load(isa.encode(insns), "socket_filter", log_level=2)
    try:
        klog, accepted = res.log, res.accepted
    finally:
        res.close()
    v = verify(VerifierInput(insns, prog_type="socket_filter", static_liveness=_CLEAN),
               log_level=2)
    assert v.accepted == accepted, v.log
    assert v.log.splitlines() == klog.splitlines()


def _assemble(clang: str, body: str, tmp: Path, name: str) -> list:
    src = tmp / f"{name}.s"
    src.write_text('\t.section socket,"ax",@progbits\n\t.globl prog\n\t.type prog,@function\nprog:'
                   + body + '\t.size prog, .-prog\n')
    obj = tmp / f"{name}.o"
    subprocess.run([clang, "--target=bpf", "-mcpu=v4", "-c", str(src), "-o", str(obj)],
                   check=True, capture_output=True, text=True)
    from pipeline.loader import load
    return list(load(obj).programs[0].insns)


@pytest.mark.parametrize("name,ptype,body", CASES, ids=[c[0] for c in CASES])
def test_level2_log_identical(name, ptype, body, clang22, tmp_path):
    insns = _assemble(clang22, body, tmp_path, name)
    res = kernel.prog_load(isa.encode(insns), ptype, log_level=2)
    try:
        klog = res.log
        accepted = res.accepted
    finally:
        res.close()
    v = verify(VerifierInput(insns, prog_type=ptype, static_liveness=_CLEAN),
               log_level=2)
    assert v.accepted == accepted, v.log
    assert v.log.splitlines() == klog.splitlines()


# --- the whole corpus at level 2 (reported, not asserted) -------------------------------

def _normalized(log: str) -> list[str]:
    """Kernel map pointers print as addresses, ours as map[id:N]; the padding before
    ';' follows the text's width. libbpf names global-data maps '<obj:8>.data'."""
    import re
    log = re.sub(r"0xffff[0-9a-f]{12}|map\[id:\d+\](\[0\]\+\d+)?", "ADDR", log)
    log = re.sub(r"ADDR +;", "ADDR ;", log)
    log = re.sub(r"map=[\w]{0,8}(\.(?:ro)?data|\.bss)", r"map=\1", log)
    return log.splitlines()


def test_corpus_level2_report(clang22, tmp_path):
    """Prints how many corpus programs get a level-2 log identical to the kernel's."""
    from oracles import corpus

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from corpus_inputs import input_for

    same = total = 0
    differ = []
    for entry in corpus.iter_corpus():
        try:
            obj = corpus.build(entry, tmp_path, clang22)
        except RuntimeError:
            continue
        with corpus.kernel_load(entry, obj, log_level=2) as res:
            if not res.reached_kernel or res.log_truncated or len(res.log) > 400_000:
                continue
            klog = res.log
        v = verify(input_for(entry, obj), log_level=2)
        total += 1
        if _normalized(klog) == _normalized(v.log):
            same += 1
        else:
            differ.append(entry.name)
    print(f"\nlevel-2 logs identical to the kernel's: {same}/{total}")
    print("  differ: " + ", ".join(differ))
    assert total > 0
