"""Scalar register state: tnum + signed/unsigned 64/32-bit bounds, and its ALU.

``Scalar`` is the verifier's abstract value for a SCALAR_VALUE register (the
numeric part of the kernel's ``struct bpf_reg_state``): a tnum ``var_off`` and
eight bounds.  A concrete u64 ``v`` is described by a Scalar when *all nine*
constraints hold (see :meth:`Scalar.contains`).  The value, its bounds
synchronisation, width changes and log text live in
:mod:`verifier.scalar_bounds`; this module adds the ALU transfer functions and
is the public face of both (the API below).

The transfer functions follow the kernel's ``kernel/bpf/verifier.c`` (bpf-next,
2026): ``adjust_scalar_min_max_vals`` with its ``scalar{32,}_min_max_<op>``
helpers and ``scalar_byte_swap``, on top of ``reg_bounds_sync``
(``__update_reg_bounds``, ``__reg_deduce_bounds``, ``__reg_bound_offset``).
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
from isa.ints import S32_MAX, S32_MIN, S64_MAX, S64_MIN, fits_s32, s32, s64, sext, u32, u64
from verifier.scalar_bounds import (
    _SYNC_MEMO, _UNKNOWN, Scalar, _coerce_reg_to_size, _coerce_reg_to_size_sx, _coerce_subreg_to_size_sx,
    _mark_known, _mark_reg32_known, _mark_reg32_unbounded, _mark_reg64_unbounded,
    _mark_unbounded, _Reg, _reset_reg32_and_tnum, _reset_reg64_and_tnum,
    _update_reg32_bounds, _update_reg_bounds, _zext_32_to_64, reg_bounds_sync,
)
from verifier.scalar_bounds import (  # noqa: F401 - the public API, re-exported
    bounds_sync, coerce_reg_to_size, coerce_reg_to_size_sx, coerce_subreg_to_size_sx,
    format_scalar, format_scalar_ranges, zext_32_to_64,
)
from verifier.tnum import (
    _MUL_MEMO, U32_MAX, U64_MAX, tnum_add, tnum_and, tnum_arshift, tnum_bswap16, tnum_bswap32,
    tnum_bswap64, tnum_is_const, tnum_lshift, tnum_mul, tnum_neg, tnum_or, tnum_rshift,
    tnum_sub, tnum_subreg, tnum_subreg_is_const, tnum_xor,
)

# C integer conversions (two's complement wrap, like the kernel's casts) are
# isa.ints' u32/s32/u64/s64/sext, bound as module globals for the hot paths.


# --- per-op range helpers (kernel: scalar{32,}_min_max_<op>) -----------------

def _s64_fits(*xs: int) -> bool:
    return all(S64_MIN <= x <= S64_MAX for x in xs)


def _scalar32_add(d: _Reg, s) -> None:
    lo, hi = d.s32_min + s.s32_min, d.s32_max + s.s32_max
    d.s32_min, d.s32_max = (lo, hi) if fits_s32(lo, hi) else (S32_MIN, S32_MAX)
    # all additions overflowing (or none) keeps the range contiguous
    lo, hi = d.u32_min + s.u32_min, d.u32_max + s.u32_max
    if lo <= U32_MAX < hi:
        d.u32_min, d.u32_max = 0, U32_MAX
    else:
        d.u32_min, d.u32_max = u32(lo), u32(hi)


def _scalar_add(d: _Reg, s) -> None:
    lo, hi = d.smin + s.smin, d.smax + s.smax
    d.smin, d.smax = (lo, hi) if _s64_fits(lo, hi) else (S64_MIN, S64_MAX)
    lo, hi = d.umin + s.umin, d.umax + s.umax
    if lo <= U64_MAX < hi:
        d.umin, d.umax = 0, U64_MAX
    else:
        d.umin, d.umax = u64(lo), u64(hi)


def _scalar32_sub(d: _Reg, s) -> None:
    lo, hi = d.s32_min - s.s32_max, d.s32_max - s.s32_min
    d.s32_min, d.s32_max = (lo, hi) if fits_s32(lo, hi) else (S32_MIN, S32_MAX)
    lo, hi = d.u32_min - s.u32_max, d.u32_max - s.u32_min
    if lo < 0 <= hi:  # some but not all subtractions underflow
        d.u32_min, d.u32_max = 0, U32_MAX
    else:
        d.u32_min, d.u32_max = u32(lo), u32(hi)


def _scalar_sub(d: _Reg, s) -> None:
    lo, hi = d.smin - s.smax, d.smax - s.smin
    d.smin, d.smax = (lo, hi) if _s64_fits(lo, hi) else (S64_MIN, S64_MAX)
    lo, hi = d.umin - s.umax, d.umax - s.umin
    if lo < 0 <= hi:
        d.umin, d.umax = 0, U64_MAX
    else:
        d.umin, d.umax = u64(lo), u64(hi)


def _scalar32_mul(d: _Reg, s) -> None:
    hi, lo = d.u32_max * s.u32_max, d.u32_min * s.u32_min
    if hi > U32_MAX or lo > U32_MAX:
        d.u32_min, d.u32_max = 0, U32_MAX
    else:
        d.u32_min, d.u32_max = lo, hi
    prods = (d.s32_min * s.s32_min, d.s32_min * s.s32_max,
             d.s32_max * s.s32_min, d.s32_max * s.s32_max)
    if fits_s32(*prods):
        d.s32_min, d.s32_max = min(prods), max(prods)
    else:
        d.s32_min, d.s32_max = S32_MIN, S32_MAX


def _scalar_mul(d: _Reg, s) -> None:
    hi, lo = d.umax * s.umax, d.umin * s.umin
    if hi > U64_MAX or lo > U64_MAX:
        d.umin, d.umax = 0, U64_MAX
    else:
        d.umin, d.umax = lo, hi
    prods = (d.smin * s.smin, d.smin * s.smax, d.smax * s.smin, d.smax * s.smax)
    if _s64_fits(*prods):
        d.smin, d.smax = min(prods), max(prods)
    else:
        d.smin, d.smax = S64_MIN, S64_MAX


def _cdiv(a: int, b: int) -> int:
    """C division: truncates toward zero."""
    q = abs(a) // abs(b)
    return q if (a >= 0) == (b >= 0) else -q


def _scalar32_udiv(d: _Reg, s) -> None:
    v = s.u32_min  # non-zero constant divisor
    d.u32_min, d.u32_max = d.u32_min // v, d.u32_max // v
    d.s32_min, d.s32_max = S32_MIN, S32_MAX
    _reset_reg64_and_tnum(d)


def _scalar_udiv(d: _Reg, s) -> None:
    v = s.umin
    d.umin, d.umax = d.umin // v, d.umax // v
    d.smin, d.smax = S64_MIN, S64_MAX
    _reset_reg32_and_tnum(d)


def _scalar32_sdiv(d: _Reg, s) -> None:
    v = s.s32_min
    if d.s32_min == S32_MIN and v == -1:
        # BPF: S32_MIN / -1 == S32_MIN; anything else in the range wraps
        if d.s32_max != S32_MIN:
            d.s32_min, d.s32_max = S32_MIN, S32_MAX
    else:
        a, b = _cdiv(d.s32_min, v), _cdiv(d.s32_max, v)
        d.s32_min, d.s32_max = min(a, b), max(a, b)
    d.u32_min, d.u32_max = 0, U32_MAX
    _reset_reg64_and_tnum(d)


def _scalar_sdiv(d: _Reg, s) -> None:
    v = s.smin
    if d.smin == S64_MIN and v == -1:
        if d.smax != S64_MIN:
            d.smin, d.smax = S64_MIN, S64_MAX
    else:
        a, b = _cdiv(d.smin, v), _cdiv(d.smax, v)
        d.smin, d.smax = min(a, b), max(a, b)
    d.umin, d.umax = 0, U64_MAX
    _reset_reg32_and_tnum(d)


def _scalar32_umod(d: _Reg, s) -> None:
    res_max = s.u32_min - 1
    if d.u32_max <= res_max:
        return  # [2, 5] % 10 == [2, 5]: the value is unchanged
    d.u32_min, d.u32_max = 0, min(d.u32_max, res_max)
    d.s32_min, d.s32_max = S32_MIN, S32_MAX
    _reset_reg64_and_tnum(d)


def _scalar_umod(d: _Reg, s) -> None:
    res_max = s.umin - 1
    if d.umax <= res_max:
        return
    d.umin, d.umax = 0, min(d.umax, res_max)
    d.smin, d.smax = S64_MIN, S64_MAX
    _reset_reg32_and_tnum(d)


def _smod_range(lo: int, hi: int, divisor: int) -> tuple[int, int] | None:
    """New [lo, hi] of a signed remainder, or None when unchanged."""
    res_max_abs = abs(divisor) - 1  # |S64_MIN| - 1 == S64_MAX fits
    if lo >= -res_max_abs and hi <= res_max_abs:
        return None
    if lo >= 0:  # the result has the dividend's sign
        return 0, min(hi, res_max_abs)
    if hi <= 0:
        return max(lo, -res_max_abs), 0
    return -res_max_abs, res_max_abs


def _scalar32_smod(d: _Reg, s) -> None:
    new = _smod_range(d.s32_min, d.s32_max, s.s32_min)
    if new is None:
        return
    d.s32_min, d.s32_max = new
    d.u32_min, d.u32_max = 0, U32_MAX
    _reset_reg64_and_tnum(d)


def _scalar_smod(d: _Reg, s) -> None:
    new = _smod_range(d.smin, d.smax, s.smin)
    if new is None:
        return
    d.smin, d.smax = new
    d.umin, d.umax = 0, U64_MAX
    _reset_reg32_and_tnum(d)


def _scalar32_and(d: _Reg, s) -> None:
    t = tnum_subreg(d.var_off)
    if tnum_subreg_is_const(s.var_off) and tnum_subreg_is_const(d.var_off):
        _mark_reg32_known(d, t.value)
        return
    # minimum from the (bitwise) tnum, maximum is the smaller operand maximum
    d.u32_min = t.value
    d.u32_max = min(d.u32_max, s.u32_max)
    if s32(d.u32_min) <= s32(d.u32_max):
        d.s32_min, d.s32_max = s32(d.u32_min), s32(d.u32_max)
    else:
        d.s32_min, d.s32_max = S32_MIN, S32_MAX


def _scalar_and(d: _Reg, s) -> None:
    if tnum_is_const(s.var_off) and tnum_is_const(d.var_off):
        _mark_known(d, d.var_off.value)
        return
    d.umin = d.var_off.value
    d.umax = min(d.umax, s.umax)
    if s64(d.umin) <= s64(d.umax):
        d.smin, d.smax = s64(d.umin), s64(d.umax)
    else:
        d.smin, d.smax = S64_MIN, S64_MAX
    _update_reg_bounds(d)


def _scalar32_or(d: _Reg, s) -> None:
    t = tnum_subreg(d.var_off)
    if tnum_subreg_is_const(s.var_off) and tnum_subreg_is_const(d.var_off):
        _mark_reg32_known(d, t.value)
        return
    # maximum from the tnum, minimum is the larger operand minimum
    d.u32_min = max(d.u32_min, s.u32_min)
    d.u32_max = t.value | t.mask
    if s32(d.u32_min) <= s32(d.u32_max):
        d.s32_min, d.s32_max = s32(d.u32_min), s32(d.u32_max)
    else:
        d.s32_min, d.s32_max = S32_MIN, S32_MAX


def _scalar_or(d: _Reg, s) -> None:
    if tnum_is_const(s.var_off) and tnum_is_const(d.var_off):
        _mark_known(d, d.var_off.value)
        return
    d.umin = max(d.umin, s.umin)
    d.umax = d.var_off.value | d.var_off.mask
    if s64(d.umin) <= s64(d.umax):
        d.smin, d.smax = s64(d.umin), s64(d.umax)
    else:
        d.smin, d.smax = S64_MIN, S64_MAX
    _update_reg_bounds(d)


def _scalar32_xor(d: _Reg, s) -> None:
    t = tnum_subreg(d.var_off)
    if tnum_subreg_is_const(s.var_off) and tnum_subreg_is_const(d.var_off):
        _mark_reg32_known(d, t.value)
        return
    d.u32_min, d.u32_max = t.value, t.value | t.mask
    if s32(d.u32_min) <= s32(d.u32_max):
        d.s32_min, d.s32_max = s32(d.u32_min), s32(d.u32_max)
    else:
        d.s32_min, d.s32_max = S32_MIN, S32_MAX


def _scalar_xor(d: _Reg, s) -> None:
    if tnum_is_const(s.var_off) and tnum_is_const(d.var_off):
        _mark_known(d, d.var_off.value)
        return
    d.umin, d.umax = d.var_off.value, d.var_off.value | d.var_off.mask
    if s64(d.umin) <= s64(d.umax):
        d.smin, d.smax = s64(d.umin), s64(d.umax)
    else:
        d.smin, d.smax = S64_MIN, S64_MAX
    _update_reg_bounds(d)


def _scalar32_lsh_bounds(d: _Reg, umin_val: int, umax_val: int) -> None:
    """kernel: __scalar32_min_max_lsh."""
    d.s32_min, d.s32_max = S32_MIN, S32_MAX  # sign bit information is lost
    if umax_val > 31 or d.u32_max > (1 << (31 - umax_val)):
        d.u32_min, d.u32_max = 0, U32_MAX  # top bit might be shifted out
    else:
        d.u32_min = u32(d.u32_min << umin_val)
        d.u32_max = u32(d.u32_max << umax_val)


def _scalar64_lsh_bounds(d: _Reg, umin_val: int, umax_val: int) -> None:
    """kernel: __scalar64_min_max_lsh."""
    # <<32 is how compilers start sign-extending a subregister (<<32 s>>32);
    # the s32 bounds shifted by 32 cannot change sign.
    if umin_val == 32 and umax_val == 32:
        d.smax = d.s32_max << 32
        d.smin = d.s32_min << 32
    else:
        d.smin, d.smax = S64_MIN, S64_MAX
    if d.umax > (1 << (63 - umax_val)):
        d.umin, d.umax = 0, U64_MAX
    else:
        d.umin = u64(d.umin << umin_val)
        d.umax = u64(d.umax << umax_val)


def _scalar32_lsh(d: _Reg, s) -> None:
    lo, hi = s.u32_min, s.u32_max
    sub = tnum_subreg(d.var_off)
    _scalar32_lsh_bounds(d, lo, hi)
    d.var_off = tnum_subreg(tnum_lshift(sub, lo))
    _mark_reg64_unbounded(d)  # re-learnt from the tnum and zext later
    _update_reg32_bounds(d)


def _scalar_lsh(d: _Reg, s) -> None:
    lo, hi = s.umin, s.umax
    # the 64-bit part reads the unshifted 32-bit bounds, so it goes first
    _scalar64_lsh_bounds(d, lo, hi)
    _scalar32_lsh_bounds(d, lo, hi)
    d.var_off = tnum_lshift(d.var_off, lo)
    _update_reg_bounds(d)


def _scalar32_rsh(d: _Reg, s) -> None:
    sub = tnum_subreg(d.var_off)
    lo, hi = s.u32_min, s.u32_max
    # an unsigned shift: signed bounds are re-derived from unsigned ones
    d.s32_min, d.s32_max = S32_MIN, S32_MAX
    d.var_off = tnum_rshift(sub, lo)
    d.u32_min >>= hi
    d.u32_max >>= lo
    _mark_reg64_unbounded(d)
    _update_reg32_bounds(d)


def _scalar_rsh(d: _Reg, s) -> None:
    lo, hi = s.umin, s.umax
    d.smin, d.smax = S64_MIN, S64_MAX
    d.var_off = tnum_rshift(d.var_off, lo)
    d.umin >>= hi
    d.umax >>= lo
    # bits shifted in from the upper half make 32-bit bounds hard; use tnum
    _mark_reg32_unbounded(d)
    _update_reg_bounds(d)


def _scalar32_arsh(d: _Reg, s) -> None:
    sh = s.u32_min  # src is a known constant here
    d.s32_min >>= sh
    d.s32_max >>= sh
    d.var_off = tnum_arshift(tnum_subreg(d.var_off), sh, 32)
    d.u32_min, d.u32_max = 0, U32_MAX  # re-derived from the tnum
    _mark_reg64_unbounded(d)
    _update_reg32_bounds(d)


def _scalar_arsh(d: _Reg, s) -> None:
    sh = s.umin
    d.smin >>= sh
    d.smax >>= sh
    d.var_off = tnum_arshift(d.var_off, sh, 64)
    d.umin, d.umax = 0, U64_MAX
    _mark_reg32_unbounded(d)
    _update_reg_bounds(d)


def _scalar_byte_swap(d: _Reg, *, alu64: bool, to_be: bool, imm: int) -> None:
    """kernel: scalar_byte_swap, for a little-endian host (x86-64)."""
    need_bswap = alu64 or to_be  # to_le on little endian is a truncation
    if need_bswap:
        if imm == 16:
            d.var_off = tnum_bswap16(d.var_off)
        elif imm == 32:
            d.var_off = tnum_bswap32(d.var_off)
        elif imm == 64:
            d.var_off = tnum_bswap64(d.var_off)
        _mark_unbounded(d)  # bounds re-derived from the new tnum
    if imm in (16, 32):
        _coerce_reg_to_size(d, imm // 8)


# --- the ALU entry points ------------------------------------------------------

def _is_safe_to_compute_dst_reg_range(opc: int, src: Scalar, alu64: bool,
                                      track_div_mod: bool = True) -> bool:
    """kernel: is_safe_to_compute_dst_reg_range.

    ``track_div_mod=False`` gives the behaviour of kernels before DIV/MOD
    range tracking (e.g. Linux 6.18, the kernel the test oracle runs), where
    any DIV/MOD result is an unknown scalar."""
    if alu64:
        src_const = (tnum_is_const(src.var_off) and src.smin == src.smax
                     and src.umin == src.umax)
    else:
        src_const = (tnum_subreg_is_const(src.var_off) and src.s32_min == src.s32_max
                     and src.u32_min == src.u32_max)
    if opc in (op.ADD, op.SUB, op.NEG, op.AND, op.XOR, op.OR, op.MUL, op.END):
        return True
    if opc in (op.DIV, op.MOD):  # only a constant divisor is tracked
        return src_const and track_div_mod
    if opc in (op.LSH, op.RSH, op.ARSH):  # shifts >= width are undefined
        return src_const and src.umax < (64 if alu64 else 32)
    return False


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
    if opc == op.ADD:
        _scalar32_add(d, src)
        _scalar_add(d, src)
        d.var_off = tnum_add(d.var_off, src.var_off)
    elif opc == op.SUB:
        _scalar32_sub(d, src)
        _scalar_sub(d, src)
        d.var_off = tnum_sub(d.var_off, src.var_off)
    elif opc == op.NEG:
        old = _Reg.of(d)  # 0 - old value
        _mark_known(d, 0)
        _scalar32_sub(d, old)
        _scalar_sub(d, old)
        d.var_off = tnum_neg(old.var_off)
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
    elif opc == op.AND:
        d.var_off = tnum_and(d.var_off, src.var_off)
        _scalar32_and(d, src)
        _scalar_and(d, src)
    elif opc == op.OR:
        d.var_off = tnum_or(d.var_off, src.var_off)
        _scalar32_or(d, src)
        _scalar_or(d, src)
    elif opc == op.XOR:
        d.var_off = tnum_xor(d.var_off, src.var_off)
        _scalar32_xor(d, src)
        _scalar_xor(d, src)
    elif opc == op.LSH:
        (_scalar32_lsh if alu32 else _scalar_lsh)(d, src)
    elif opc == op.RSH:
        (_scalar32_rsh if alu32 else _scalar_rsh)(d, src)
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
            d = _Reg.of(dst)
            _adjust(d, opc, src, alu64, off, imm, to_be)
            res = d.freeze()
        if len(_ALU_MEMO) >= _MEMO_MAX:
            _ALU_MEMO.clear()
        _ALU_MEMO[key] = res
    return res


# alu() is a pure function of its arguments (Scalars are immutable tuples), and
# loops apply the same op to the same abstract values at every iteration: the
# results are remembered, and the table is emptied when it grows past _MEMO_MAX
_ALU_MEMO: dict = {}
_MEMO_MAX = 8192


def clear_memos() -> None:
    """Forget every remembered result (alu, reg_bounds_sync, tnum_mul): each
    verification starts cold, so its time does not depend on the one before."""
    _ALU_MEMO.clear()
    _SYNC_MEMO.clear()
    _MUL_MEMO.clear()


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
