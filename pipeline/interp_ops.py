"""The reference interpreter's arithmetic and comparisons (:mod:`pipeline.interp`).

RFC 9669 with the kernel's cpu-v4 additions, as kernel/bpf/core.c's ``___bpf_prog_run``
computes them: division by 0 gives 0, modulo by 0 keeps dst, signed division truncates
toward zero, shift counts are masked to the operand width.  A leaf: imports ``isa`` only.
"""

from __future__ import annotations

from typing import Callable

from isa import opcodes as op
from isa.ints import U32, U64, s32, s64, sext

__all__ = ["_alu", "_bswap", "_tdiv", "_JCMP"]


def _bswap(v: int, bits: int) -> int:
    return int.from_bytes((v & ((1 << bits) - 1)).to_bytes(bits // 8, "little"), "big")


def _tdiv(a: int, b: int) -> int:
    """C-style signed division, truncating toward zero."""
    q = abs(a) // abs(b)
    return q if (a < 0) == (b < 0) else -q


def _alu(o: int, a: int, b: int, off: int, bits: int) -> int | None:
    """One ALU op on ``bits``-wide unsigned operands; None means "keep dst"."""
    mask = U64 if bits == 64 else U32
    sx = s64 if bits == 64 else s32
    if o == op.ADD:
        return (a + b) & mask
    if o == op.SUB:
        return (a - b) & mask
    if o == op.MUL:
        return (a * b) & mask
    if o == op.DIV:
        if b == 0:
            return 0
        return (_tdiv(sx(a), sx(b)) if off == 1 else a // b) & mask
    if o == op.MOD:
        if b == 0:
            return None
        if off == 1:
            sa, sb = sx(a), sx(b)
            return (sa - _tdiv(sa, sb) * sb) & mask
        return a % b
    if o == op.OR:
        return a | b
    if o == op.AND:
        return a & b
    if o == op.XOR:
        return a ^ b
    if o == op.LSH:
        return (a << (b & (bits - 1))) & mask
    if o == op.RSH:
        return a >> (b & (bits - 1))
    if o == op.ARSH:
        return (sx(a) >> (b & (bits - 1))) & mask
    raise AssertionError(o)


_JCMP: dict[int, Callable[[int, int, int], bool]] = {
    op.JEQ: lambda a, b, n: a == b,
    op.JNE: lambda a, b, n: a != b,
    op.JGT: lambda a, b, n: a > b,
    op.JGE: lambda a, b, n: a >= b,
    op.JLT: lambda a, b, n: a < b,
    op.JLE: lambda a, b, n: a <= b,
    op.JSET: lambda a, b, n: (a & b) != 0,
    op.JSGT: lambda a, b, n: sext(a, n) > sext(b, n),
    op.JSGE: lambda a, b, n: sext(a, n) >= sext(b, n),
    op.JSLT: lambda a, b, n: sext(a, n) < sext(b, n),
    op.JSLE: lambda a, b, n: sext(a, n) <= sext(b, n),
}
