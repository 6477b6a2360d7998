"""Conditional jumps on scalars: branch prediction and range refinement.

``is_branch_taken`` answers "is ``a <op> b`` always true (1), always false
(0), or unknown (-1)?" and ``reg_set_min_max`` returns both operands refined
for the taken and the fall-through branch.  The logic is our own Python
rendering of the kernel's ``kernel/bpf/verifier.c`` (bpf-next, 2026):
``is_scalar_branch_taken`` (including the newer ``simulate_both_branches_taken``
fallback that declares a branch dead when refining it yields ill-formed
bounds), ``regs_refine_cond_op``, ``flip_opcode``, ``rev_opcode`` and
``reg_set_min_max``.  Only scalars are handled here; pointer comparisons are
the verifier core's business.

API: ``is_branch_taken(a, b, opc, is_jmp32, same_reg=False) -> 1/0/-1``;
``reg_set_min_max(...) -> Refined(true_a, true_b, false_a, false_b)``;
``cond_jmp(...) -> (pred, Refined)`` does both at once (decided jumps come
back unrefined, as in the kernel; ``predict`` returns None for them), computing
each refinement once; ``jmp_imm(imm)`` is the BPF_K operand, and
``predict_k(a, imm, ...) -> (pred, true_a, false_a)`` is ``predict`` against it
(the verifier's ``if rD <op> K``).
``opc`` is an isa.opcodes jump op (JEQ ... JSET); ``JSET_NOT`` is the
kernel's encoding of "not JSET" for the false branch.

``predict`` (the verifier's path) refines two distinct registers on plain
fields (:mod:`verifier.branch_fields`, JSET excepted) rather than on mutable ``_Reg``
copies; ``regs_refine_cond_op`` stays the reference the other entry points
use, and the tests compare the two.
"""

from __future__ import annotations

from typing import NamedTuple

from isa import opcodes as op
from isa.ints import s32, s64, u32, u64
from verifier.branch_fields import equal_side, refine_fields, synced
from verifier.scalar_bounds import Scalar, _mark_unbounded, _Reg, reg_bounds_sync
from verifier.tnum import (
    Tnum, tnum_and, tnum_const, tnum_intersect, tnum_is_const, tnum_or, tnum_overlap,
    tnum_subreg, tnum_subreg_is_const, tnum_with_subreg,
)

#: The kernel encodes "not JSET" (the false branch of JSET) as JSET | BPF_X.
JSET_NOT = op.JSET | op.X

_FLIP = {op.JEQ: op.JEQ, op.JNE: op.JNE, op.JSET: op.JSET,
         op.JGE: op.JLE, op.JGT: op.JLT, op.JLE: op.JGE, op.JLT: op.JGT,
         op.JSGE: op.JSLE, op.JSGT: op.JSLT, op.JSLE: op.JSGE, op.JSLT: op.JSGT}

_REV = {op.JEQ: op.JNE, op.JNE: op.JEQ, op.JSET: JSET_NOT, JSET_NOT: op.JSET,
        op.JGE: op.JLT, op.JGT: op.JLE, op.JLE: op.JGT, op.JLT: op.JGE,
        op.JSGE: op.JSLT, op.JSGT: op.JSLE, op.JSLE: op.JSGT, op.JSLT: op.JSGE}


def flip_opcode(opc: int) -> int:
    """How ``a <op> b`` reads as ``b <op'> a``."""
    return _FLIP[opc]


def rev_opcode(opc: int) -> int:
    """The condition of the fall-through (false) branch."""
    return _REV[opc]


def _is_reg_const(r, is_jmp32: bool) -> bool:
    return tnum_subreg_is_const(r.var_off) if is_jmp32 else tnum_is_const(r.var_off)


def _reg_const_value(r, is_jmp32: bool) -> int:
    return tnum_subreg(r.var_off).value if is_jmp32 else r.var_off.value


class Refined(NamedTuple):
    """Both operands after a conditional jump, per branch."""

    true_a: Scalar
    true_b: Scalar
    false_a: Scalar
    false_b: Scalar


def regs_refine_cond_op(r1: _Reg, r2: _Reg, opc: int, is_jmp32: bool) -> None:
    """kernel: regs_refine_cond_op - refine ``r1 <opc> r2`` assumed true,
    in place, without the follow-up reg_bounds_sync."""
    # GE/GT/SGE/SGT reuse the LE/LT/SLE/SLT logic with operands swapped
    if opc in (op.JGE, op.JGT, op.JSGE, op.JSGT):
        opc = flip_opcode(opc)
        r1, r2 = r2, r1

    if opc == op.JEQ:
        if is_jmp32:
            r1.u32_min = max(r1.u32_min, r2.u32_min)
            r1.u32_max = min(r1.u32_max, r2.u32_max)
            r1.s32_min = max(r1.s32_min, r2.s32_min)
            r1.s32_max = min(r1.s32_max, r2.s32_max)
            r2.u32_min, r2.u32_max = r1.u32_min, r1.u32_max
            r2.s32_min, r2.s32_max = r1.s32_min, r1.s32_max
            t = tnum_intersect(tnum_subreg(r1.var_off), tnum_subreg(r2.var_off))
            r1.var_off = tnum_with_subreg(r1.var_off, t)
            r2.var_off = tnum_with_subreg(r2.var_off, t)
        else:
            r1.umin = max(r1.umin, r2.umin)
            r1.umax = min(r1.umax, r2.umax)
            r1.smin = max(r1.smin, r2.smin)
            r1.smax = min(r1.smax, r2.smax)
            r2.umin, r2.umax, r2.smin, r2.smax = r1.umin, r1.umax, r1.smin, r1.smax
            r1.var_off = tnum_intersect(r1.var_off, r2.var_off)
            r2.var_off = r1.var_off
    elif opc == op.JNE:
        if not _is_reg_const(r2, is_jmp32):
            r1, r2 = r2, r1
        if not _is_reg_const(r2, is_jmp32):
            return
        # a constant sitting exactly on an edge of r1's range shrinks it
        val = _reg_const_value(r2, is_jmp32)
        if is_jmp32:
            if r1.u32_min == u32(val):
                r1.u32_min = u32(r1.u32_min + 1)
            if r1.u32_max == u32(val):
                r1.u32_max = u32(r1.u32_max - 1)
            if r1.s32_min == s32(val):
                r1.s32_min = s32(r1.s32_min + 1)
            if r1.s32_max == s32(val):
                r1.s32_max = s32(r1.s32_max - 1)
        else:
            if r1.umin == u64(val):
                r1.umin = u64(r1.umin + 1)
            if r1.umax == u64(val):
                r1.umax = u64(r1.umax - 1)
            if r1.smin == s64(val):
                r1.smin = s64(r1.smin + 1)
            if r1.smax == s64(val):
                r1.smax = s64(r1.smax - 1)
    elif opc == op.JSET:
        if not _is_reg_const(r2, is_jmp32):
            r1, r2 = r2, r1
        if not _is_reg_const(r2, is_jmp32):
            return
        val = _reg_const_value(r2, is_jmp32)
        # "r1 & val" true only pins a bit down when val is a single bit
        if not val or val & (val - 1):
            return
        if is_jmp32:
            t = tnum_or(tnum_subreg(r1.var_off), tnum_const(val))
            r1.var_off = tnum_with_subreg(r1.var_off, t)
        else:
            r1.var_off = tnum_or(r1.var_off, tnum_const(val))
    elif opc == JSET_NOT:
        if not _is_reg_const(r2, is_jmp32):
            r1, r2 = r2, r1
        if not _is_reg_const(r2, is_jmp32):
            return
        val = _reg_const_value(r2, is_jmp32)
        # forget ranges before narrowing the tnum, so a dead branch cannot
        # produce an invariant violation; reg_bounds_sync relearns them
        _mark_unbounded(r1)
        if is_jmp32:
            t = tnum_and(tnum_subreg(r1.var_off), tnum_const(~val))
            r1.var_off = tnum_with_subreg(r1.var_off, t)
        else:
            r1.var_off = tnum_and(r1.var_off, tnum_const(~val))
    elif opc == op.JLE:
        if is_jmp32:
            r1.u32_max = min(r1.u32_max, r2.u32_max)
            r2.u32_min = max(r1.u32_min, r2.u32_min)
        else:
            r1.umax = min(r1.umax, r2.umax)
            r2.umin = max(r1.umin, r2.umin)
    elif opc == op.JLT:
        # C arithmetic: these +1/-1 wrap, exactly as in the kernel
        if is_jmp32:
            r1.u32_max = min(r1.u32_max, u32(r2.u32_max - 1))
            r2.u32_min = max(u32(r1.u32_min + 1), r2.u32_min)
        else:
            r1.umax = min(r1.umax, u64(r2.umax - 1))
            r2.umin = max(u64(r1.umin + 1), r2.umin)
    elif opc == op.JSLE:
        if is_jmp32:
            r1.s32_max = min(r1.s32_max, r2.s32_max)
            r2.s32_min = max(r1.s32_min, r2.s32_min)
        else:
            r1.smax = min(r1.smax, r2.smax)
            r2.smin = max(r1.smin, r2.smin)
    elif opc == op.JSLT:
        if is_jmp32:
            r1.s32_max = min(r1.s32_max, s32(r2.s32_max - 1))
            r2.s32_min = max(s32(r1.s32_min + 1), r2.s32_min)
        else:
            r1.smax = min(r1.smax, s64(r2.smax - 1))
            r2.smin = max(s64(r1.smin + 1), r2.smin)


def _violated(r: _Reg) -> bool:
    """kernel: range_bounds_violation."""
    return (r.umin > r.umax or r.smin > r.smax
            or r.u32_min > r.u32_max or r.s32_min > r.s32_max)


def _fields(r: _Reg) -> tuple:
    return (r.var_off, r.smin, r.smax, r.umin, r.umax, r.s32_min, r.s32_max, r.u32_min,
            r.u32_max)


def _sync(r: _Reg, orig: Scalar) -> None:
    """reg_bounds_sync(r), where ``r`` began as ``orig``.  A known constant in its
    exact form (every bound the value: Scalar.const, the BPF_K operand) is a fixed
    point of reg_bounds_sync, so when the refinement left it untouched there is
    nothing to do."""
    vo = orig.var_off
    if vo.mask == 0 and orig == _const(vo.value) and _fields(r) == orig:
        return
    reg_bounds_sync(r)


_const = Scalar.const


def _refine_pair(a: Scalar, b: Scalar, opc: int, is_jmp32: bool) -> tuple[_Reg, _Reg]:
    r1, r2 = _Reg.of(a), _Reg.of(b)
    regs_refine_cond_op(r1, r2, opc, is_jmp32)
    _sync(r1, a)
    _sync(r2, b)
    return r1, r2


def _branch_taken_by_ranges(a: Scalar, b: Scalar, opc: int, is_jmp32: bool,
                            same_reg: bool) -> int | None:
    """The direct checks of is_scalar_branch_taken; None means "ask
    simulate_both_branches_taken"."""
    t1, smin1, smax1, umin1, umax1, s32min1, s32max1, u32min1, u32max1 = a
    t2, smin2, smax2, umin2, umax2, s32min2, s32max2, u32min2, u32max2 = b
    if is_jmp32:
        # tnum_subreg, inline
        t1 = _new(Tnum, (t1.value & 0xFFFFFFFF, t1.mask & 0xFFFFFFFF))
        t2 = _new(Tnum, (t2.value & 0xFFFFFFFF, t2.mask & 0xFFFFFFFF))
        umin1, umax1, smin1, smax1 = u32min1, u32max1, s32min1, s32max1
        umin2, umax2, smin2, smax2 = u32min2, u32max2, s32min2, s32max2

    if same_reg:
        if opc in (op.JGE, op.JLE, op.JSGE, op.JSLE, op.JEQ):
            return 1
        if opc in (op.JGT, op.JLT, op.JSGT, op.JSLT, op.JNE):
            return 0
        if opc == op.JSET:
            if tnum_is_const(t1):
                return int(t1.value != 0)
            return -1 if smin1 <= 0 <= smax1 else 1
        return -1

    if opc in (op.JEQ, op.JNE):
        eq_known = None  # True: always equal, False: never equal
        if not t1.mask and not t2.mask:
            eq_known = t1.value == t2.value
        elif (not tnum_overlap(t1, t2)
              or umin1 > umax2 or umax1 < umin2
              or smin1 > smax2 or smax1 < smin2):
            eq_known = False
        elif not is_jmp32 and (u32min1 > u32max2 or u32max1 < u32min2
                               or s32min1 > s32max2 or s32max1 < s32min2):
            # 64-bit ranges inconclusive: the subregisters may still differ
            eq_known = False
        if eq_known is not None:
            return int(eq_known) if opc == op.JEQ else int(not eq_known)
    elif opc == op.JSET:
        if not _is_reg_const(b, is_jmp32):
            a, b, t1, t2 = b, a, t2, t1
        if not _is_reg_const(b, is_jmp32):
            return -1
        if (~t1.mask & t1.value) & t2.value:
            return 1  # a known-one bit is tested
        if not ((t1.mask | t1.value) & t2.value):
            return 0  # every tested bit is known zero
    elif opc in _ORDER_OPS:
        return _order_taken(opc, umin1, umax1, smin1, smax1, umin2, umax2, smin2, smax2)
    else:
        raise ValueError("not a conditional jump op: %#x" % opc)
    return None


_ORDER_OPS = frozenset({op.JGT, op.JSGT, op.JLT, op.JSLT, op.JGE, op.JSGE, op.JLE, op.JSLE})


def _order_taken(opc: int, umin1: int, umax1: int, smin1: int, smax1: int,
                 umin2: int, umax2: int, smin2: int, smax2: int) -> int | None:
    """The ordering compares of is_scalar_branch_taken on the two operands' unsigned and
    signed ranges (64-bit, or the 32-bit ones for JMP32): 1 always taken, 0 never, None
    when the ranges overlap."""
    if opc == op.JGT:
        if umin1 > umax2:
            return 1
        if umax1 <= umin2:
            return 0
    elif opc == op.JSGT:
        if smin1 > smax2:
            return 1
        if smax1 <= smin2:
            return 0
    elif opc == op.JLT:
        if umax1 < umin2:
            return 1
        if umin1 >= umax2:
            return 0
    elif opc == op.JSLT:
        if smax1 < smin2:
            return 1
        if smin1 >= smax2:
            return 0
    elif opc == op.JGE:
        if umin1 >= umax2:
            return 1
        if umax1 < umin2:
            return 0
    elif opc == op.JSGE:
        if smin1 >= smax2:
            return 1
        if smax1 < smin2:
            return 0
    elif opc == op.JLE:
        if umax1 <= umin2:
            return 1
        if umin1 > umax2:
            return 0
    elif opc == op.JSLE:
        if smax1 <= smin2:
            return 1
        if smin1 > smax2:
            return 0
    return None


def is_branch_taken(a: Scalar, b: Scalar, opc: int, is_jmp32: bool = False, *,
                    same_reg: bool = False) -> int:
    """kernel: is_scalar_branch_taken for ``if a <opc> b goto``.

    Returns 1 (always taken), 0 (never taken) or -1 (unknown).  ``same_reg``
    says both operands are the same register (``if r1 > r1``), which the
    kernel detects by pointer identity.
    """
    pred = _branch_taken_by_ranges(a, b, opc, is_jmp32, same_reg)
    if pred is not None:
        return pred
    return _simulate_both_branches_taken(a, b, opc, is_jmp32)


def cond_jmp(a: Scalar, b: Scalar, opc: int, is_jmp32: bool = False, *,
             same_reg: bool = False) -> tuple[int, Refined]:
    """Both steps of the kernel's check_cond_jmp_op for two scalars at once:
    the prediction (as :func:`is_branch_taken`) and the per-branch states.

    When the outcome is decided (0 or 1) the kernel follows one branch and
    does not refine, so the operands come back unchanged; otherwise the
    refined states of :func:`reg_set_min_max`.  Computing the refinements
    once serves both the simulate_both_branches_taken check and the result.
    """
    pred, ref = predict(a, b, opc, is_jmp32, same_reg)
    return pred, Refined(a, b, a, b) if ref is None else ref


def predict(a: Scalar, b: Scalar, opc: int, is_jmp32: bool,
            same_reg: bool = False) -> tuple[int, Refined | None]:
    """:func:`cond_jmp` for the verifier's conditional jump: the refined operands
    only where the outcome is unknown (None where it is decided)."""
    pred = _branch_taken_by_ranges(a, b, opc, is_jmp32, same_reg)
    if pred is not None and pred >= 0:
        return pred, None
    if pred is not None and same_reg:       # unknown: reg_set_min_max learns nothing
        return -1, Refined(a, b, a, b)
    if opc != op.JSET and not same_reg:
        return _predict_fields(a, b, opc, is_jmp32, pred)
    f1, f2 = _refine_pair(a, b, _REV[opc], is_jmp32)
    if pred is None and (_violated(f1) or _violated(f2)):
        return 1, None
    t1, t2 = _refine_pair(a, b, opc, is_jmp32)
    if pred is None and (_violated(t1) or _violated(t2)):
        return 0, None
    # unknown (by the ranges, or after simulate_both_branches_taken): both branches
    return -1, Refined(t1.freeze(), t2.freeze(), f1.freeze(), f2.freeze())


# --- the same on plain fields ----------------------------------------------------------
# predict() for two distinct registers and every condition but JSET, without the
# mutable _Reg copies: regs_refine_cond_op and the follow-up reg_bounds_sync on the
# nine fields as tuples (Scalar is one).  It must agree exactly with _refine_pair
# (tests/verifier/test_branch.py compares the two on random operands).

_EQ_FIELDS = frozenset({op.JEQ, op.JNE})


def _predict_fields(a: Scalar, b: Scalar, opc: int, is_jmp32: bool, pred) -> tuple:
    # an exact constant (Scalar.const) the refinement leaves untouched needs no sync
    # _violated on the nine fields, inline below: umin > umax, smin > smax, u32, s32
    a_k = a[0].mask == 0 and a == _const(a[0].value)
    b_k = b[0].mask == 0 and b == _const(b[0].value)
    eq = None
    if pred is None and b_k and opc in _EQ_FIELDS:
        eq = equal_side(a, b, True) if is_jmp32 else b     # (64-bit: b itself)
    if eq is not None:
        x, y = refine_fields(a, b, op.JNE, is_jmp32)
        x = a if a_k and x == a else synced(x)
        y = b if y == b else synced(y)
        if (x[3] > x[4] or x[1] > x[2] or x[7] > x[8] or x[5] > x[6]
                or y[3] > y[4] or y[1] > y[2] or y[7] > y[8] or y[5] > y[6]):
            return (1, None) if opc == op.JEQ else (0, None)
        x, y = _new(Scalar, x), _new(Scalar, y)
        return -1, (Refined(eq, b, x, y) if opc == op.JEQ else Refined(x, y, eq, b))
    x, y = refine_fields(a, b, _REV[opc], is_jmp32)
    f1 = a if a_k and x == a else synced(x)
    f2 = b if b_k and y == b else synced(y)
    if pred is None and (f1[3] > f1[4] or f1[1] > f1[2] or f1[7] > f1[8] or f1[5] > f1[6]
                         or f2[3] > f2[4] or f2[1] > f2[2] or f2[7] > f2[8] or f2[5] > f2[6]):
        return 1, None
    x, y = refine_fields(a, b, opc, is_jmp32)
    t1 = a if a_k and x == a else synced(x)
    t2 = b if b_k and y == b else synced(y)
    if pred is None and (t1[3] > t1[4] or t1[1] > t1[2] or t1[7] > t1[8] or t1[5] > t1[6]
                         or t2[3] > t2[4] or t2[1] > t2[2] or t2[7] > t2[8] or t2[5] > t2[6]):
        return 0, None
    return -1, Refined(_new(Scalar, t1), _new(Scalar, t2), _new(Scalar, f1), _new(Scalar, f2))


# --- the BPF_K form ------------------------------------------------------------------------
# ``if rD <op> K`` with rD a scalar, the verifier's most frequent conditional jump: the
# same answers as predict(a, jmp_imm(imm), ...) (tests/verifier/test_branch.py compares
# them), with the constant's fields read as plain ints and only rD's refinements built.

def _taken_k(a: Scalar, imm: int, opc: int, is_jmp32: bool) -> int | None:
    """_branch_taken_by_ranges(a, jmp_imm(imm), ...) for two distinct registers."""
    v = ((imm & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000      # the constant, signed
    t1, smin1, smax1, umin1, umax1, s32min1, s32max1, u32min1, u32max1 = a
    if is_jmp32:
        k = v & 0xFFFFFFFF                                  # ... and unsigned
        tv, tm = t1.value & 0xFFFFFFFF, t1.mask & 0xFFFFFFFF
        umin1, umax1, smin1, smax1 = u32min1, u32max1, s32min1, s32max1
    else:
        k = v & U64
        tv, tm = t1
    if opc == op.JEQ or opc == op.JNE:
        eq_known = None  # True: always equal, False: never equal
        if not tm:
            eq_known = tv == k
        elif ((tv & ~tm) != (k & ~tm)                       # not tnum_overlap
              or umin1 > k or umax1 < k or smin1 > v or smax1 < v):
            eq_known = False
        elif not is_jmp32 and (u32min1 > k & 0xFFFFFFFF or u32max1 < k & 0xFFFFFFFF
                               or s32min1 > v or s32max1 < v):
            eq_known = False
        if eq_known is not None:
            return int(eq_known) if opc == op.JEQ else int(not eq_known)
    elif opc in _ORDER_OPS:
        return _order_taken(opc, umin1, umax1, smin1, smax1, k, k, v, v)
    elif opc == op.JSET:
        if (~tm & tv) & k:
            return 1  # a known-one bit is tested
        if not ((tm | tv) & k):
            return 0  # every tested bit is known zero
    else:
        raise ValueError("not a conditional jump op: %#x" % opc)
    return None


def predict_k(a: Scalar, imm: int, opc: int, is_jmp32: bool) -> tuple:
    """:func:`predict` for ``a <opc> K`` (K = ``imm``): ``(pred, true_a, false_a)``, the
    refined ``a`` on the jump and the fall-through side where the outcome is unknown
    (None where it is decided)."""
    pred = _taken_k(a, imm, opc, is_jmp32)
    if pred is not None:
        return pred, None, None
    b = jmp_imm(imm)
    if opc == op.JSET:
        pred, ref = predict(a, b, opc, is_jmp32)
        return (pred, None, None) if ref is None else (pred, ref.true_a, ref.false_a)
    # _predict_fields with the constant's sync short cut known to apply
    a_k = a[0].mask == 0 and a == _const(a[0].value)
    if opc in _EQ_FIELDS:
        eq = equal_side(a, b, True) if is_jmp32 else b
        if eq is not None:
            x, y = refine_fields(a, b, op.JNE, is_jmp32)
            x = a if a_k and x == a else synced(x)
            y = b if y == b else synced(y)
            if (x[3] > x[4] or x[1] > x[2] or x[7] > x[8] or x[5] > x[6]
                    or y[3] > y[4] or y[1] > y[2] or y[7] > y[8] or y[5] > y[6]):
                return (1, None, None) if opc == op.JEQ else (0, None, None)
            x = _new(Scalar, x)
            return (-1, eq, x) if opc == op.JEQ else (-1, x, eq)
    x, y = refine_fields(a, b, _REV[opc], is_jmp32)
    f1 = a if a_k and x == a else synced(x)
    f2 = b if y == b else synced(y)
    if (f1[3] > f1[4] or f1[1] > f1[2] or f1[7] > f1[8] or f1[5] > f1[6]
            or f2[3] > f2[4] or f2[1] > f2[2] or f2[7] > f2[8] or f2[5] > f2[6]):
        return 1, None, None
    x, y = refine_fields(a, b, opc, is_jmp32)
    t1 = a if a_k and x == a else synced(x)
    t2 = b if y == b else synced(y)
    if (t1[3] > t1[4] or t1[1] > t1[2] or t1[7] > t1[8] or t1[5] > t1[6]
            or t2[3] > t2[4] or t2[1] > t2[2] or t2[7] > t2[8] or t2[5] > t2[6]):
        return 0, None, None
    return -1, _new(Scalar, t1), _new(Scalar, f1)


_new = tuple.__new__
U64 = (1 << 64) - 1
_HI32 = U64 ^ 0xFFFFFFFF


def _simulate_both_branches_taken(a: Scalar, b: Scalar, opc: int, is_jmp32: bool) -> int:
    """kernel: simulate_both_branches_taken - refinement is sound, so a branch
    whose refined bounds are ill-formed (min > max) cannot be taken."""
    f1, f2 = _refine_pair(a, b, rev_opcode(opc), is_jmp32)
    if _violated(f1) or _violated(f2):
        return 1
    t1, t2 = _refine_pair(a, b, opc, is_jmp32)
    if _violated(t1) or _violated(t2):
        return 0
    return -1


def reg_set_min_max(a: Scalar, b: Scalar, opc: int, is_jmp32: bool = False, *,
                    same_reg: bool = False) -> Refined:
    """kernel: reg_set_min_max - both operands refined for the jump (true)
    and fall-through (false) branch of ``if a <opc> b goto``.

    A branch that cannot be taken may come back with ``bounds_violated()``
    states; callers should consult :func:`is_branch_taken` first, as the
    kernel does.
    """
    if same_reg:  # nothing to learn from comparing a register with itself
        return Refined(a, b, a, b)
    f1, f2 = _refine_pair(a, b, rev_opcode(opc), is_jmp32)
    t1, t2 = _refine_pair(a, b, opc, is_jmp32)
    return Refined(t1.freeze(), t2.freeze(), f1.freeze(), f2.freeze())


def jmp_imm(imm: int) -> Scalar:
    """The constant the kernel compares against for a BPF_K jump: the
    sign-extended imm32 (kernel: __mark_reg_known(fake_reg, insn->imm)); the
    fields of Scalar.from_imm(imm) built directly (every conditional BPF_K jump
    makes one): the value fits s32, so its s64/s32 readings are the same int."""
    v = ((imm & 0xFFFFFFFF) ^ 0x80000000) - 0x80000000      # sext(imm, 32)
    u = v & U64
    lo = v & 0xFFFFFFFF
    return _new(Scalar, (_new(Tnum, (u, 0)), v, v, u, u, v, v, lo, lo))
