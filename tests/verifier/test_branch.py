"""Tests for verifier.branch: is_branch_taken never claims an outcome that a
concrete pair contradicts, and reg_set_min_max never drops a concrete pair
that can reach a branch, for every JMP/JMP32 condition.

Oracles: the BPF jump semantics (RFC 9669) computed with Python integers
over every pair drawn from small random concrete sets (fixed seeds), and
facts from kernel sources/selftests cited at each spot check.
"""

from __future__ import annotations

import random

import pytest

from isa import opcodes as op
from verifier.branch import (
    JSET_NOT, cond_jmp, flip_opcode, is_branch_taken, jmp_imm, predict, predict_k,
    reg_set_min_max, rev_opcode,
)
from verifier.scalar import Scalar, coerce_reg_to_size, coerce_reg_to_size_sx
from verifier.tnum import Tnum

M64 = (1 << 64) - 1
M32 = (1 << 32) - 1
S64_MIN, S64_MAX = -(1 << 63), (1 << 63) - 1
S32_MIN, S32_MAX = -(1 << 31), (1 << 31) - 1

CONDS = (op.JEQ, op.JNE, op.JGT, op.JGE, op.JLT, op.JLE,
         op.JSGT, op.JSGE, op.JSLT, op.JSLE, op.JSET)


def sx(v: int, bits: int) -> int:
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def holds(opc: int, a: int, b: int, jmp32: bool) -> bool:
    """Concrete outcome of ``if a <opc> b`` (JMP compares 64 bits, JMP32 the
    low 32 bits)."""
    bits = 32 if jmp32 else 64
    a &= (1 << bits) - 1
    b &= (1 << bits) - 1
    sa, sb = sx(a, bits), sx(b, bits)
    return {
        op.JEQ: a == b, op.JNE: a != b,
        op.JGT: a > b, op.JGE: a >= b, op.JLT: a < b, op.JLE: a <= b,
        op.JSGT: sa > sb, op.JSGE: sa >= sb, op.JSLT: sa < sb, op.JSLE: sa <= sb,
        op.JSET: (a & b) != 0, JSET_NOT: (a & b) == 0,
    }[opc]


def rand_value(rng: random.Random) -> int:
    k = rng.randrange(8)
    if k == 0:
        return rng.randrange(0, 64)
    if k == 1:
        return rng.randrange(-64, 64) & M64
    if k == 2:
        return ((1 << 31) + rng.randrange(-8, 8)) & M64
    if k == 3:
        return ((1 << 32) + rng.randrange(-8, 8)) & M64
    if k == 4:
        return ((1 << 63) + rng.randrange(-8, 8)) & M64
    if k == 5:
        return rng.getrandbits(64)
    if k == 6:
        return (rng.getrandbits(32) << 32) | rng.randrange(0, 8)
    return 1 << rng.randrange(64)  # single bits, for JSET


def rand_set(rng: random.Random, max_n: int = 6) -> list[int]:
    n = rng.randrange(1, max_n + 1)
    if rng.random() < 0.6:
        base = rand_value(rng)
        spread = rng.choice((1, 3, 16, 300))
        return [(base + rng.randrange(spread)) & M64 for _ in range(n)]
    return [rand_value(rng) for _ in range(n)]


def near(rng: random.Random, vals: list[int]) -> list[int]:
    """A set (often a constant) placed on or next to the edges of ``vals``,
    where branch prediction and edge refinement actually happen."""
    pick = rng.choice((min(vals), max(vals), rng.choice(vals),
                       min(vals, key=lambda v: sx(v, 64)), max(vals, key=lambda v: sx(v, 64))))
    c = (pick + rng.choice((-1, 0, 0, 1))) & M64
    if rng.random() < 0.7:
        return [c]
    return [c, (c + rng.randrange(1, 5)) & M64]


def abstract(vals, rng: random.Random | None = None) -> Scalar:
    """Tightest tnum/bounds of ``vals`` computed by hand, optionally loosened
    at random, then synced like every kernel register state."""
    vals = [v & M64 for v in vals]
    all_and, any_or = M64, 0
    for v in vals:
        all_and &= v
        any_or |= v
    mask = all_and ^ any_or
    value = all_and
    f = dict(
        smin=min(sx(v, 64) for v in vals), smax=max(sx(v, 64) for v in vals),
        umin=min(vals), umax=max(vals),
        s32_min=min(sx(v, 32) for v in vals), s32_max=max(sx(v, 32) for v in vals),
        u32_min=min(v & M32 for v in vals), u32_max=max(v & M32 for v in vals),
    )
    if rng is not None:
        if rng.random() < 0.25:
            mask |= rng.getrandbits(64) & rng.getrandbits(64)
            value &= ~mask
        for lo, hi, dlo, dhi in (("smin", "smax", S64_MIN, S64_MAX), ("umin", "umax", 0, M64),
                                 ("s32_min", "s32_max", S32_MIN, S32_MAX),
                                 ("u32_min", "u32_max", 0, M32)):
            r = rng.random()
            if r < 0.15:
                f[lo], f[hi] = dlo, dhi
            elif r < 0.3:
                f[lo] = rng.randint(dlo, f[lo])
                f[hi] = rng.randint(f[hi], dhi)
    return Scalar.from_bounds(var_off=Tnum(value, mask), **f)


N = 1000  # random cases per condition and width


@pytest.mark.parametrize("jmp32", [False, True], ids=["jmp", "jmp32"])
@pytest.mark.parametrize("opc", CONDS, ids=lambda o: "op%#x" % o)
def test_branch_taken_and_refinement_sound(opc, jmp32):
    rng = random.Random(100 * opc + jmp32)
    decided = 0
    for _ in range(N):
        av = rand_set(rng)
        bv = near(rng, av) if rng.random() < 0.7 else rand_set(rng)
        if rng.random() < 0.5:
            av, bv = bv, av  # constants on either side
        a, b = abstract(av, rng), abstract(bv, rng)
        pred = is_branch_taken(a, b, opc, jmp32)
        ref = reg_set_min_max(a, b, opc, jmp32)
        for x in av:
            for y in bv:
                t = holds(opc, x, y, jmp32)
                assert pred == -1 or pred == int(t), (opc, jmp32, a, b, x, y, pred)
                if t:
                    assert ref.true_a.contains(x) and ref.true_b.contains(y), \
                        (opc, jmp32, a, b, ref, hex(x), hex(y))
                else:
                    assert ref.false_a.contains(x) and ref.false_b.contains(y), \
                        (opc, jmp32, a, b, ref, hex(x), hex(y))
        decided += pred != -1
    # the sets are built so that many comparisons are decidable; a predictor
    # that always answered -1 would be sound but useless
    assert decided > N // 20


def test_cond_jmp_combines_prediction_and_refinement():
    rng = random.Random(4242)
    for _ in range(N):
        av = rand_set(rng)
        bv = near(rng, av) if rng.random() < 0.7 else rand_set(rng)
        a, b = abstract(av, rng), abstract(bv, rng)
        opc, jmp32 = rng.choice(CONDS), rng.random() < 0.5
        pred, ref = cond_jmp(a, b, opc, jmp32)
        assert pred == is_branch_taken(a, b, opc, jmp32)
        if pred == -1:
            assert ref == reg_set_min_max(a, b, opc, jmp32)
        else:  # a decided jump follows one branch without refining
            assert (ref.true_a, ref.true_b, ref.false_a, ref.false_b) == (a, b, a, b)


def _raw(rng: random.Random) -> Scalar:
    """A scalar whose fields need not be in reg_bounds_sync form (a bound nudged)."""
    f = list(abstract(rand_set(rng), rng))
    for i in rng.sample(range(1, 9), rng.randrange(0, 3)):
        f[i] += rng.choice((-2, -1, 1, 2))
    return tuple.__new__(Scalar, f)


def test_predict_field_path_matches_register_path():
    # predict() refines two distinct registers on plain fields (and knows the equal side
    # of `r == K` is K); is_branch_taken and reg_set_min_max run the kernel's in-place
    # steps on _Reg copies.  Both must agree exactly, for the BPF_K constant, constants
    # in registers, ranges and unsynced fields.
    rng = random.Random(seeds.seed(5150))
    undecided = 0
    for i in range(6000):
        av = rand_set(rng)
        bv = near(rng, av) if rng.random() < 0.7 else rand_set(rng)
        a = abstract(av, rng) if i % 3 else _raw(rng)
        k = rng.random()
        if k < 0.4:
            b = jmp_imm(rng.choice((0, 1, -1, bv[0] & 0x7FFFFFFF, av[0] & 0xFFFF,
                                    rng.getrandbits(32) - (1 << 31))))
        elif k < 0.6:
            b = Scalar.const(bv[0])
        else:
            b = abstract(bv, rng) if rng.random() < 0.7 else _raw(rng)
        if rng.random() < 0.3:
            a, b = b, a
        opc, jmp32 = rng.choice(CONDS), rng.random() < 0.5
        pred, ref = cond_jmp(a, b, opc, jmp32)
        assert pred == is_branch_taken(a, b, opc, jmp32), (a, b, opc, jmp32)
        if pred == -1:
            assert ref == reg_set_min_max(a, b, opc, jmp32), (a, b, opc, jmp32)
            undecided += 1
    assert undecided > 1000


def test_predict_k_matches_predict_with_the_constant():
    # predict_k (the verifier's `if rD <op> K` path) reads the constant as plain ints and
    # returns only rD's refinements; predict() on jmp_imm(K) is the reference.  Constants
    # are drawn on and next to the edges of rD's ranges and tnum, where the outcome is
    # undecided or decided by one value.
    rng = random.Random(seeds.seed(5151))
    undecided = decided = 0
    for i in range(6000):
        a = abstract(rand_set(rng), rng) if i % 3 else _raw(rng)
        edge = rng.choice((a.umin, a.umax, a.smin, a.smax, a.u32_min, a.u32_max,
                           a.s32_min, a.s32_max, a.var_off.value, a.var_off.mask, 0))
        imm = rng.choice((edge, edge + rng.choice((-1, 1)), rng.getrandbits(32)))
        imm = ((imm & M32) ^ 0x80000000) - 0x80000000
        opc, jmp32 = rng.choice(CONDS), rng.random() < 0.5
        pred, ref = predict(a, jmp_imm(imm), opc, jmp32)
        want = (pred, None, None) if ref is None else (pred, ref.true_a, ref.false_a)
        assert predict_k(a, imm, opc, jmp32) == want, (a, imm, opc, jmp32)
        undecided += pred == -1
        decided += pred != -1
    assert undecided > 1000 and decided > 1000


def test_sync_of_an_unknown_scalar_refined_by_a_compare_takes_the_general_path_result(
        monkeypatch):
    # _bounds_sync has a short cut for an unknown tnum with unknown 32-bit halves (an
    # unknown scalar after a 64-bit compare); switched off, the general code must give the
    # same nine fields for every such input: one or two 64-bit bounds moved anywhere,
    # including across the sign and 32-bit boundaries and ill-formed (min > max).
    import verifier.scalar_bounds as SB
    rng = random.Random(seeds.seed(5152))
    points = (0, 1, 7, 0x7FFFFFFF, 0x80000000, M32, 1 << 32, (1 << 32) + 5, 1 << 62,
              (1 << 63) - 1, 1 << 63, (1 << 63) + 1, M64 - M32, M64 - 0x7FFFFFFF, M64 - 1, M64)
    cases = []
    for _ in range(4000):
        u = [0, M64]
        s = [-(1 << 63), (1 << 63) - 1]
        for _ in range(rng.randint(1, 2)):
            v = rng.choice(points) + rng.randint(-2, 2) if rng.random() < 0.7 \
                else rng.getrandbits(64)
            v &= M64
            side = rng.randrange(4)
            if side < 2:
                u[side] = v
            else:
                s[side - 2] = v - (1 << 64) if v >> 63 else v
        cases.append((Tnum(0, M64), s[0], s[1], u[0], u[1], -(1 << 31), (1 << 31) - 1, 0, M32))
    fast = [SB._bounds_sync(*c) for c in cases]
    monkeypatch.setattr(SB, "_sync_unknown_low", lambda *a: None)
    assert [SB._bounds_sync(*c) for c in cases] == fast


def test_jmp_imm_is_the_sign_extended_constant():
    for imm in (0, 1, -1, 0x7FFFFFFF, -0x80000000, 0x80000000, 0xFFFFFFFF, 12345, -777):
        v = imm & M32
        v = v - (1 << 32) if v >> 31 else v
        assert jmp_imm(imm) == Scalar.const(v & M64)


@pytest.mark.parametrize("jmp32", [False, True], ids=["jmp", "jmp32"])
def test_same_register(jmp32):
    # "if r1 <op> r1": the kernel answers from the opcode alone
    rng = random.Random(77 + jmp32)
    for _ in range(N // 3):
        av = rand_set(rng)
        a = abstract(av, rng)
        for opc in CONDS:
            pred = is_branch_taken(a, a, opc, jmp32, same_reg=True)
            for x in av:
                assert pred == -1 or pred == int(holds(opc, x, x, jmp32)), (opc, a, x)
            ref = reg_set_min_max(a, a, opc, jmp32, same_reg=True)
            assert ref.true_a == ref.false_a == a
        assert is_branch_taken(a, a, op.JEQ, jmp32, same_reg=True) == 1
        assert is_branch_taken(a, a, op.JSLT, jmp32, same_reg=True) == 0


def test_flip_and_rev_match_semantics():
    rng = random.Random(5)
    for _ in range(3000):
        x, y = rand_value(rng), rand_value(rng)
        for jmp32 in (False, True):
            for opc in CONDS:
                assert holds(flip_opcode(opc), y, x, jmp32) == holds(opc, x, y, jmp32)
                assert holds(rev_opcode(opc), x, y, jmp32) == (not holds(opc, x, y, jmp32))
    assert rev_opcode(JSET_NOT) == op.JSET


# --- spot checks from kernel sources and selftests ----------------------------

def test_ldsx_s8_range_checks_are_dead():
    # selftests/bpf/progs/verifier_ldsx.c "LDSX, S8 range checking": after
    # r1 = *(s8 *)(r10 - 8) (R1=scalar(smin=smin32=-128,smax=smax32=127)),
    # "if r1 s> 0x7f" and "if r1 s< -0x80" can never be taken.
    r1 = coerce_reg_to_size_sx(Scalar.unknown(), 1)
    assert is_branch_taken(r1, jmp_imm(0x7F), op.JSGT) == 0
    assert is_branch_taken(r1, jmp_imm(-0x80), op.JSLT) == 0
    assert is_branch_taken(r1, jmp_imm(0x7E), op.JSGT) == -1


def test_jne_edge_refinement():
    # verifier.c regs_refine_cond_op, BPF_JNE: "try to recompute the bound
    # of reg1 if reg2 is a const and is exactly the edge of reg1".
    a = coerce_reg_to_size(Scalar.unknown(), 1)  # [0, 255]
    ref = reg_set_min_max(a, jmp_imm(0), op.JNE)
    assert (ref.true_a.umin, ref.true_a.umax) == (1, 255)
    assert ref.false_a.is_const() and ref.false_a.value == 0
    ref = reg_set_min_max(a, jmp_imm(255), op.JNE, True)
    assert (ref.true_a.u32_min, ref.true_a.u32_max) == (0, 254)


def test_jset_single_bit_refinement():
    # regs_refine_cond_op, BPF_JSET: "We can learn something definite only if
    # it's a single-bit value"; the negation clears all tested bits.
    a = coerce_reg_to_size(Scalar.unknown(), 1)
    ref = reg_set_min_max(a, jmp_imm(0x4), op.JSET)
    assert ref.true_a.var_off == Tnum(0x4, 0xFB)
    assert ref.false_a.var_off == Tnum(0, 0xFB)
    ref = reg_set_min_max(a, jmp_imm(0x6), op.JSET)
    assert ref.true_a.var_off == Tnum(0, 0xFF)  # two bits: nothing learnt
    assert ref.false_a.var_off == Tnum(0, 0xF9)


def test_range_refinement_example():
    # "if r1 < 1000" on a u16 (verifier.c find_good_pkt_pointers comments use
    # the same shape): the taken branch gets umax=999, the other umin=1000.
    a = coerce_reg_to_size(Scalar.unknown(), 2)
    ref = reg_set_min_max(a, jmp_imm(1000), op.JLT)
    assert (ref.true_a.umin, ref.true_a.umax) == (0, 999)
    assert (ref.false_a.umin, ref.false_a.umax) == (1000, 0xFFFF)


def test_dead_branch_by_simulation():
    # simulate_both_branches_taken: a branch whose refinement gives min > max
    # is dead.  a is in u64 [0x100000000, 0x1000000ff] with low half in
    # [0, 255]; "if a s< 0" is decided by ranges, while "if w_a == 300"
    # (jmp32) is decided from u32 ranges.
    a = Scalar.from_bounds(umin=1 << 32, umax=(1 << 32) + 255)
    assert is_branch_taken(a, jmp_imm(0), op.JSLT) == 0
    assert is_branch_taken(a, jmp_imm(300), op.JEQ, True) == 0


def test_selftest_bounds_deduction_cross_sign_boundary():
    # selftests/bpf/progs/verifier_bounds.c, "bounds deduction cross sign
    # boundary, positive overlap": r0 = (s8)r0; r1 = 0xffffffffffffff00;
    # __msg("3: (2d) if r0 > r1 {{.*}} R0=scalar(smin=smin32=0,smax=umax=
    #        smax32=umax32=127,var_off=(0x0; 0x7f))")  (fall-through state)
    r0 = coerce_reg_to_size_sx(Scalar.unknown(), 1)
    ref = reg_set_min_max(r0, jmp_imm(-256), op.JGT)
    assert format_scalar(ref.false_a) == \
        "scalar(smin=smin32=0,smax=umax=smax32=umax32=127,var_off=(0x0; 0x7f))"
    # "... two overlaps": r1 = 0xffffffffffffff80 - nothing new can be deduced
    # __msg("3: (2d) if r0 > r1 {{.*}} R0=scalar(smin=smin32=-128,smax=smax32=127,
    #        umax=0xffffffffffffff80)")
    ref = reg_set_min_max(r0, jmp_imm(-128), op.JGT)
    assert format_scalar(ref.false_a) == \
        "scalar(smin=smin32=-128,smax=smax32=127,umax=0xffffffffffffff80)"


def test_single_overlap_collapses_to_constant():
    # verifier.c __update_reg64_bounds: "The u64 range and the tnum only
    # overlap in between umin (excluded) and umax" -> ___mark_reg_known.
    # r0 &= 0xf0; if r0 < 1 goto; if r0 > 31 goto  (fall-through: r0 == 16);
    # Linux 6.18 prints "3: (25) if r0 > 0x1f goto pc+1 ; R0=16" for it.
    from verifier.scalar import alu

    a = alu(op.AND, Scalar.unknown(), Scalar.const(0xF0), alu64=True)
    a = reg_set_min_max(a, jmp_imm(1), op.JLT).false_a
    assert (a.umin, a.umax) == (1, 240)  # umin is not moved to the next member
    a = reg_set_min_max(a, jmp_imm(31), op.JGT).false_a
    assert format_scalar(a) == "16"


def test_selftest_disagreeing_tnums():
    # verifier_bounds.c "dead jne/jeq branch due to disagreeing tnums":
    #   w0 = w0; r0 >>= 30; r0 <<= 30; r1 = r0; r1 += 1024;
    #   if r1 != r0 goto +1   /  if r1 == r0 goto +1
    # both programs load only because the r10 write is proven dead.
    from verifier.scalar import alu, mov

    r0 = mov(Scalar.unknown(), alu64=False)
    r0 = alu(op.RSH, r0, Scalar.const(30), alu64=True)
    r0 = alu(op.LSH, r0, Scalar.const(30), alu64=True)
    r1 = alu(op.ADD, r0, Scalar.const(1024), alu64=True)
    assert is_branch_taken(r1, r0, op.JNE) == 1
    assert is_branch_taken(r1, r0, op.JEQ) == 0


# --- differential check against the live kernel's verifier log ---------------
#
# Oracle 2 of DESIGN.md: r0 and r6 become unrelated unknown scalars, a few
# ALU ops shape them, then "if r0 <op> (r6 | imm) goto +1".  From the kernel's
# log_level 2 output we read its prediction (a "from J to J+2" line means both
# branches were explored; otherwise only one exit was reached), the
# fall-through state (printed on the jump line) and the jump state (printed on
# the "from" line); all must equal ours.

import re  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

from verifier.scalar import alu_paths, format_scalar, mov  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from oracles import kernel as kernel_oracle  # noqa: E402
import seeds  # noqa: E402
from tests.support.kernel_log import raw_insn as _insn, reg_text  # noqa: E402
from tests.support.skips import needs_kernel  # noqa: E402


_SHAPERS = ((op.AND, True), (op.AND, False), (op.RSH, True), (op.ARSH, True),
            (op.ADD, True), (op.ADD, False), (op.OR, True), (op.MOV, True),
            (op.MOV, False), (op.SUB, True), (op.XOR, False))


def _shaper_imm(rng, opc, alu64):
    if opc in (op.RSH, op.ARSH):
        return rng.choice((1, 8, 32, 48, 56, 60, 62, 63)) if alu64 else rng.randrange(32)
    return rng.choice((0xFF, 0xFFFF, 0x7FFFFFFF, -1, -256, 1 << rng.randrange(31),
                       rng.randrange(-100, 100), rng.getrandbits(31)))


@needs_kernel
def test_matches_live_kernel_log():
    rng, seed_text = seeds.rng(31337)
    compared, outcomes = 0, {-1: 0, 0: 0, 1: 0}
    for _ in range(2000):
        code = [_insn(0x85, imm=7), _insn(op.ALU64 | op.MOV | op.X, 6, 0), _insn(0x85, imm=7)]
        regs = {0: Scalar.unknown(), 6: Scalar.unknown()}
        forked = False
        for _ in range(rng.randrange(0, 4)):
            d = rng.choice((0, 6))
            opc, alu64 = rng.choice(_SHAPERS)
            cls = op.ALU64 if alu64 else op.ALU
            if opc == op.MOV:
                off = rng.choice((8, 16, 32)) if alu64 else 0
                code.append(_insn(cls | op.MOV | op.X, d, d, off))
                regs[d] = mov(regs[d], alu64=alu64, off=off)
            else:
                imm = _shaper_imm(rng, opc, alu64)
                code.append(_insn(cls | opc | op.K, d, 0, 0, imm))
                paths = alu_paths(opc, regs[d], Scalar.const(imm & M64), alu64=alu64)
                regs[d] = paths[0]
                forked |= len(paths) > 1
        if forked:
            continue  # the kernel splits the state; keep the log simple
        opc, jmp32 = rng.choice(CONDS), rng.random() < 0.4
        cls = op.JMP32 if jmp32 else op.JMP
        xform = rng.random() < 0.4
        j = len(code)
        a = regs[0]
        if xform:
            code.append(_insn(cls | opc | op.X, 0, 6, 1))
            b = regs[6]
        else:  # an immediate on or next to one of r0's bounds
            imm = rng.choice((a.umin, a.umax, a.smin, a.smax, a.s32_min, a.s32_max,
                              a.u32_min, a.u32_max, 0, 1, -1)) + rng.choice((-1, 0, 1))
            imm = ((imm & M32) ^ 0x80000000) - 0x80000000
            code.append(_insn(cls | opc | op.K, 0, 0, 1, imm))
            b = jmp_imm(imm)
        code += [_insn(0x95), _insn(0x95)]
        res = kernel_oracle.prog_load(b"".join(code), "socket_filter", log_level=2)
        assert res.accepted, (seed_text, res.log[-500:])
        res.close()
        log = res.log
        mfrom = re.search(r"^from %d to %d: (.*)$" % (j, j + 2), log, re.M)
        if mfrom:
            kpred = -1
        elif re.search(r"^%d: \(95\)" % (j + 1), log, re.M):
            kpred = 0
        else:
            kpred = 1
        outcomes[kpred] += 1
        ctx = (seed_text, hex(opc), jmp32, format_scalar(a), format_scalar(b), log)
        assert is_branch_taken(a, b, opc, jmp32) == kpred, ctx
        if kpred != -1:
            continue
        ref = reg_set_min_max(a, b, opc, jmp32)
        jline = next(line for line in log.splitlines()
                     if re.match(r"^%d: \(\w\w\) [^;]*; " % j, line)).split("; ", 1)[1]
        pairs = [(0, ref.false_a, ref.true_a)]
        if xform:
            pairs.append((6, ref.false_b, ref.true_b))
        for regno, fstate, tstate in pairs:
            kf = reg_text(jline, regno)
            if kf is not None:  # the jump line shows the registers it touched
                assert kf == format_scalar(fstate), ctx
            assert reg_text(mfrom.group(1), regno) == format_scalar(tstate), ctx
            compared += 1
    assert compared > 1000 and min(outcomes.values()) > 50, outcomes


@needs_kernel
def test_sequences_with_branches_match_live_kernel():
    # Longer straight-line programs with conditional exits in between: the
    # fall-through state of every undecided jump feeds the following ALU ops,
    # so prediction, refinement and the ALU transfer functions are checked in
    # combination, instruction by instruction, against the kernel's log.
    rng = random.Random(2718)
    alu_ops = (op.ADD, op.SUB, op.MUL, op.AND, op.OR, op.XOR, op.LSH, op.RSH, op.ARSH)
    compared = 0
    for _ in range(1500):
        code = [_insn(0x85, imm=7), _insn(op.ALU64 | op.MOV | op.X, 6, 0), _insn(0x85, imm=7)]
        regs = {0: Scalar.unknown(), 6: Scalar.unknown()}
        plan = []  # (insn index, kind, payload)
        jumps = []
        for _ in range(rng.randrange(2, 9)):
            d = rng.choice((0, 6))
            if rng.random() < 0.4:
                opc, jmp32 = rng.choice(CONDS), rng.random() < 0.4
                cls = op.JMP32 if jmp32 else op.JMP
                if rng.random() < 0.3:
                    s, imm = 6 - d, 0
                    code.append(_insn(cls | opc | op.X, d, s, 0))
                else:
                    a = regs[d]
                    s = None
                    imm = rng.choice((a.umin, a.umax, a.smin, a.smax, a.s32_min, a.s32_max,
                                      0, 1, -1, 0x80)) + rng.choice((-1, 0, 1))
                    imm = ((imm & M32) ^ 0x80000000) - 0x80000000
                    code.append(_insn(cls | opc | op.K, d, 0, 0, imm))
                jumps.append(len(code) - 1)
                plan.append((len(code) - 1, "jmp", (d, s, imm, opc, jmp32)))
            else:
                opc, alu64 = rng.choice(alu_ops), rng.random() < 0.6
                cls = op.ALU64 if alu64 else op.ALU
                if opc in (op.LSH, op.RSH, op.ARSH):
                    imm = rng.randrange(64 if alu64 else 32)
                else:
                    imm = rng.choice((0xFF, 0xFFFF, -1, -256, 1 << rng.randrange(31),
                                      rng.randrange(-100, 100), rng.getrandbits(31)))
                code.append(_insn(cls | opc | op.K, d, 0, 0, imm))
                plan.append((len(code) - 1, "alu", (d, opc, alu64, imm)))
        exit_idx = len(code)  # every jump goes to the final exit
        code.append(_insn(0x95))
        for j in jumps:
            c = bytearray(code[j])
            c[2:4] = (exit_idx - j - 1).to_bytes(2, "little", signed=True)
            code[j] = bytes(c)
        res = kernel_oracle.prog_load(b"".join(code), "socket_filter", log_level=2)
        assert res.accepted, res.log[-500:]
        res.close()
        first: dict[int, str] = {}
        for line in res.log.splitlines():
            m = re.match(r"^(\d+): \(\w\w\) (.*)$", line)
            if m and int(m.group(1)) not in first:
                first[int(m.group(1))] = m.group(2)
        for idx, kind, p in plan:
            line = first.get(idx)
            assert line is not None, (idx, res.log)  # we never predicted this dead
            state = line.split("; ", 1)[1] if "; " in line else ""
            if kind == "alu":
                d, opc, alu64, imm = p
                paths = alu_paths(opc, regs[d], Scalar.from_imm(imm), alu64=alu64)
                regs[d] = paths[0]
                assert reg_text(state, d) == format_scalar(regs[d]), (p, line, res.log)
                compared += 1
                if len(paths) > 1:
                    break  # the kernel forks here; stop following this program
                continue
            d, s, imm, opc, jmp32 = p
            other = regs[s] if s is not None else jmp_imm(imm)
            pred = is_branch_taken(regs[d], other, opc, jmp32)
            if pred == 1:
                break  # the rest is dead code for the kernel as well
            if pred == 0:
                assert not state.strip(), (p, line)  # no refinement printed
                continue
            ref = reg_set_min_max(regs[d], other, opc, jmp32)
            regs[d] = ref.false_a
            if s is not None:
                regs[s] = ref.false_b
                assert reg_text(state, s) in (None, format_scalar(regs[s])), (p, line)
            assert reg_text(state, d) == format_scalar(regs[d]), (p, line, res.log)
            compared += 1
    assert compared > 3000


def _concrete_alu(opc, d, s, alu64):
    bits = 64 if alu64 else 32
    m = (1 << bits) - 1
    a, b = d & m, s & m
    r = {op.ADD: lambda: a + b, op.SUB: lambda: a - b, op.MUL: lambda: a * b,
         op.AND: lambda: a & b, op.OR: lambda: a | b, op.XOR: lambda: a ^ b,
         op.LSH: lambda: a << (b & (bits - 1)), op.RSH: lambda: a >> (b & (bits - 1)),
         op.ARSH: lambda: sx(a, bits) >> (b & (bits - 1)), op.NEG: lambda: -a}[opc]()
    return r & m


def test_random_traces_stay_sound():
    # Abstract states produced by our own transfer functions (not just tight
    # abstractions of sets) keep containing every concrete run: a set of
    # concrete register values is pushed through random ALU ops and random
    # conditional jumps (keeping the values that take the chosen branch).
    from verifier.scalar import alu

    rng = random.Random(99)
    ops = (op.ADD, op.SUB, op.MUL, op.AND, op.OR, op.XOR, op.LSH, op.RSH, op.ARSH, op.NEG)
    steps = 0
    for _ in range(400):
        vals = rand_set(rng, 12)
        st = abstract(vals)
        for _ in range(12):
            if rng.random() < 0.6:
                opc, alu64 = rng.choice(ops), rng.random() < 0.6
                bits = 64 if alu64 else 32
                if opc in (op.LSH, op.RSH, op.ARSH):
                    k = rng.randrange(bits)
                else:
                    k = rng.choice((rng.getrandbits(bits), rng.randrange(-300, 300) & M64,
                                    0xFF, 0xFFFF, 1 << rng.randrange(bits)))
                st = alu(opc, st, Scalar.const(k), alu64=alu64)
                vals = [_concrete_alu(opc, v, k, alu64) for v in vals]
            else:
                opc, jmp32 = rng.choice(CONDS), rng.random() < 0.4
                k = rng.choice(vals) + rng.choice((-1, 0, 1))
                pred, ref = cond_jmp(st, Scalar.const(k & M64), opc, jmp32)
                taken = [v for v in vals if holds(opc, v, k, jmp32)]
                fall = [v for v in vals if not holds(opc, v, k, jmp32)]
                assert pred == -1 or (pred == 1 and not fall) or (pred == 0 and not taken)
                go_taken = pred == 1 or (pred == -1 and taken and (not fall or rng.random() < 0.5))
                st, vals = (ref.true_a, taken) if go_taken else (ref.false_a, fall)
                if not vals:
                    break  # the branch we followed has no concrete run
            for v in vals:
                assert st.contains(v), (format_scalar(st), hex(v))
            steps += 1
    assert steps > 2000
