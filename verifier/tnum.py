"""Tracked numbers ("tnums"): the verifier's bit-level abstract domain.

A tnum is a pair ``(value, mask)`` of 64-bit unsigned integers with
``value & mask == 0``.  A bit set in ``mask`` is unknown; otherwise the bit is
known and equals the corresponding bit of ``value``.  The set of concrete
values a tnum stands for (its *members*) is ``{v : v & ~mask == value}``.

This is our own Python rendering of the operations in the kernel's
``kernel/bpf/tnum.c`` / ``include/linux/tnum.h``; function names keep the
kernel's (``tnum_add``, ``tnum_subreg``...) so a reader can cross-check them.
Every operation is an over-approximation: for members ``x`` of ``a`` and ``y``
of ``b``, ``x OP y`` is a member of ``tnum_OP(a, b)``.  All arithmetic is
modulo 2**64, like the kernel's ``u64``.
"""

from __future__ import annotations

from typing import NamedTuple

from isa.ints import U32 as U32_MAX    # the kernel's spelling of the u32/u64 masks
from isa.ints import U64 as U64_MAX
from isa.ints import sext


class Tnum(NamedTuple):
    """An immutable tracked number; ``value``/``mask`` are u64 Python ints.

    A tuple underneath: building one is the hottest allocation of the verifier
    (every ALU op and branch makes several), and ``tuple.__new__`` is several
    times cheaper than a frozen dataclass's ``__init__``.
    """

    value: int
    mask: int

    def contains(self, v: int) -> bool:
        """True if the concrete u64 ``v`` (taken modulo 2**64) is a member."""
        return (v & U64_MAX & ~self.mask) == self.value

    def is_const(self) -> bool:
        return self.mask == 0

    def __str__(self) -> str:  # the kernel's tnum_strn() format
        return tnum_strn(self)


_new = tuple.__new__


def _tn(value: int, mask: int) -> Tnum:
    """The kernel's TNUM() macro, with both halves truncated to u64 (written out
    inline in the hot operations below: a call costs more than the masking)."""
    return _new(Tnum, (value & U64_MAX, mask & U64_MAX))


#: A completely unknown value (kernel: tnum_unknown).
TNUM_UNKNOWN = Tnum(0, U64_MAX)
_ZERO = Tnum(0, 0)


def tnum_const(value: int) -> Tnum:
    return _new(Tnum, (value & U64_MAX, 0))


def tnum_unknown() -> Tnum:
    return TNUM_UNKNOWN


def tnum_range(lo: int, hi: int) -> Tnum:
    """Smallest-prefix tnum covering every u64 in [lo, hi] (kernel: tnum_range).

    The bits above the highest bit where ``lo`` and ``hi`` differ are shared
    by all values of the range; everything below becomes unknown.
    """
    lo &= U64_MAX
    hi &= U64_MAX
    bits = (lo ^ hi).bit_length()  # fls64(chi)
    if bits > 63:
        return TNUM_UNKNOWN
    delta = (1 << bits) - 1
    return _new(Tnum, ((lo & ~delta) & U64_MAX, delta & U64_MAX))


def tnum_lshift(a: Tnum, shift: int) -> Tnum:
    return _new(Tnum, ((a.value << shift) & U64_MAX, (a.mask << shift) & U64_MAX))


def tnum_rshift(a: Tnum, shift: int) -> Tnum:
    return _new(Tnum, ((a.value >> shift) & U64_MAX, (a.mask >> shift) & U64_MAX))


def tnum_arshift(a: Tnum, min_shift: int, insn_bitness: int = 64) -> Tnum:
    """Arithmetic right shift of value and mask (kernel: tnum_arshift).

    Shifting the mask arithmetically is what makes this sound: an unknown
    sign bit is replicated as unknown bits.  For 32-bit ALU ops only the low
    32 bits take part and the result is zero-extended.
    """
    if insn_bitness == 32:
        return _tn((sext(a.value, 32) >> min_shift) & U32_MAX,
                   (sext(a.mask, 32) >> min_shift) & U32_MAX)
    return _tn(sext(a.value, 64) >> min_shift, sext(a.mask, 64) >> min_shift)


def tnum_add(a: Tnum, b: Tnum) -> Tnum:
    # Any bit where the carry chain could differ between the all-unknown-0
    # and the all-unknown-1 sums is unknown (kernel: tnum_add).
    sm = a.mask + b.mask
    sv = a.value + b.value
    sigma = (sm + sv) & U64_MAX
    chi = sigma ^ (sv & U64_MAX)
    mu = chi | a.mask | b.mask
    return _new(Tnum, ((sv & ~mu) & U64_MAX, mu & U64_MAX))


def tnum_sub(a: Tnum, b: Tnum) -> Tnum:
    dv = (a.value - b.value) & U64_MAX
    alpha = (dv + a.mask) & U64_MAX
    beta = (dv - b.mask) & U64_MAX
    chi = alpha ^ beta
    mu = chi | a.mask | b.mask
    return _new(Tnum, ((dv & ~mu) & U64_MAX, mu & U64_MAX))


def tnum_neg(a: Tnum) -> Tnum:
    return tnum_sub(Tnum(0, 0), a)


def tnum_and(a: Tnum, b: Tnum) -> Tnum:
    alpha = a.value | a.mask
    beta = b.value | b.mask
    v = a.value & b.value
    return _new(Tnum, (v & U64_MAX, (alpha & beta & ~v) & U64_MAX))


def tnum_or(a: Tnum, b: Tnum) -> Tnum:
    v = a.value | b.value
    mu = a.mask | b.mask
    return _new(Tnum, (v & U64_MAX, (mu & ~v) & U64_MAX))


def tnum_xor(a: Tnum, b: Tnum) -> Tnum:
    v = a.value ^ b.value
    mu = a.mask | b.mask
    return _new(Tnum, ((v & ~mu) & U64_MAX, mu & U64_MAX))


def tnum_mul(a: Tnum, b: Tnum) -> Tnum:
    """Long multiplication over the trits of ``a`` (kernel: tnum_mul, 2025).

    A known-1 bit of ``a`` adds the shifted ``b``; an unknown bit takes the
    union of "added" and "not added".

    Worked on plain integers (the loop runs up to 64 times per multiply; no
    intermediate Tnum is built), with the steps of tnum_add / tnum_union
    written out.  Constant operands take the shortcut the loop would reach.
    """
    av, am = a
    bv, bm = b
    if not am and not bm:
        return _new(Tnum, ((av * bv) & U64_MAX, 0))
    key = (a, b)
    r = _MUL_MEMO.get(key)
    if r is None:
        if len(_MUL_MEMO) >= 4096:
            _MUL_MEMO.clear()
        r = _MUL_MEMO[key] = _tnum_mul(av, am, bv, bm)
    return r


# tnum_mul of non-constants: 64 steps at worst, and a loop multiplies the same
# operands again at every iteration, so results are remembered (pure function)
_MUL_MEMO: dict = {}


def _tnum_mul(av: int, am: int, bv: int, bm: int) -> Tnum:
    # acc = (0; 0); a known-1 bit of a: acc += b; an unknown bit: acc |= acc + b
    accv = accm = 0
    while av or am:
        if av & 1 or am & 1:
            # tnum_add(acc, b)
            sm = accm + bm
            sv = accv + bv
            chi = ((sm + sv) & U64_MAX) ^ (sv & U64_MAX)
            mu = (chi | accm | bm) & U64_MAX
            v = sv & ~mu & U64_MAX
            if av & 1:
                accv, accm = v, mu
            else:
                # tnum_union(acc, sum)
                mu2 = ((accv ^ v) | accm | mu) & U64_MAX
                accv, accm = accv & v & ~mu2, mu2
        av >>= 1
        am >>= 1
        bv = (bv << 1) & U64_MAX
        bm = (bm << 1) & U64_MAX
    return _new(Tnum, (accv, accm))


def tnum_overlap(a: Tnum, b: Tnum) -> bool:
    """False only if some bit is known in both and known differently."""
    mu = ~a.mask & ~b.mask & U64_MAX
    return (a.value & mu) == (b.value & mu)


def tnum_intersect(a: Tnum, b: Tnum) -> Tnum:
    """Values satisfying both ``a`` and ``b``.

    As in the kernel, if the two disagree on a known bit the result has a
    known 1 there (the true intersection is empty in that case).
    """
    v = a.value | b.value
    mu = a.mask & b.mask
    return _new(Tnum, ((v & ~mu) & U64_MAX, mu & U64_MAX))


def tnum_union(a: Tnum, b: Tnum) -> Tnum:
    """Smallest tnum containing all members of ``a`` and of ``b``."""
    v = a.value & b.value
    mu = (a.value ^ b.value) | a.mask | b.mask  # bits where a and b disagree
    return _new(Tnum, ((v & ~mu) & U64_MAX, mu & U64_MAX))


def tnum_cast(a: Tnum, size: int) -> Tnum:
    """Keep only the lowest ``size`` bytes (kernel: tnum_cast)."""
    m = (1 << (size * 8)) - 1
    return _new(Tnum, ((a.value & m) & U64_MAX, (a.mask & m) & U64_MAX))


def tnum_is_aligned(a: Tnum, size: int) -> bool:
    if not size:
        return True
    return not ((a.value | a.mask) & (size - 1))


def tnum_in(a: Tnum, b: Tnum) -> bool:
    """True if every member of ``b`` is a member of ``a``."""
    if b.mask & ~a.mask:
        return False
    return a.value == (b.value & ~a.mask)


def tnum_is_const(a: Tnum) -> bool:
    return not a.mask


def tnum_equals_const(a: Tnum, b: int) -> bool:
    return tnum_is_const(a) and a.value == (b & U64_MAX)


def tnum_is_unknown(a: Tnum) -> bool:
    return not ~a.mask & U64_MAX


def tnum_subreg(a: Tnum) -> Tnum:
    """The low 32 bits (the 32-bit subregister), zero-extended."""
    return tnum_cast(a, 4)


def tnum_clear_subreg(a: Tnum) -> Tnum:
    return tnum_lshift(tnum_rshift(a, 32), 32)


def tnum_with_subreg(reg: Tnum, subreg: Tnum) -> Tnum:
    """``reg``'s upper 32 bits with ``subreg``'s lower 32 bits."""
    return tnum_or(tnum_clear_subreg(reg), tnum_subreg(subreg))


def tnum_const_subreg(a: Tnum, value: int) -> Tnum:
    return tnum_with_subreg(a, tnum_const(value & U32_MAX))


def tnum_subreg_is_const(a: Tnum) -> bool:
    return not tnum_subreg(a).mask


def _swab(x: int, nbytes: int) -> int:
    return int.from_bytes((x & ((1 << (8 * nbytes)) - 1)).to_bytes(nbytes, "little"), "big")


def tnum_bswap16(a: Tnum) -> Tnum:
    return _tn(_swab(a.value, 2), _swab(a.mask, 2))


def tnum_bswap32(a: Tnum) -> Tnum:
    return _tn(_swab(a.value, 4), _swab(a.mask, 4))


def tnum_bswap64(a: Tnum) -> Tnum:
    return _tn(_swab(a.value, 8), _swab(a.mask, 8))


def tnum_step(t: Tnum, z: int) -> int:
    """Smallest member of ``t`` greater than ``z`` (kernel: tnum_step).

    Returns ``tmax`` (the largest member) if ``z >= tmax`` and ``t.value``
    (the smallest member) if ``z < t.value``.
    """
    tmax = t.value | t.mask
    if z >= tmax:
        return tmax
    if z < t.value:
        return t.value
    # Members are t.value + s for submasks s of t.mask; find the smallest
    # submask above d = z - t.value by "incrementing d within the mask":
    # filling the non-mask positions with ones lets the +1 carry ripple
    # through them.  carry_mask also fills everything below the highest
    # non-mask 1 of d so that bit cannot trap the carry.
    d = z - t.value
    carry_mask = (1 << (d & ~t.mask).bit_length()) - 1
    filled = (d | carry_mask | ~t.mask) & U64_MAX
    inc = (filled + 1) & t.mask
    return t.value | inc


def _hex(v: int) -> str:
    # The kernel's vsnprintf prints "%#llx" of 0 as "0x0" (glibc would print
    # "0"); verifier logs show e.g. "var_off=(0x0; 0xff)".
    return "0x%x" % v


def tnum_strn(a: Tnum) -> str:
    """Log format (kernel/bpf/log.c: tnum_strn): constants as numbers,
    anything else as ``(value; mask)`` in hex."""
    if a.mask == 0:
        return str(a.value) if a.value <= 0xFFFF else _hex(a.value)
    return "(%s; %s)" % (_hex(a.value), _hex(a.mask))


def tnum_sbin(a: Tnum) -> str:
    """64 characters, most significant bit first: '0', '1' or 'x'."""
    out = []
    for bit in range(63, -1, -1):
        if (a.mask >> bit) & 1:
            out.append("x")
        else:
            out.append("1" if (a.value >> bit) & 1 else "0")
    return "".join(out)
