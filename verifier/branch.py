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
each refinement once; ``jmp_imm(imm)`` is the BPF_K operand.
``opc`` is an isa.opcodes jump op (JEQ ... JSET); ``JSET_NOT`` is the
kernel's encoding of "not JSET" for the false branch.

``predict`` (the verifier's path) refines two distinct registers on plain
fields (``_refine_fields``, JSET excepted) rather than on mutable ``_Reg``
copies; ``regs_refine_cond_op`` stays the reference the other entry points
use, and the tests compare the two.
"""

from __future__ import annotations

from typing import NamedTuple

from isa import opcodes as op
from isa.ints import s32, s64, u32, u64
from verifier.scalar_bounds import (
    _SYNC_MEMO, _SYNC_MEMO_MAX, Scalar, _bounds_sync, _mark_unbounded, _Reg, reg_bounds_sync,
)
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
    elif opc == op.JGT:
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
    else:
        raise ValueError("not a conditional jump op: %#x" % opc)
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
    a_k = a[0].mask == 0 and a == _const(a[0].value)
    b_k = b[0].mask == 0 and b == _const(b[0].value)
    eq = _equal_side(a, b, is_jmp32) if pred is None and b_k and opc in _EQ_FIELDS else None
    if eq is not None:
        x, y = _refine_fields(a, b, op.JNE, is_jmp32)
        x = a if a_k and x == a else _synced(x)
        y = b if y == b else _synced(y)
        if _violated_f(x) or _violated_f(y):
            return (1, None) if opc == op.JEQ else (0, None)
        x, y = _new(Scalar, x), _new(Scalar, y)
        return -1, (Refined(eq, b, x, y) if opc == op.JEQ else Refined(x, y, eq, b))
    x, y = _refine_fields(a, b, _REV[opc], is_jmp32)
    f1 = a if a_k and x == a else _synced(x)
    f2 = b if b_k and y == b else _synced(y)
    if pred is None and (_violated_f(f1) or _violated_f(f2)):
        return 1, None
    x, y = _refine_fields(a, b, opc, is_jmp32)
    t1 = a if a_k and x == a else _synced(x)
    t2 = b if b_k and y == b else _synced(y)
    if pred is None and (_violated_f(t1) or _violated_f(t2)):
        return 0, None
    return -1, Refined(_new(Scalar, t1), _new(Scalar, t2), _new(Scalar, f1), _new(Scalar, f2))


def _equal_side(a: Scalar, b: Scalar, is_jmp32: bool) -> Scalar | None:
    """The register ``a`` on the side where ``a == b`` holds, ``b`` an exact constant
    and the comparison undecided by the ranges, where it is one known value (None
    where reg_bounds_sync has to work it out).  Undecided means the constant lies in
    every range of ``a`` (for JMP32: every 32-bit range) and in its tnum, so
    regs_refine_cond_op leaves a fully known tnum and bounds that
    __update_reg_bounds pulls onto that value, and an exact constant is a fixed point
    of reg_bounds_sync.  ``b`` itself comes out unchanged."""
    if not is_jmp32:
        return b
    vo = a[0]
    if vo.mask >> 32:
        return None                 # the upper half is not known
    v = (vo.value & _HI32) | b[7]
    sv = v - (1 << 64) if v >> 63 else v
    if a[3] <= v <= a[4] and a[1] <= sv <= a[2]:
        return _const(v)
    return None


def _violated_f(f: tuple) -> bool:
    """_violated on the nine fields."""
    return f[3] > f[4] or f[1] > f[2] or f[7] > f[8] or f[5] > f[6]


def _synced(f: tuple) -> tuple:
    """reg_bounds_sync on the nine fields, through its memo."""
    out = _SYNC_MEMO.get(f)
    if out is None:
        out = _bounds_sync(*f)
        if len(_SYNC_MEMO) >= _SYNC_MEMO_MAX:
            _SYNC_MEMO.clear()
        _SYNC_MEMO[f] = out
    return out


def _refine_fields(a: Scalar, b: Scalar, opc: int, is_jmp32: bool) -> tuple:
    """regs_refine_cond_op(a, b) on two distinct registers: both operands' fields."""
    avo, asmin, asmax, aumin, aumax, as32min, as32max, au32min, au32max = a
    bvo, bsmin, bsmax, bumin, bumax, bs32min, bs32max, bu32min, bu32max = b
    if opc == op.JEQ:
        if is_jmp32:
            au32min = au32min if au32min > bu32min else bu32min
            au32max = au32max if au32max < bu32max else bu32max
            as32min = as32min if as32min > bs32min else bs32min
            as32max = as32max if as32max < bs32max else bs32max
            bu32min, bu32max, bs32min, bs32max = au32min, au32max, as32min, as32max
            # tnum_with_subreg(x, tnum_intersect(tnum_subreg(a), tnum_subreg(b))), inline
            am, bm = avo.mask & 0xFFFFFFFF, bvo.mask & 0xFFFFFFFF
            mu = am & bm
            tv = ((avo.value & 0xFFFFFFFF) | (bvo.value & 0xFFFFFFFF)) & ~mu
            v = (avo.value & _HI32) | tv
            avo = _new(Tnum, (v, ((avo.mask & _HI32) | mu) & ~v))
            v = (bvo.value & _HI32) | tv
            bvo = _new(Tnum, (v, ((bvo.mask & _HI32) | mu) & ~v))
        else:
            aumin = aumin if aumin > bumin else bumin
            aumax = aumax if aumax < bumax else bumax
            asmin = asmin if asmin > bsmin else bsmin
            asmax = asmax if asmax < bsmax else bsmax
            bumin, bumax, bsmin, bsmax = aumin, aumax, asmin, asmax
            avo = bvo = tnum_intersect(avo, bvo)
    elif opc == op.JNE:
        if is_jmp32:
            if bvo.mask & 0xFFFFFFFF == 0:
                val = bvo.value & 0xFFFFFFFF
                au32min, au32max, as32min, as32max = _ne32(val, au32min, au32max,
                                                           as32min, as32max)
            elif avo.mask & 0xFFFFFFFF == 0:
                val = avo.value & 0xFFFFFFFF
                bu32min, bu32max, bs32min, bs32max = _ne32(val, bu32min, bu32max,
                                                           bs32min, bs32max)
        elif bvo.mask == 0:
            aumin, aumax, asmin, asmax = _ne64(bvo.value, aumin, aumax, asmin, asmax)
        elif avo.mask == 0:
            bumin, bumax, bsmin, bsmax = _ne64(avo.value, bumin, bumax, bsmin, bsmax)
    # the order comparisons: a <= b (JLE) or a < b (JLT), signed or not; GE/GT/SGE/SGT
    # are b <= a / b < a
    elif opc == op.JLE:
        if is_jmp32:
            au32max = au32max if au32max < bu32max else bu32max
            bu32min = au32min if au32min > bu32min else bu32min
        else:
            aumax = aumax if aumax < bumax else bumax
            bumin = aumin if aumin > bumin else bumin
    elif opc == op.JGE:
        if is_jmp32:
            bu32max = bu32max if bu32max < au32max else au32max
            au32min = bu32min if bu32min > au32min else au32min
        else:
            bumax = bumax if bumax < aumax else aumax
            aumin = bumin if bumin > aumin else aumin
    elif opc == op.JLT:
        if is_jmp32:
            m = (bu32max - 1) & 0xFFFFFFFF
            au32max = au32max if au32max < m else m
            m = (au32min + 1) & 0xFFFFFFFF
            bu32min = m if m > bu32min else bu32min
        else:
            m = (bumax - 1) & U64
            aumax = aumax if aumax < m else m
            m = (aumin + 1) & U64
            bumin = m if m > bumin else bumin
    elif opc == op.JGT:
        if is_jmp32:
            m = (au32max - 1) & 0xFFFFFFFF
            bu32max = bu32max if bu32max < m else m
            m = (bu32min + 1) & 0xFFFFFFFF
            au32min = m if m > au32min else au32min
        else:
            m = (aumax - 1) & U64
            bumax = bumax if bumax < m else m
            m = (bumin + 1) & U64
            aumin = m if m > aumin else aumin
    elif opc == op.JSLE:
        if is_jmp32:
            as32max = as32max if as32max < bs32max else bs32max
            bs32min = as32min if as32min > bs32min else bs32min
        else:
            asmax = asmax if asmax < bsmax else bsmax
            bsmin = asmin if asmin > bsmin else bsmin
    elif opc == op.JSGE:
        if is_jmp32:
            bs32max = bs32max if bs32max < as32max else as32max
            as32min = bs32min if bs32min > as32min else as32min
        else:
            bsmax = bsmax if bsmax < asmax else asmax
            asmin = bsmin if bsmin > asmin else asmin
    elif opc == op.JSLT:
        if is_jmp32:
            m = s32(bs32max - 1)
            as32max = as32max if as32max < m else m
            m = s32(as32min + 1)
            bs32min = m if m > bs32min else bs32min
        else:
            m = s64(bsmax - 1)
            asmax = asmax if asmax < m else m
            m = s64(asmin + 1)
            bsmin = m if m > bsmin else bsmin
    elif opc == op.JSGT:
        if is_jmp32:
            m = s32(as32max - 1)
            bs32max = bs32max if bs32max < m else m
            m = s32(bs32min + 1)
            as32min = m if m > as32min else as32min
        else:
            m = s64(asmax - 1)
            bsmax = bsmax if bsmax < m else m
            m = s64(bsmin + 1)
            asmin = m if m > asmin else asmin
    else:
        raise ValueError("not a field-refined jump op: %#x" % opc)
    return ((avo, asmin, asmax, aumin, aumax, as32min, as32max, au32min, au32max),
            (bvo, bsmin, bsmax, bumin, bumax, bs32min, bs32max, bu32min, bu32max))


def _ne64(val: int, umin: int, umax: int, smin: int, smax: int) -> tuple:
    """JNE against the constant ``val``: an edge equal to it moves inwards."""
    if umin == val:
        umin = (umin + 1) & U64
    if umax == val:
        umax = (umax - 1) & U64
    sval = s64(val)
    if smin == sval:
        smin = s64(smin + 1)
    if smax == sval:
        smax = s64(smax - 1)
    return umin, umax, smin, smax


def _ne32(val: int, umin: int, umax: int, smin: int, smax: int) -> tuple:
    if umin == val:
        umin = (umin + 1) & 0xFFFFFFFF
    if umax == val:
        umax = (umax - 1) & 0xFFFFFFFF
    sval = s32(val)
    if smin == sval:
        smin = s32(smin + 1)
    if smax == sval:
        smax = s32(smax - 1)
    return umin, umax, smin, smax


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
