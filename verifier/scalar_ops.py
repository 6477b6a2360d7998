"""MUL, DIV, MOD, ARSH and byte-swap range tracking on a mutable register.

The kernel's ``scalar{32,}_min_max_{mul,udiv,sdiv,umod,smod,arsh}`` and
``scalar_byte_swap`` (kernel/bpf/verifier.c), in its in-place style: each
updates a private :class:`~verifier.scalar_bounds._Reg` before the caller
(:func:`verifier.scalar._adjust`) zero-extends and runs ``reg_bounds_sync``.
The ops the verifier meets at almost every instruction (ADD, SUB, AND, OR,
XOR, LSH, RSH) are computed on plain locals in :mod:`verifier.scalar`; these
are the rarer ones, kept close to the kernel's text.
"""

from __future__ import annotations

from isa.ints import S32_MAX, S32_MIN, S64_MAX, S64_MIN, fits_s32
from verifier.scalar_bounds import (
    _mark_reg32_unbounded, _mark_reg64_unbounded, _mark_unbounded, _Reg,
    _reset_reg32_and_tnum, _reset_reg64_and_tnum, _update_reg32_bounds, _update_reg_bounds,
)
from verifier.scalar_width import _coerce_reg_to_size
from verifier.tnum import (
    U32_MAX, U64_MAX, tnum_arshift, tnum_bswap16, tnum_bswap32, tnum_bswap64, tnum_subreg,
)


def _s64_fits(*xs: int) -> bool:
    return all(S64_MIN <= x <= S64_MAX for x in xs)


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
