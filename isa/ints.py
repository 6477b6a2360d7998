"""Fixed-width integer views: the one home of u32/u64/s32/s64 and sign extension.

BPF registers are 64-bit; the kernel moves between ``u64``/``s64``/``u32``/``s32``
by C casts.  Python integers are unbounded, so every stage casts with these.
"""

from __future__ import annotations

U8, U16, U32, U64 = 0xFF, 0xFFFF, 0xFFFF_FFFF, 0xFFFF_FFFF_FFFF_FFFF
S32_MIN, S32_MAX = -(1 << 31), (1 << 31) - 1
S64_MIN, S64_MAX = -(1 << 63), (1 << 63) - 1


def u32(v: int) -> int:
    """``(u32)v``."""
    return v & U32


def u64(v: int) -> int:
    """``(u64)v``."""
    return v & U64


def s32(v: int) -> int:
    """``(s32)v``: the low 32 bits as a signed C ``int``."""
    v &= U32
    return v - (1 << 32) if v >> 31 else v


def s64(v: int) -> int:
    """``(s64)v``: the low 64 bits as a signed 64-bit value."""
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def sext(v: int, bits: int) -> int:
    """The low ``bits`` bits of ``v`` read as a signed ``bits``-bit integer."""
    v &= (1 << bits) - 1
    return v - (1 << bits) if v >> (bits - 1) else v


def fits_s32(*vs: int) -> bool:
    """Every value is representable as a signed 32-bit immediate."""
    return all(S32_MIN <= v <= S32_MAX for v in vs)
