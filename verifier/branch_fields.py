"""Conditional-jump refinement on plain fields: the kernel's regs_refine_cond_op and the
reg_bounds_sync that follows it (kernel/bpf/verifier.c), for two distinct registers and
every condition but JSET, on the nine Scalar fields as tuples instead of mutable _Reg
copies.  :func:`verifier.branch.predict` uses it; it must agree exactly with
``branch.regs_refine_cond_op`` (tests/verifier/test_branch.py compares the two on random
operands)."""

from __future__ import annotations

from isa import opcodes as op
from isa.ints import s32, s64
from verifier.scalar_bounds import _SYNC_MEMO, _SYNC_MEMO_MAX, Scalar, _bounds_sync
from verifier.tnum import Tnum, tnum_intersect

_new = tuple.__new__
U64 = (1 << 64) - 1
_HI32 = U64 ^ 0xFFFFFFFF
_const = Scalar.const


def equal_side(a: Scalar, b: Scalar, is_jmp32: bool) -> Scalar | None:
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


def synced(f: tuple) -> tuple:
    """reg_bounds_sync on the nine fields, through its memo."""
    out = _SYNC_MEMO.get(f)
    if out is None:
        out = _bounds_sync(*f)
        if len(_SYNC_MEMO) >= _SYNC_MEMO_MAX:
            _SYNC_MEMO.clear()
        _SYNC_MEMO[f] = out
    return out


def refine_fields(a: Scalar, b: Scalar, opc: int, is_jmp32: bool) -> tuple:
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
    sval = val - 0x10000000000000000 if val >> 63 else val      # s64(val), val a u64
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
