"""Scalar register state: tnum + signed/unsigned 64/32-bit bounds, and its ALU.

``Scalar`` is the verifier's abstract value for a SCALAR_VALUE register (the
numeric part of the kernel's ``struct bpf_reg_state``): a tnum ``var_off`` and
eight bounds.  A concrete u64 ``v`` is described by a Scalar when *all nine*
constraints hold (see :meth:`Scalar.contains`).  The value, its bounds
synchronisation, width changes and log text live in
:mod:`verifier.scalar_bounds` and :mod:`verifier.scalar_width`; this module adds the
ALU transfer functions and is the public face of them all (the API below).

The transfer functions follow the kernel's ``kernel/bpf/verifier.c`` (bpf-next,
2026): ``adjust_scalar_min_max_vals`` with its ``scalar{32,}_min_max_<op>``
helpers and ``scalar_byte_swap``, on top of ``reg_bounds_sync``
(``__update_reg_bounds``, ``__reg_deduce_bounds``, ``__reg_bound_offset``).
ADD, SUB, AND, OR, XOR, LSH and RSH are computed here on plain locals; the
rarer MUL, DIV, MOD, ARSH and byte swap keep the kernel's in-place helpers in
:mod:`verifier.scalar_ops`.
The code is our own Python; the kernel names appear in comments and function
names so readers can cross-check.  Internally the kernel's in-place style is
kept by working on a private mutable ``_Reg`` and freezing the result, so a
``Scalar`` handed out is never mutated and may be shared between registers
and states.

API (all functions return new Scalars):

- ``Scalar.unknown()``, ``Scalar.const(v)``, ``Scalar.from_imm(imm32)``,
  ``Scalar.from_bounds(...)``; queries ``is_const()``, ``is_const32()``,
  ``value``, ``contains(v)``, ``includes(cur)`` / ``range_within(cur)``
  (regsafe's numeric test), ``bounds_violated()``; ``str()`` = log text.
- ``alu(opc, dst, src, alu64=..., off=0, imm=0, to_be=False,
  track_div_mod=True)``: one ALU/ALU64 instruction on a scalar dst
  (ADD..END except MOV; ``off=1`` = SDIV/SMOD, END takes ``imm`` width and
  ``to_be``).  ``alu_paths`` returns the kernel's [-1, 0] split as two states;
  ``maybe_fork_scalars`` gives the two pre-op states for cores that push them.
- ``mov(src, alu64=..., off=0)`` (MOV X incl. movsx), ``mov_imm(imm, alu64)``.
- ``coerce_reg_to_size`` / ``coerce_reg_to_size_sx`` (narrow loads, LDSX),
  ``coerce_subreg_to_size_sx``, ``zext_32_to_64``, ``bounds_sync``.
- ``format_scalar(s, precise=False, reg_id=0, delta=None)``.

``track_div_mod=False`` reproduces Linux <= 6.18 (DIV/MOD results unknown);
with that switch the results equal the running 6.18 kernel's verifier log on
thousands of random programs (see tests/verifier).
"""

from __future__ import annotations

from isa import opcodes as op
from isa.ints import S32_MAX, S32_MIN, S64_MAX, S64_MIN, s32, s64, sext, u32
from verifier.scalar_bounds import (
    _SYNC_MEMO, _SYNC_MEMO_MAX, _UNKNOWN, Scalar, _bounds_sync, _new, _update_bounds,
    _mark_known, _mark_reg32_known, _Reg, _zext_32_to_64, reg_bounds_sync,
)
from verifier.scalar_bounds import (  # noqa: F401 - the public API, re-exported
    bounds_sync, format_scalar, format_scalar_ranges, zext_32_to_64,
)
from verifier.scalar_width import _coerce_reg_to_size_sx, _coerce_subreg_to_size_sx
from verifier.scalar_width import (  # noqa: F401 - the public API, re-exported
    coerce_reg_to_size, coerce_reg_to_size_sx, coerce_subreg_to_size_sx,
)
from verifier.scalar_ops import (
    _scalar32_arsh, _scalar32_mul, _scalar32_sdiv, _scalar32_smod, _scalar32_udiv,
    _scalar32_umod, _scalar_arsh, _scalar_byte_swap, _scalar_mul, _scalar_sdiv, _scalar_smod,
    _scalar_udiv, _scalar_umod,
)
from verifier.tnum import (
    _MUL_MEMO, U32_MAX, U64_MAX, Tnum, tnum_add, tnum_and, tnum_is_const, tnum_lshift, tnum_mul,
    tnum_or, tnum_rshift, tnum_const_subreg, tnum_sub, tnum_subreg, tnum_xor,
)

# C integer conversions (two's complement wrap, like the kernel's casts) are
# isa.ints' u32/s32/u64/s64/sext, bound as module globals for the hot paths.


# --- ADD/SUB/AND/OR/XOR/LSH/RSH on the nine fields as locals -------------------
# Each reads dst ``d`` and src ``s`` (Scalars or _Regs) and returns the nine
# fields (var_off, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max)
# before reg_bounds_sync, zero-extended for ALU32: the kernel's
# scalar32_min_max_<op> + scalar_min_max_<op> + tnum_<op> (+ zext_32_to_64).

def _zext(t: Tnum, s32_min: int, s32_max: int, u32_min: int, u32_max: int) -> tuple:
    """kernel: zext_32_to_64 (tnum_subreg + __reg_assign_32_into_64)."""
    if s32_min >= 0 and s32_max >= 0:
        smin, smax = s32_min, s32_max
    else:
        smin, smax = 0, U32_MAX
    return (_new(Tnum, (t.value & U32_MAX, t.mask & U32_MAX)), smin, smax, u32_min, u32_max,
            s32_min, s32_max, u32_min, u32_max)


def _alu_add(d, s, alu64: bool) -> tuple:
    # kernel: scalar32_min_max_add
    lo, hi = d.s32_min + s.s32_min, d.s32_max + s.s32_max
    if not (S32_MIN <= lo <= S32_MAX and S32_MIN <= hi <= S32_MAX):
        lo, hi = S32_MIN, S32_MAX
    ulo, uhi = d.u32_min + s.u32_min, d.u32_max + s.u32_max
    # all additions overflowing (or none) keeps the range contiguous
    if ulo <= U32_MAX < uhi:
        ulo, uhi = 0, U32_MAX
    else:
        ulo, uhi = ulo & U32_MAX, uhi & U32_MAX
    t = tnum_add(d.var_off, s.var_off)
    if not alu64:
        return _zext(t, lo, hi, ulo, uhi)
    # kernel: scalar_min_max_add
    slo, shi = d.smin + s.smin, d.smax + s.smax
    if not (S64_MIN <= slo <= S64_MAX and S64_MIN <= shi <= S64_MAX):
        slo, shi = S64_MIN, S64_MAX
    ulo64, uhi64 = d.umin + s.umin, d.umax + s.umax
    if ulo64 <= U64_MAX < uhi64:
        ulo64, uhi64 = 0, U64_MAX
    else:
        ulo64, uhi64 = ulo64 & U64_MAX, uhi64 & U64_MAX
    return t, slo, shi, ulo64, uhi64, lo, hi, ulo, uhi


def _alu_sub(d, s, alu64: bool) -> tuple:
    # kernel: scalar32_min_max_sub
    lo, hi = d.s32_min - s.s32_max, d.s32_max - s.s32_min
    if not (S32_MIN <= lo <= S32_MAX and S32_MIN <= hi <= S32_MAX):
        lo, hi = S32_MIN, S32_MAX
    ulo, uhi = d.u32_min - s.u32_max, d.u32_max - s.u32_min
    if ulo < 0 <= uhi:  # some but not all subtractions underflow
        ulo, uhi = 0, U32_MAX
    else:
        ulo, uhi = ulo & U32_MAX, uhi & U32_MAX
    t = tnum_sub(d.var_off, s.var_off)
    if not alu64:
        return _zext(t, lo, hi, ulo, uhi)
    # kernel: scalar_min_max_sub
    slo, shi = d.smin - s.smax, d.smax - s.smin
    if not (S64_MIN <= slo <= S64_MAX and S64_MIN <= shi <= S64_MAX):
        slo, shi = S64_MIN, S64_MAX
    ulo64, uhi64 = d.umin - s.umax, d.umax - s.umin
    if ulo64 < 0 <= uhi64:
        ulo64, uhi64 = 0, U64_MAX
    else:
        ulo64, uhi64 = ulo64 & U64_MAX, uhi64 & U64_MAX
    return t, slo, shi, ulo64, uhi64, lo, hi, ulo, uhi


def _alu_bitwise(opc: int, d, s, alu64: bool) -> tuple:
    """kernel: scalar{32,}_min_max_{and,or,xor} after tnum_{and,or,xor}."""
    sv_off = s.var_off
    is_and, is_or = opc == _AND, opc == _OR
    t = (tnum_and if is_and else tnum_or if is_or else tnum_xor)(d.var_off, sv_off)
    v, m = t
    v32, m32 = v & U32_MAX, m & U32_MAX
    if not sv_off.mask & U32_MAX and not m32:
        # __mark_reg32_known: both subregisters known
        t = tnum_const_subreg(t, v32)
        v, m = t
        lo = hi = v32 - 0x100000000 if v32 >> 31 else v32
        ulo = uhi = v32
    else:
        if is_and:          # minimum from the tnum, maximum the smaller operand maximum
            a, b = d.u32_max, s.u32_max
            ulo, uhi = v32, a if a < b else b
        elif is_or:         # maximum from the tnum, minimum the larger operand minimum
            a, b = d.u32_min, s.u32_min
            ulo, uhi = a if a > b else b, v32 | m32
        else:
            ulo, uhi = v32, v32 | m32
        lo = ulo - 0x100000000 if ulo >> 31 else ulo           # s32()
        hi = uhi - 0x100000000 if uhi >> 31 else uhi
        if lo > hi:
            lo, hi = S32_MIN, S32_MAX
    if not sv_off.mask and not m:
        # __mark_reg_known: both registers known
        vs, v32 = s64(v), v & U32_MAX
        vs32 = v32 - 0x100000000 if v32 >> 31 else v32
        r = (_new(Tnum, (v, 0)), vs, vs, v, v, vs32, vs32, v32, v32)
    else:
        if is_and:
            a, b = d.umax, s.umax
            umin, umax = v, a if a < b else b
        elif is_or:
            a, b = d.umin, s.umin
            umin, umax = a if a > b else b, v | m
        else:
            umin, umax = v, v | m
        smin = umin - 0x10000000000000000 if umin >> 63 else umin      # s64()
        smax = umax - 0x10000000000000000 if umax >> 63 else umax
        if smin > smax:
            smin, smax = S64_MIN, S64_MAX
        r = _update_bounds(t, smin, smax, umin, umax, lo, hi, ulo, uhi)
    if alu64:
        return r
    return _zext(r[0], r[5], r[6], r[7], r[8])


def _alu_and(d, s, alu64: bool) -> tuple:
    return _alu_bitwise(op.AND, d, s, alu64)


def _alu_or(d, s, alu64: bool) -> tuple:
    return _alu_bitwise(op.OR, d, s, alu64)


def _alu_xor(d, s, alu64: bool) -> tuple:
    return _alu_bitwise(op.XOR, d, s, alu64)


def _update32(t: Tnum, s32_min: int, s32_max: int, u32_min: int, u32_max: int) -> tuple:
    """kernel: __update_reg32_bounds on locals (32-bit bounds from the tnum)."""
    v, m = t.value & U32_MAX, t.mask & U32_MAX
    lo = s32(v | (m & 0x80000000))
    hi = s32(v | (m & 0x7FFFFFFF))
    return (lo if lo > s32_min else s32_min, hi if hi < s32_max else s32_max,
            v if v > u32_min else u32_min, v | m if v | m < u32_max else u32_max)


def _alu_lsh(d, s, alu64: bool) -> tuple:
    if not alu64:   # kernel: scalar32_min_max_lsh
        lo, hi = s.u32_min, s.u32_max
        sub = tnum_subreg(d.var_off)
        # __scalar32_min_max_lsh: the sign bit information is lost
        if hi > 31 or d.u32_max > (1 << (31 - hi)):
            ulo, uhi = 0, U32_MAX  # the top bit might be shifted out
        else:
            ulo, uhi = (d.u32_min << lo) & U32_MAX, (d.u32_max << hi) & U32_MAX
        t = tnum_subreg(tnum_lshift(sub, lo))
        # the 64-bit bounds are re-learnt from the tnum and zext
        return _zext(t, *_update32(t, S32_MIN, S32_MAX, ulo, uhi))
    # kernel: scalar_min_max_lsh; the 64-bit part reads the unshifted s32 bounds
    lo, hi = s.umin, s.umax
    # <<32 is how compilers start sign-extending a subregister (<<32 s>>32);
    # the s32 bounds shifted by 32 cannot change sign
    if lo == 32 and hi == 32:
        smin, smax = d.s32_min << 32, d.s32_max << 32
    else:
        smin, smax = S64_MIN, S64_MAX
    if d.umax > (1 << (63 - hi)):
        umin, umax = 0, U64_MAX
    else:
        umin, umax = (d.umin << lo) & U64_MAX, (d.umax << hi) & U64_MAX
    if hi > 31 or d.u32_max > (1 << (31 - hi)):
        ulo, uhi = 0, U32_MAX
    else:
        ulo, uhi = (d.u32_min << lo) & U32_MAX, (d.u32_max << hi) & U32_MAX
    return _update_bounds(tnum_lshift(d.var_off, lo), smin, smax, umin, umax,
                          S32_MIN, S32_MAX, ulo, uhi)


def _alu_rsh(d, s, alu64: bool) -> tuple:
    # an unsigned shift: signed bounds are re-derived from unsigned ones
    if not alu64:   # kernel: scalar32_min_max_rsh
        lo, hi = s.u32_min, s.u32_max
        t = tnum_rshift(tnum_subreg(d.var_off), lo)
        return _zext(t, *_update32(t, S32_MIN, S32_MAX, d.u32_min >> hi, d.u32_max >> lo))
    # kernel: scalar_min_max_rsh; bits shifted in from the upper half make
    # 32-bit bounds hard, they come from the tnum
    lo, hi = s.umin, s.umax
    return _update_bounds(tnum_rshift(d.var_off, lo), S64_MIN, S64_MAX, d.umin >> hi,
                          d.umax >> lo, S32_MIN, S32_MAX, 0, U32_MAX)


_ZERO_SCALAR = Scalar.const(0)
_AND, _OR = op.AND, op.OR
_FIELDS_OP = {op.ADD: _alu_add, op.SUB: _alu_sub, op.AND: _alu_and, op.OR: _alu_or,
              op.XOR: _alu_xor, op.LSH: _alu_lsh, op.RSH: _alu_rsh}


# --- the ALU entry points ------------------------------------------------------

def _is_safe_to_compute_dst_reg_range(opc: int, src: Scalar, alu64: bool,
                                      track_div_mod: bool = True) -> bool:
    """kernel: is_safe_to_compute_dst_reg_range.

    ``track_div_mod=False`` gives the behaviour of kernels before DIV/MOD
    range tracking (e.g. Linux 6.18, the kernel the test oracle runs), where
    any DIV/MOD result is an unknown scalar."""
    if opc in _ALWAYS_SAFE:
        return True
    if opc not in _CONST_SRC_ONLY:
        return False
    if alu64:
        src_const = (not src.var_off.mask and src.smin == src.smax
                     and src.umin == src.umax)
    else:
        src_const = (not src.var_off.mask & U32_MAX and src.s32_min == src.s32_max
                     and src.u32_min == src.u32_max)
    if opc == op.DIV or opc == op.MOD:  # only a constant divisor is tracked
        return src_const and track_div_mod
    # shifts >= width are undefined
    return src_const and src.umax < (64 if alu64 else 32)


_ALWAYS_SAFE = frozenset((op.ADD, op.SUB, op.NEG, op.AND, op.XOR, op.OR, op.MUL, op.END))
_CONST_SRC_ONLY = frozenset((op.DIV, op.MOD, op.LSH, op.RSH, op.ARSH))


def _maybe_fork(dst: _Reg, src: Scalar, opc: int) -> list[_Reg] | None:
    """kernel: maybe_fork_scalars - for AND/OR with a constant, a value known
    to be in [-1, 0] (64-bit or 32-bit) is explored as the two constants
    separately.  Returns [dst=-1 path, dst=0 path] or None."""
    if opc not in (op.AND, op.OR) or not tnum_is_const(src.var_off):
        return None
    if dst.smin == -1 and dst.smax == 0:
        mark = _mark_known
    elif dst.s32_min == -1 and dst.s32_max == 0:
        mark = _mark_reg32_known
    else:
        return None
    minus1, zero = _Reg.of(dst), _Reg.of(dst)
    mark(minus1, U64_MAX)
    mark(zero, 0)
    return [minus1, zero]


def maybe_fork_scalars(opc: int, dst: Scalar, src: Scalar) -> tuple[Scalar, Scalar] | None:
    """kernel: maybe_fork_scalars, for verifier cores that push states
    themselves: None, or the dst states *before* the op for the path that
    continues (dst == -1) and for the pushed path (dst == 0).  In the 32-bit
    case only the subregister is set (__mark_reg32_known), without a sync."""
    forks = _maybe_fork(_Reg.of(dst), src, opc)
    if forks is None:
        return None
    return forks[0].freeze(), forks[1].freeze()


def _adjust(d: _Reg, opc: int, src: Scalar, alu64: bool, off: int, imm: int,
            to_be: bool) -> None:
    """kernel: adjust_scalar_min_max_vals, after the fork decision."""
    alu32 = not alu64
    fields = _FIELDS_OP.get(opc)
    if fields is not None:
        (d.var_off, d.smin, d.smax, d.umin, d.umax, d.s32_min, d.s32_max, d.u32_min,
         d.u32_max) = fields(d, src, alu64)
        reg_bounds_sync(d)
        return
    if opc == op.NEG:
        # 0 - old value
        (d.var_off, d.smin, d.smax, d.umin, d.umax, d.s32_min, d.s32_max, d.u32_min,
         d.u32_max) = _alu_sub(_ZERO_SCALAR, _Reg.of(d), alu64)
    elif opc == op.MUL:
        d.var_off = tnum_mul(d.var_off, src.var_off)
        _scalar32_mul(d, src)
        _scalar_mul(d, src)
    elif opc == op.DIV:
        if (src.u32_min if alu32 else src.umin) == 0:
            _mark_known(d, 0)  # BPF: x / 0 == 0
        elif alu32:
            (_scalar32_sdiv if off == 1 else _scalar32_udiv)(d, src)
        else:
            (_scalar_sdiv if off == 1 else _scalar_udiv)(d, src)
    elif opc == op.MOD:
        if (src.u32_min if alu32 else src.umin) == 0:
            pass  # BPF: x % 0 == x
        elif alu32:
            (_scalar32_smod if off == 1 else _scalar32_umod)(d, src)
        else:
            (_scalar_smod if off == 1 else _scalar_umod)(d, src)
    elif opc == op.ARSH:
        (_scalar32_arsh if alu32 else _scalar_arsh)(d, src)
    elif opc == op.END:
        _scalar_byte_swap(d, alu64=alu64, to_be=to_be, imm=imm)
    # ALU32 results are zero-extended; END already truncated (and le64 on
    # an ALU32 END must not be zero-extended).
    if alu32 and opc != op.END:
        _zext_32_to_64(d)
    reg_bounds_sync(d)


def alu_paths(opc: int, dst: Scalar, src: Scalar | None = None, *, alu64: bool,
              off: int = 0, imm: int = 0, to_be: bool = False,
              track_div_mod: bool = True) -> list[Scalar]:
    """Abstract ``dst = dst <opc> src`` for a scalar dst, as the kernel does it,
    including its path split (maybe_fork_scalars).

    ``opc`` is an isa.opcodes ALU op (ADD ... END, not MOV).  ``off`` is the
    instruction offset (1 selects SDIV/SMOD); for END, ``imm`` is the width
    (16/32/64) and ``to_be`` the source bit (ignored for ALU64 bswap).  For
    NEG and END ``src`` is ignored.  Returns one state, or two when the
    kernel would explore dst == -1 and dst == 0 separately (in that order).
    ``track_div_mod=False`` reproduces kernels without DIV/MOD range tracking
    (Linux <= 6.18: the result of any DIV/MOD is unknown).
    """
    if src is None or opc in (op.NEG, op.END):
        src = dst
    if opc == op.MOV:
        raise ValueError("use mov() / mov_imm() for MOV")
    if not _is_safe_to_compute_dst_reg_range(opc, src, alu64, track_div_mod):
        return [_UNKNOWN]  # __mark_reg_unknown: no zero-extension either
    d = _Reg.of(dst)
    forks = _maybe_fork(d, src, opc) or [d]
    for r in forks:
        _adjust(r, opc, src, alu64, off, imm, to_be)
    return [r.freeze() for r in forks]


def alu(opc: int, dst: Scalar, src: Scalar | None = None, *, alu64: bool,
        off: int = 0, imm: int = 0, to_be: bool = False, track_div_mod: bool = True) -> Scalar:
    """Single-state version of :func:`alu_paths` (no [-1, 0] split): the
    kernel's adjust_scalar_min_max_vals when maybe_fork_scalars declines."""
    if src is None or opc in (op.NEG, op.END):
        src = dst
    if opc == op.MOV:
        raise ValueError("use mov() / mov_imm() for MOV")
    key = (opc, dst, src, alu64, off, imm, to_be, track_div_mod)
    res = _ALU_MEMO.get(key)
    if res is None:
        if not _is_safe_to_compute_dst_reg_range(opc, src, alu64, track_div_mod):
            res = _UNKNOWN
        else:
            fields = _FIELDS_OP.get(opc)
            if fields is None:
                d = _Reg.of(dst)
                _adjust(d, opc, src, alu64, off, imm, to_be)
                res = d.freeze()
            else:   # reg_bounds_sync on the returned fields, remembered
                key2 = fields(dst, src, alu64)
                out = _SYNC_MEMO.get(key2)
                if out is None:
                    out = _bounds_sync(*key2)
                    if len(_SYNC_MEMO) >= _SYNC_MEMO_MAX:
                        _SYNC_MEMO.clear()
                    _SYNC_MEMO[key2] = out
                res = _new(Scalar, out)
        if len(_ALU_MEMO) >= _MEMO_MAX:
            _ALU_MEMO.clear()
        _ALU_MEMO[key] = res
    return res


# alu() is a pure function of its arguments (Scalars are immutable tuples), and
# loops apply the same op to the same abstract values at every iteration: the
# results are remembered, and the table is emptied when it grows past _MEMO_MAX
_ALU_MEMO: dict = {}
_MEMO_MAX = 8192


# the memos of remembered results (alu, reg_bounds_sync, tnum_mul): alu.clear_memos
# empties them at the end of every verification, so that each starts cold and its time
# does not depend on the one before
MEMOS = (_ALU_MEMO, _SYNC_MEMO, _MUL_MEMO)


def mov(src: Scalar, *, alu64: bool, off: int = 0) -> Scalar:
    """``dst = src`` (MOV X): off 0 is a plain move; off 8/16/32 is movsx
    (``r = (s8)r`` ...; 32-bit: ``w = (s8/s16)w``).  kernel: check_alu_op."""
    r = _Reg.of(src)
    if alu64:
        if off:
            _coerce_reg_to_size_sx(r, off >> 3)
        return r.freeze()
    if off:
        _coerce_subreg_to_size_sx(r, off >> 3)
    _zext_32_to_64(r)
    reg_bounds_sync(r)
    return r.freeze()


def mov_imm(imm: int, *, alu64: bool) -> Scalar:
    """``dst = imm`` (MOV K): ALU64 sign-extends imm32, ALU zero-extends."""
    imm = sext(imm, 32)
    return Scalar.const(imm if alu64 else u32(imm))


__all__ = ["Scalar", "alu", "alu_paths", "maybe_fork_scalars", "mov", "mov_imm", "bounds_sync",
           "coerce_reg_to_size", "coerce_reg_to_size_sx", "coerce_subreg_to_size_sx",
           "zext_32_to_64", "format_scalar", "format_scalar_ranges"]
