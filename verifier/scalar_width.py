"""Width changes of a scalar: truncation and sign extension to 1, 2 or 4 bytes.

The kernel's ``coerce_reg_to_size`` (narrow loads, ALU32 byte swaps),
``coerce_reg_to_size_sx`` (LDX MEMSX, 64-bit movsx) and
``coerce_subreg_to_size_sx`` (32-bit movsx), kernel/bpf/verifier.c, on the
private mutable :class:`~verifier.scalar_bounds._Reg`, with public wrappers on
immutable Scalars (re-exported by :mod:`verifier.scalar`).  Zero extension
(``zext_32_to_64``) stays with the bounds in :mod:`verifier.scalar_bounds`.
"""

from __future__ import annotations

from isa.ints import s32, s64, sext, u32, u64
from verifier.scalar_bounds import (
    Scalar, _mark_known, _mark_reg32_unbounded, _Reg, reg_bounds_sync,
)
from verifier.tnum import (
    TNUM_UNKNOWN, U32_MAX, U64_MAX, tnum_cast, tnum_const, tnum_is_const, tnum_range,
    tnum_subreg,
)


def _coerce_reg_to_size(r: _Reg, size: int) -> None:
    """kernel: coerce_reg_to_size - keep the low ``size`` bytes (zero-ext)."""
    r.var_off = tnum_cast(r.var_off, size)
    mask = (1 << (size * 8)) - 1
    if (r.umin & ~mask) == (r.umax & ~mask):
        r.umin &= mask
        r.umax &= mask
    else:
        r.umin, r.umax = 0, mask
    r.smin, r.smax = s64(r.umin), s64(r.umax)
    # below 32 bits the subregister is truncated too; relearn it from 64-bit
    if size < 4:
        _mark_reg32_unbounded(r)
    reg_bounds_sync(r)


def _set_sext64_default_val(r: _Reg, size: int) -> None:
    lo, hi = -(1 << (size * 8 - 1)), (1 << (size * 8 - 1)) - 1
    r.smin = r.s32_min = lo
    r.smax = r.s32_max = hi
    r.umin = r.u32_min = 0
    r.umax, r.u32_max = U64_MAX, U32_MAX
    r.var_off = TNUM_UNKNOWN


def _coerce_reg_to_size_sx(r: _Reg, size: int) -> None:
    """kernel: coerce_reg_to_size_sx - sign-extend the low ``size`` bytes."""
    bits = size * 8
    if tnum_is_const(r.var_off):
        v = u64(sext(r.var_off.value, bits))
        _mark_known(r, v)
        return
    top_smax = (u64(r.smax) >> bits) << bits
    top_smin = (u64(r.smin) >> bits) << bits
    if top_smax == top_smin:
        # smin..smax share the bits above `bits`: the low parts are a
        # contiguous range, and sign-extending it keeps it one if both ends
        # land on the same side of zero.
        a, b = sext(r.smax, bits), sext(r.smin, bits)
        hi, lo = max(a, b), min(a, b)
        if (hi >= 0) == (lo >= 0):
            r.smin, r.s32_min = lo, s32(lo)
            r.smax, r.s32_max = hi, s32(hi)
            r.umin, r.u32_min = u64(lo), u32(lo)
            r.umax, r.u32_max = u64(hi), u32(hi)
            r.var_off = tnum_range(u64(lo), u64(hi))
            return
    lim = 1 << (bits - 1)
    if -lim <= r.s32_min and r.s32_max < lim:
        # The subregister already lies in the narrow signed range, so the
        # sign extension leaves the low 32 bits as they were: the s32 and u32
        # bounds stay, bound the 64-bit result, and the rest is relearned
        # from them (Linux 6.18.44 logs `r0 s>>= 56; r0 = (s32)r0` and
        # `r0 = (s16)r0` after it as smin=smin32=-128,smax=smax32=127).
        s32min, s32max, u32min, u32max = r.s32_min, r.s32_max, r.u32_min, r.u32_max
        _set_sext64_default_val(r, size)
        r.smin, r.smax = s32min, s32max
        r.s32_min, r.s32_max, r.u32_min, r.u32_max = s32min, s32max, u32min, u32max
        reg_bounds_sync(r)
        return
    _set_sext64_default_val(r, size)


def _set_sext32_default_val(r: _Reg, size: int) -> None:
    r.s32_min, r.s32_max = -(1 << (size * 8 - 1)), (1 << (size * 8 - 1)) - 1
    r.u32_min, r.u32_max = 0, U32_MAX
    r.var_off = tnum_subreg(TNUM_UNKNOWN)


def _coerce_subreg_to_size_sx(r: _Reg, size: int) -> None:
    """kernel: coerce_subreg_to_size_sx - the 32-bit movsx (w = (s8/s16)w)."""
    bits = size * 8
    if tnum_is_const(r.var_off):
        v = u64(sext(r.var_off.value, bits))
        r.var_off = tnum_const(v)
        r.s32_min = r.s32_max = s32(v)
        r.u32_min = r.u32_max = u32(v)
        return
    top_smax = (u32(r.s32_max) >> bits) << bits
    top_smin = (u32(r.s32_min) >> bits) << bits
    if top_smax == top_smin:
        a, b = sext(r.s32_max, bits), sext(r.s32_min, bits)
        hi, lo = max(a, b), min(a, b)
        if (lo >= 0) == (hi >= 0):
            r.s32_min, r.s32_max = lo, hi
            r.u32_min, r.u32_max = u32(lo), u32(hi)
            r.var_off = tnum_subreg(tnum_range(u64(lo), u64(hi)))
            return
    _set_sext32_default_val(r, size)


def coerce_reg_to_size(s: Scalar, size: int) -> Scalar:
    """Zero-extending narrow load / truncation to ``size`` bytes (1, 2, 4)."""
    r = _Reg.of(s)
    _coerce_reg_to_size(r, size)
    return r.freeze()


def coerce_reg_to_size_sx(s: Scalar, size: int) -> Scalar:
    """Sign-extending load (LDX MEMSX) / 64-bit movsx from ``size`` bytes.

    Like the kernel, no reg_bounds_sync follows."""
    r = _Reg.of(s)
    _coerce_reg_to_size_sx(r, size)
    return r.freeze()


def coerce_subreg_to_size_sx(s: Scalar, size: int) -> Scalar:
    """The 32-bit sign extension of a 32-bit movsx, *before* zero-extension."""
    r = _Reg.of(s)
    _coerce_subreg_to_size_sx(r, size)
    return r.freeze()
