"""The scalar value: tnum + signed/unsigned 64/32-bit bounds, kept consistent.

``Scalar`` is the verifier's abstract value for a SCALAR_VALUE register (the
numeric part of the kernel's ``struct bpf_reg_state``): a tnum ``var_off`` and
eight bounds.  A concrete u64 ``v`` is described by a Scalar when *all nine*
constraints hold (see :meth:`Scalar.contains`).

Here: the value itself, the marking helpers (``___mark_reg_known``,
``__mark_reg*_unbounded``), the bounds synchronisation ``reg_bounds_sync``
(``__update_reg_bounds``, ``__reg_deduce_bounds``, ``__reg_bound_offset``) and
``zext_32_to_64``; truncation and sign extension (``coerce_reg_to_size*``) are
:mod:`verifier.scalar_width`; the log text
(``print_scalar_ranges``) is :mod:`verifier.scalar_fmt`, re-exported here.
The ALU transfer functions built on them are :mod:`verifier.scalar`, which
also re-exports this module's public names.
Internally the kernel's in-place style is kept by working on a private
mutable ``_Reg`` and freezing the result, so a ``Scalar`` handed out is never
mutated and may be shared between registers and states.
"""

from __future__ import annotations

from typing import NamedTuple

from isa.ints import S32_MAX, S32_MIN, S64_MAX, S64_MIN, s32, s64, sext, u32
from verifier.tnum import (
    TNUM_UNKNOWN, U32_MAX, U64_MAX, Tnum, tnum_const,
    tnum_const_subreg, tnum_in, tnum_intersect, tnum_is_const,
    tnum_range, tnum_step, tnum_subreg, tnum_subreg_is_const,
)
from verifier.scalar_fmt import format_scalar, format_scalar_ranges  # noqa: F401 - re-exported

# C integer conversions (two's complement wrap, like the kernel's casts) are
# isa.ints' u32/s32/u64/s64/sext, bound as module globals for the hot paths.


# --- the public, immutable value --------------------------------------------

class Scalar(NamedTuple):
    """Immutable abstract scalar (the numeric half of ``bpf_reg_state``).

    ``smin/smax`` and ``s32_min/s32_max`` are signed Python ints in s64/s32
    range; ``umin/umax``/``u32_min/u32_max`` are unsigned.  A tuple
    underneath, like :class:`~verifier.tnum.Tnum`: one is built per ALU op and
    branch side, and ``tuple.__new__`` is far cheaper than a frozen
    dataclass's ``__init__``; equality and hashing are the tuple's.
    """

    var_off: Tnum
    smin: int
    smax: int
    umin: int
    umax: int
    s32_min: int
    s32_max: int
    u32_min: int
    u32_max: int

    # -- constructors
    @staticmethod
    def unknown() -> "Scalar":
        return _UNKNOWN

    @staticmethod
    def const(v: int) -> "Scalar":
        """A known 64-bit constant (kernel: __mark_reg_known), built directly: every
        bound is the value, read as s64/u64/s32/u32."""
        v &= U64_MAX
        lo = v & U32_MAX
        sv = v - 0x10000000000000000 if v >> 63 else v
        s32v = lo - 0x100000000 if lo >> 31 else lo
        return _new(Scalar, (_new(Tnum, (v, 0)), sv, sv, v, v, s32v, s32v, lo, lo))

    @staticmethod
    def from_imm(imm: int) -> "Scalar":
        """The constant of a BPF_K operand: imm32 sign-extended to 64 bits
        (kernel: __mark_reg_known(fake_reg, insn->imm))."""
        return Scalar.const(sext(imm, 32))

    @staticmethod
    def from_bounds(*, var_off: Tnum = TNUM_UNKNOWN, smin: int = S64_MIN, smax: int = S64_MAX,
                    umin: int = 0, umax: int = U64_MAX, s32_min: int = S32_MIN,
                    s32_max: int = S32_MAX, u32_min: int = 0, u32_max: int = U32_MAX,
                    sync: bool = True) -> "Scalar":
        """Build a Scalar from explicit knowledge, then (by default) run
        reg_bounds_sync so every field reflects what the others imply."""
        r = _Reg(var_off, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max)
        if sync:
            reg_bounds_sync(r)
        return r.freeze()

    # -- queries
    def is_const(self) -> bool:
        return tnum_is_const(self.var_off)

    @property
    def value(self) -> int:
        """The u64 value of a constant scalar."""
        if not self.is_const():
            raise ValueError("scalar is not a constant")
        return self.var_off.value

    def contains(self, v: int) -> bool:
        """True if the concrete u64 ``v`` satisfies the tnum and all 8 bounds."""
        v &= U64_MAX
        sv, lo = s64(v), v & U32_MAX
        return (self.var_off.contains(v)
                and self.umin <= v <= self.umax
                and self.smin <= sv <= self.smax
                and self.u32_min <= lo <= self.u32_max
                and self.s32_min <= s32(lo) <= self.s32_max)

    def is_const32(self) -> bool:
        """The 32-bit subregister is a known constant (kernel: is_reg_const
        with subreg32)."""
        return tnum_subreg_is_const(self.var_off)

    def range_within(self, cur: "Scalar") -> bool:
        """kernel: range_within(old=self, cur) - all eight bounds of ``cur``
        lie inside ours."""
        return (self.umin <= cur.umin and self.umax >= cur.umax
                and self.smin <= cur.smin and self.smax >= cur.smax
                and self.u32_min <= cur.u32_min and self.u32_max >= cur.u32_max
                and self.s32_min <= cur.s32_min and self.s32_max >= cur.s32_max)

    def includes(self, cur: "Scalar") -> bool:
        """Every value ``cur`` describes is described by us: range_within plus
        tnum_in, the numeric part of the kernel's regsafe() for scalars (used
        by state pruning; scalar id mapping is the caller's business)."""
        return self.range_within(cur) and tnum_in(self.var_off, cur.var_off)

    def bounds_violated(self) -> bool:
        """kernel: range_bounds_violation() - some min exceeds its max, i.e.
        the state describes no value (a dead branch)."""
        return (self.umin > self.umax or self.smin > self.smax
                or self.u32_min > self.u32_max or self.s32_min > self.s32_max)

    def __str__(self) -> str:
        return format_scalar(self)


class _Reg:
    """Mutable working copy used to mirror the kernel's in-place updates."""

    __slots__ = ("var_off", "smin", "smax", "umin", "umax",
                 "s32_min", "s32_max", "u32_min", "u32_max")

    def __init__(self, var_off, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max):
        self.var_off = var_off
        self.smin, self.smax, self.umin, self.umax = smin, smax, umin, umax
        self.s32_min, self.s32_max, self.u32_min, self.u32_max = s32_min, s32_max, u32_min, u32_max

    @staticmethod
    def of(s: "Scalar | _Reg") -> "_Reg":
        return _Reg(s.var_off, s.smin, s.smax, s.umin, s.umax,
                    s.s32_min, s.s32_max, s.u32_min, s.u32_max)

    def freeze(self) -> Scalar:
        return _new(Scalar, (self.var_off, self.smin, self.smax, self.umin, self.umax,
                             self.s32_min, self.s32_max, self.u32_min, self.u32_max))


_new = tuple.__new__
_UNKNOWN = Scalar(TNUM_UNKNOWN, S64_MIN, S64_MAX, 0, U64_MAX, S32_MIN, S32_MAX, 0, U32_MAX)


# --- marking helpers (kernel: ___mark_reg_known, __mark_reg*_unbounded) -----

def _mark_known(r: _Reg, imm: int) -> None:
    imm &= U64_MAX
    r.var_off = tnum_const(imm)
    r.smin = r.smax = s64(imm)
    r.umin = r.umax = imm
    r.s32_min = r.s32_max = s32(imm)
    r.u32_min = r.u32_max = u32(imm)


def _mark_reg32_known(r: _Reg, imm: int) -> None:
    """kernel: __mark_reg32_known - only the subregister becomes known."""
    r.var_off = tnum_const_subreg(r.var_off, imm)
    r.s32_min = r.s32_max = s32(imm)
    r.u32_min = r.u32_max = u32(imm)


def _mark_reg64_unbounded(r: _Reg) -> None:
    r.smin, r.smax, r.umin, r.umax = S64_MIN, S64_MAX, 0, U64_MAX


def _mark_reg32_unbounded(r: _Reg) -> None:
    r.s32_min, r.s32_max, r.u32_min, r.u32_max = S32_MIN, S32_MAX, 0, U32_MAX


def _mark_unbounded(r: _Reg) -> None:
    _mark_reg64_unbounded(r)
    _mark_reg32_unbounded(r)


def _reset_reg64_and_tnum(r: _Reg) -> None:
    _mark_reg64_unbounded(r)
    r.var_off = TNUM_UNKNOWN


def _reset_reg32_and_tnum(r: _Reg) -> None:
    _mark_reg32_unbounded(r)
    r.var_off = TNUM_UNKNOWN


# --- bounds synchronisation --------------------------------------------------

# The functions below run for every ALU op and jump, so they work on local
# variables and use conditional expressions instead of min()/max() calls;
# each keeps the structure (and the comments) of its kernel counterpart.

def _update_reg32_bounds(r: _Reg) -> None:
    """kernel: __update_reg32_bounds - learn 32-bit bounds from the tnum."""
    v = r.var_off.value & U32_MAX
    m = r.var_off.mask & U32_MAX
    # min signed is max(sign bit) | min(other bits); max is the converse
    lo = v | (m & 0x80000000)
    lo = lo - 0x100000000 if lo & 0x80000000 else lo       # s32(), inlined
    hi = v | (m & 0x7FFFFFFF)
    hi = hi - 0x100000000 if hi & 0x80000000 else hi
    if lo > r.s32_min:
        r.s32_min = lo
    if hi < r.s32_max:
        r.s32_max = hi
    if v > r.u32_min:
        r.u32_min = v
    if v | m < r.u32_max:
        r.u32_max = v | m


def _update_bounds(t: Tnum, smin: int, smax: int, umin: int, umax: int, s32_min: int,
                   s32_max: int, u32_min: int, u32_max: int) -> tuple:
    """kernel: __update_reg_bounds = __update_reg32_bounds + __update_reg64_bounds,
    including the 2026 tnum_step() check that collapses the register to a constant
    when the u64 range and the tnum share exactly one value.  The nine fields in,
    the nine fields out (plain values: reg_bounds_sync runs this twice per miss)."""
    v, m = t
    if m == U64_MAX and umin < umax and not v:
        # An unknown tnum bounds nothing (the fields are in range, as Scalar keeps them),
        # and its members are all numbers: the next one after umin is umin + 1 <= umax,
        # so it is not one value either.
        return t, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max
    # 32 bits: min signed is max(sign bit) | min(other bits); max is the converse
    v32 = v & U32_MAX
    m32 = m & U32_MAX
    lo = v32 | (m32 & 0x80000000)
    lo = lo - 0x100000000 if lo & 0x80000000 else lo       # s32(), inlined
    hi = v32 | (m32 & 0x7FFFFFFF)
    hi = hi - 0x100000000 if hi & 0x80000000 else hi
    if lo > s32_min:
        s32_min = lo
    if hi < s32_max:
        s32_max = hi
    if v32 > u32_min:
        u32_min = v32
    if v32 | m32 < u32_max:
        u32_max = v32 | m32
    # 64 bits
    lo = v | (m & 0x8000000000000000)
    lo = lo - 0x10000000000000000 if lo >> 63 else lo      # s64(), inlined
    hi = v | (m & S64_MAX)
    hi = hi - 0x10000000000000000 if hi >> 63 else hi
    if lo > smin:
        smin = lo
    if hi < smax:
        smax = hi
    tmax = v | m
    if v > umin:
        umin = v
    if tmax < umax:
        umax = tmax
    # tnum_step(t, umin), its two end cases and umin == t.value (the next member is
    # t.value plus the lowest unknown bit) inlined
    if umin >= tmax:
        tnum_next = tmax
    elif umin <= v:
        tnum_next = v if umin < v else v | (m & -m)
    else:
        tnum_next = tnum_step(t, umin)
    if (umin & ~m) == v:                 # umin is a member of the tnum
        known = umin if tnum_next > umax else None          # overlap only in umin
    elif tnum_next == tmax:
        known = tmax                     # overlap only in tmax
    elif tnum_next <= umax and tnum_step(t, tnum_next) > umax:
        known = tnum_next                # a single member strictly inside
    else:
        known = None
    if known is not None:                # ___mark_reg_known
        known &= U64_MAX
        lo = known & U32_MAX
        sv = known - 0x10000000000000000 if known >> 63 else known
        s32v = lo - 0x100000000 if lo >> 31 else lo
        return _new(Tnum, (known, 0)), sv, sv, known, known, s32v, s32v, lo, lo
    return t, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max


def _update_reg_bounds(r: _Reg) -> None:
    (r.var_off, r.smin, r.smax, r.umin, r.umax, r.s32_min, r.s32_max, r.u32_min,
     r.u32_max) = _update_bounds(r.var_off, r.smin, r.smax, r.umin, r.umax, r.s32_min,
                                 r.s32_max, r.u32_min, r.u32_max)


def reg_bounds_sync(r: _Reg) -> None:
    """kernel: reg_bounds_sync (operates on a private _Reg).

    A pure function of the nine fields, run for every ALU op and branch side:
    results are remembered (the same values recur at every loop iteration),
    and the table is emptied when it grows past _SYNC_MEMO_MAX entries."""
    key = (r.var_off, r.smin, r.smax, r.umin, r.umax, r.s32_min, r.s32_max, r.u32_min,
           r.u32_max)
    out = _SYNC_MEMO.get(key)
    if out is None:
        out = _bounds_sync(*key)
        if len(_SYNC_MEMO) >= _SYNC_MEMO_MAX:
            _SYNC_MEMO.clear()
        _SYNC_MEMO[key] = out
    (r.var_off, r.smin, r.smax, r.umin, r.umax, r.s32_min, r.s32_max, r.u32_min,
     r.u32_max) = out


_SYNC_MEMO: dict = {}
_SYNC_MEMO_MAX = 8192


def _bounds_sync(t: Tnum, smin: int, smax: int, umin: int, umax: int, s32_min: int,
                 s32_max: int, u32_min: int, u32_max: int) -> tuple:
    """kernel: reg_bounds_sync on the nine fields as plain values (the kernel's
    __reg_deduce_bounds and __reg_bound_offset are written out inline: this is the
    verifier's hottest arithmetic, and locals are far cheaper than attributes)."""
    if (t[1] == U32_MAX and smin == 0 and umin == 0 and smax == U32_MAX and umax == U32_MAX
            and u32_min == 0 and u32_max == U32_MAX and s32_min == S32_MIN
            and s32_max == S32_MAX and not t[0]):
        # an unknown u32 zero-extended (a 32-bit ALU result, a u32 load): a fixed point
        return t, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max
    if (t[1] == U64_MAX and u32_min == 0 and u32_max == U32_MAX and s32_min == S32_MIN
            and s32_max == S32_MAX and umin < umax and not t[0]):
        out = _sync_unknown_low(t, smin, smax, umin, umax)
        if out is not None:
            return out
    t, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max = _update_bounds(
        t, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max)
    if 0 <= umin <= umax <= S32_MAX and smin <= umin and smax >= umax:
        # The common case of a small non-negative value (a length, an index, a masked
        # byte), computed directly.  Every value lies in [0, S32_MAX], where the four
        # views (u64, s64, u32, s32) of a number coincide and the s64 range, which
        # contains the u64 one, adds nothing.  If the other two ranges leave a
        # non-empty [lo, hi], the first round below makes all four ranges [lo, hi] and
        # intersects the tnum with tnum_range(lo, hi) (the sign-extension step fires);
        # a second round changes nothing, and __reg_bound_offset keeps that tnum.
        # (Otherwise, or when the ranges disagree, the general code runs.)
        lo = umin if umin > u32_min else u32_min
        lo = lo if lo > s32_min else s32_min
        hi = umax if umax < u32_max else u32_max
        hi = hi if hi < s32_max else s32_max
        if lo <= hi:
            rm = (1 << (lo ^ hi).bit_length()) - 1       # tnum_range(lo, hi).mask
            v, m = t
            m &= rm
            return _update_bounds(_new(Tnum, ((v | (lo & ~rm)) & ~m, m)), lo, hi, lo, hi,
                                  lo, hi, lo, hi)
    # __reg_deduce_bounds: three rounds, as in the kernel (each can feed the next); a
    # round is a pure function of the fields, so once one changes nothing the rest
    # would not either
    for _ in range(3):
        before = (t, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max)

        # __reg32_deduce_bounds - 32-bit bounds from 64-bit ones and signed <->
        # unsigned 32-bit exchange
        umin_lo, umax_lo = umin & U32_MAX, umax & U32_MAX
        smin_lo, smax_lo = smin & U32_MAX, smax & U32_MAX
        umin_s = umin_lo - 0x100000000 if umin_lo & 0x80000000 else umin_lo    # s32()
        umax_s = umax_lo - 0x100000000 if umax_lo & 0x80000000 else umax_lo
        smin_s = smin_lo - 0x100000000 if smin_lo & 0x80000000 else smin_lo
        smax_s = smax_lo - 0x100000000 if smax_lo & 0x80000000 else smax_lo
        # Upper 32 bits constant over the u64 (resp. s64) range: the low halves
        # form a contiguous range.
        if (umin >> 32) == (umax >> 32):
            u32_min = umin_lo if umin_lo > u32_min else u32_min
            u32_max = umax_lo if umax_lo < u32_max else u32_max
            if umin_s <= umax_s:
                s32_min = umin_s if umin_s > s32_min else s32_min
                s32_max = umax_s if umax_s < s32_max else s32_max
        if (smin >> 32) == (smax >> 32):
            if smin_lo <= smax_lo:
                u32_min = smin_lo if smin_lo > u32_min else u32_min
                u32_max = smax_lo if smax_lo < u32_max else u32_max
            if smin_s <= smax_s:
                s32_min = smin_s if smin_s > s32_min else s32_min
                s32_max = smax_s if smax_s < s32_max else s32_max
        # Upper halves are two consecutive numbers while the low halves go from
        # negative to non-negative: still a valid s32 range.
        if (((umin >> 32) + 1) & U32_MAX) == (umax >> 32) & U32_MAX and umin_s < 0 <= umax_s:
            s32_min = umin_s if umin_s > s32_min else s32_min
            s32_max = umax_s if umax_s < s32_max else s32_max
        if (((smin >> 32) + 1) & U32_MAX) == (smax >> 32) & U32_MAX and smin_s < 0 <= smax_s:
            s32_min = smin_s if smin_s > s32_min else s32_min
            s32_max = smax_s if smax_s < s32_max else s32_max
        # u32 range not crossing the s32 sign boundary is a valid s32 range.
        a = u32_min - 0x100000000 if u32_min & 0x80000000 else u32_min     # s32(u32_min)
        b = u32_max - 0x100000000 if u32_max & 0x80000000 else u32_max
        if a <= b:
            s32_min = a if a > s32_min else s32_min
            s32_max = b if b < s32_max else s32_max
        a, b = s32_min & U32_MAX, s32_max & U32_MAX
        if a <= b:
            u32_min = a if a > u32_min else u32_min
            u32_max = b if b < u32_max else u32_max
        else:
            # s32 range wraps; the u32 range may overlap only one of its ends.
            if u32_max < a:
                s32_min = s32(u32_min)
                u32_max = b if b < u32_max else u32_max
            elif b < u32_min:
                s32_max = s32(u32_max)
                u32_min = a if a > u32_min else u32_min

        # __reg64_deduce_bounds - signed <-> unsigned 64-bit exchange, valid only
        # when a range stays within one half of the number circle
        a = umin - 0x10000000000000000 if umin >> 63 else umin     # s64(umin), inlined
        b = umax - 0x10000000000000000 if umax >> 63 else umax
        if a <= b:
            smin = a if a > smin else smin
            smax = b if b < smax else smax
        a, b = smin & U64_MAX, smax & U64_MAX
        if a <= b:
            umin = a if a > umin else umin
            umax = b if b < umax else umax
        else:
            if umax < a:
                # u64 range overlaps only the non-negative part of the s64 range
                smin = s64(umin)
                umax = b if b < umax else umax
            elif b < umin:
                # ... only the negative part
                smax = s64(umax)
                umin = a if a > umin else umin

        # __reg_deduce_mixed_bounds - tighten 64-bit bounds with the 32-bit ones
        # (substituting the low halves of the 64-bit bounds)
        new = (umin & ~U32_MAX) | u32_min
        umin = new if new > umin else umin
        new = (umax & ~U32_MAX) | u32_max
        umax = new if new < umax else umax
        new = ((smin & ~U32_MAX & U64_MAX) | u32_min) & U64_MAX
        new = new - 0x10000000000000000 if new >> 63 else new      # s64(), inlined
        smin = new if new > smin else smin
        new = ((smax & ~U32_MAX & U64_MAX) | u32_max) & U64_MAX
        new = new - 0x10000000000000000 if new >> 63 else new
        smax = new if new < smax else smax
        # After a sign-extending load the value is in [(s64)S32_MIN, S32_MAX];
        # if its low half is known non-negative the upper half must be zero.
        if s32_min >= 0 and smin >= S32_MIN and smax <= S32_MAX:
            smin, smax = s32_min, s32_max
            umin, umax = s32_min, s32_max
            t = tnum_intersect(t, tnum_range(smin, smax))
            if u32_min == s32_min and u32_max == s32_max and s32_min <= s32_max:
                # all four ranges are now one range inside [0, S32_MAX], and the tnum
                # was intersected with it: another round would change nothing
                break

        if before == (t, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max):
            break

    # __reg_bound_offset - learn tnum bits from the u64/u32 ranges:
    # var64 = tnum_intersect(var_off, tnum_range(umin, umax))
    lo, hi = umin & U64_MAX, umax & U64_MAX
    bits = (lo ^ hi).bit_length()
    rm = U64_MAX if bits > 63 else (1 << bits) - 1
    m64 = t[1] & rm
    v64 = (t[0] | (lo & ~rm)) & ~m64
    # var32 = tnum_intersect(tnum_subreg(var64), tnum_range(u32_min, u32_max))
    lo, hi = u32_min & U64_MAX, u32_max & U64_MAX
    bits = (lo ^ hi).bit_length()
    rm = U64_MAX if bits > 63 else (1 << bits) - 1
    m32 = m64 & U32_MAX & rm
    v32 = ((v64 & U32_MAX) | (lo & ~rm)) & ~m32
    # var_off = tnum_or(tnum_clear_subreg(var64), var32)
    v = (v64 & ~U32_MAX) | v32
    t = _new(Tnum, (v, ((m64 & ~U32_MAX) | m32) & ~v))
    # intersecting with the old var_off might have improved the bounds
    return _update_bounds(t, smin, smax, umin, umax, s32_min, s32_max, u32_min, u32_max)


def _sync_unknown_low(t: Tnum, smin: int, smax: int, umin: int, umax: int) -> tuple | None:
    """_bounds_sync where the tnum and the four 32-bit bounds know nothing (an unknown
    scalar refined by a 64-bit compare), or None to leave it to the general code.
    __update_reg_bounds learns nothing from such a tnum (umin < umax).  A round of
    __reg_deduce_bounds only moves the 32-bit bounds when the u64 or s64 range keeps
    its upper half constant or steps it by one across a low-half sign change
    (__reg32_deduce_bounds' four tests); otherwise the u32/s32 exchange of two full
    ranges and __reg_deduce_mixed_bounds change nothing either, and only the 64-bit
    signed/unsigned exchange is left.  __reg_bound_offset then learns the tnum bits
    of the u64 range, and __update_reg_bounds runs on the result."""
    if 0 <= umin and umax <= S32_MAX and smin <= umin and smax >= umax:
        return None                     # the small non-negative case has its own path
    for _ in range(3):
        if ((umin >> 32) == (umax >> 32) or (smin >> 32) == (smax >> 32)
                or ((((umin >> 32) + 1) & U32_MAX) == (umax >> 32) & U32_MAX
                    and umin & 0x80000000 and not umax & 0x80000000)
                or ((((smin >> 32) + 1) & U32_MAX) == (smax >> 32) & U32_MAX
                    and smin & 0x80000000 and not smax & 0x80000000)):
            return None
        before = (smin, smax, umin, umax)
        # __reg64_deduce_bounds, as in _bounds_sync
        a = umin - 0x10000000000000000 if umin >> 63 else umin
        b = umax - 0x10000000000000000 if umax >> 63 else umax
        if a <= b:
            smin = a if a > smin else smin
            smax = b if b < smax else smax
        a, b = smin & U64_MAX, smax & U64_MAX
        if a <= b:
            umin = a if a > umin else umin
            umax = b if b < umax else umax
        elif umax < a:
            smin = s64(umin)
            umax = b if b < umax else umax
        elif b < umin:
            smax = s64(umax)
            umin = a if a > umin else umin
        if before == (smin, smax, umin, umax):
            break
    # __reg_bound_offset: the unknown tnum meets tnum_range(umin, umax); the u32 range
    # is [0, U32_MAX], which keeps the low half
    bits = ((umin ^ umax) & U64_MAX).bit_length()
    if bits > 63 and umin < umax:       # the range spans the top bit: still unknown
        return t, smin, smax, umin, umax, S32_MIN, S32_MAX, 0, U32_MAX
    rm = U64_MAX if bits > 63 else (1 << bits) - 1
    v = umin & ~rm & U64_MAX
    return _update_bounds(_new(Tnum, (v, rm & ~v)), smin, smax, umin, umax, S32_MIN,
                          S32_MAX, 0, U32_MAX)


def bounds_sync(s: Scalar) -> Scalar:
    """Public wrapper: reg_bounds_sync on a copy."""
    r = _Reg.of(s)
    reg_bounds_sync(r)
    return r.freeze()


# --- width changes -------------------------------------------------------------

def _reg_assign_32_into_64(r: _Reg) -> None:
    """kernel: __reg_assign_32_into_64 (after the tnum was zero-extended)."""
    r.umin, r.umax = r.u32_min, r.u32_max
    if r.s32_min >= 0 and r.s32_max >= 0:
        r.smin, r.smax = r.s32_min, r.s32_max
    else:
        r.smin, r.smax = 0, U32_MAX


def _zext_32_to_64(r: _Reg) -> None:
    r.var_off = tnum_subreg(r.var_off)
    _reg_assign_32_into_64(r)


def zext_32_to_64(s: Scalar) -> Scalar:
    """kernel: zext_32_to_64 (tnum subreg + __reg_assign_32_into_64).

    Like the kernel function it does not sync the bounds; the kernel always
    follows it with reg_bounds_sync (see :func:`verifier.scalar.mov` / :func:`bounds_sync`)."""
    r = _Reg.of(s)
    _zext_32_to_64(r)
    return r.freeze()
