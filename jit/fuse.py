"""Two BPF instructions as one x86 instruction, where x86 has the form and nothing can tell.

The kernel's JIT translates one BPF instruction at a time; clang's BPF output
often spends two where x86 needs one (BPF has only two-operand ALU forms and
no memory operands).  A pair ``(i, i + 1)`` is fused only when slot ``i + 1``
is not a jump target (no path enters between the two), both are live and in
the same function.  The fused code is emitted at slot ``i``; slot ``i + 1``
gets no code of its own (its ``insn_offsets`` entry is where the next slot's
code starts).

* ``rA = rB; rA op= ...`` (64-bit, A != B) -> one three-operand form:
  ``rA *= K`` -> ``imul rA, rB, K``; ``rA += K`` / ``rA -= K`` -> ``lea rA, [rB + K]``;
  ``rA <<= 1..3`` -> ``lea rA, [rB * 2^n]``; ``rA += rC`` -> ``lea rA, [rB + rC]``.
  rA is overwritten by the pair either way and BPF has no flags.
* ``rX = *(u64 *)(r11 + 8k)`` (an incoming stack argument) and then
  ``rY op= rX`` / ``rY = rX`` (op: add, sub, and, or, xor, mul; 64 or 32 bit,
  Y != X) with rX dead afterwards -> ``op rY, [rbp + 8k]`` (``r9`` for k = 1):
  the load folded into its single use, as a native compiler does.  Dead means
  the straight-line code that follows overwrites rX before reading it, or
  reaches ``exit`` with X != r0; anything else (jumps, calls, atomics) counts
  as a read.
"""

from __future__ import annotations

from collections.abc import Callable

from isa import Insn
from isa import opcodes as op
from isa import stack_args as sa
from isa.ints import fits_s32

from . import x86_encode as x
from .facts import FuncFacts
from .regmap import ARG6, reg

_FOLD_ALU = {op.ADD: "add", op.SUB: "sub", op.AND: "and", op.OR: "or", op.XOR: "xor"}


def jump_targets(insns: list[Insn]) -> set[int]:
    """Every slot some jump may land on (dead jumps included, to be safe)."""
    out, i = set(), 0
    while i < len(insns):
        insn = insns[i]
        cls, o = insn.code & 7, insn.code & 0xF0
        if insn.code == op.LD_IMM64:
            i += 2
            continue
        if cls in (op.JMP, op.JMP32) and o not in (op.CALL, op.EXIT):
            off = insn.imm if (cls == op.JMP32 and o == op.JA) else insn.off
            out.add(i + 1 + off)
        i += 1
    return out


def _reads_writes(insn: Insn) -> tuple[set[int], set[int]] | None:
    """(registers read, registers written) of a straight-line instruction; None for
    anything that ends the block or is not modelled (then everything counts as read)."""
    cls, o, mode = insn.code & 7, insn.code & 0xF0, insn.code & 0xE0
    if cls in (op.ALU, op.ALU64):
        if o == op.MOV:
            return ({insn.src} if insn.code & op.X else set()), {insn.dst}
        reads = {insn.dst} | ({insn.src} if insn.code & op.X and o not in (op.NEG, op.END)
                              else set())
        return reads, {insn.dst}
    if cls == op.LDX and mode in (op.MEM, op.MEMSX):
        return {insn.src}, {insn.dst}
    if cls == op.ST and mode == op.MEM:
        return {insn.dst}, set()
    if cls == op.STX and mode == op.MEM:
        return {insn.dst, insn.src}, set()
    if insn.code == op.LD_IMM64:
        return set(), {insn.dst}
    return None


def _dead_after(insns: list[Insn], start: int, end: int, r: int, dead: frozenset[int]) -> bool:
    """Whether BPF register ``r`` is dead from slot ``start`` on (a local look)."""
    i = start
    while i < end:      # our path's straight-line successors (joins add no successor)
        if i in dead:
            return False
        insn = insns[i]
        if insn.code == op.EXIT_OP:
            return r != 0
        rw = _reads_writes(insn)
        if rw is None:
            return False
        reads, writes = rw
        if r in reads:
            return False
        if r in writes:
            return True
        i += 2 if insn.code == op.LD_IMM64 else 1
    return False


def fuse(insns: list[Insn], facts: list[FuncFacts], dead: frozenset[int],
         arg_mem: Callable[[int, int], tuple[int, int]]) -> dict[int, bytes]:
    """{first slot of a fused pair: its x86 code}.  ``arg_mem(func index, k)`` is the
    ``(base, disp)`` of incoming stack-argument slot k >= 2 in that function."""
    targets = jump_targets(insns)
    out: dict[int, bytes] = {}
    for fi, f in enumerate(facts):
        i = f.start
        while i + 1 < f.end:
            a, b = insns[i], insns[i + 1]
            if a.code == op.LD_IMM64:
                i += 2
                continue
            code = None
            if i not in dead and i + 1 not in dead and i + 1 not in targets:
                code = _mov_op(a, b) or _folded_load(insns, i, f, fi, dead, arg_mem)
            if code is not None:
                out[i] = code
                i += 2
            else:
                i += 1
    return out


def _mov_op(a: Insn, b: Insn) -> bytes | None:
    if a.code != op.ALU64 | op.MOV | op.X or a.off or a.dst == a.src or a.dst > 9 or a.src > 10:
        return None
    if b.code & 7 != op.ALU64 or b.dst != a.dst or b.off:
        return None
    o = b.code & 0xF0
    dst, src = reg(a.dst), reg(a.src)
    if b.code & op.X:
        if o == op.ADD and b.src <= 10:
            other = src if b.src == a.dst else reg(b.src)   # rA += rA: rB + rB
            return x.lea_index(dst, src, other, 1)
        return None
    imm = b.imm
    if o == op.MUL:
        return x.imul_rri(dst, src, imm)
    if o == op.ADD:
        return x.lea(dst, src, imm)
    if o == op.SUB and fits_s32(-imm):
        return x.lea(dst, src, -imm)
    if o == op.LSH and imm == 1:
        return x.lea_index(dst, src, src, 1)
    if o == op.LSH and imm in (2, 3):
        return x.lea_index(dst, None, src, 1 << imm)
    return None


def _folded_load(insns, i, f, fi, dead, arg_mem) -> bytes | None:
    a, b = insns[i], insns[i + 1]
    k = sa.load_slot(a)
    if k is None or a.src != op.PARAMS or a.dst > 9 or k > sa.MAX_SLOTS or (
            f.stack_arg_cnt is not None and k > f.stack_arg_cnt):
        return None
    cls = b.code & 7
    if cls not in (op.ALU, op.ALU64) or not b.code & op.X or b.src != a.dst or b.dst == a.dst \
            or b.dst > 9 or b.off:
        return None
    o, is64 = b.code & 0xF0, cls == op.ALU64
    if o not in _FOLD_ALU and o not in (op.MUL, op.MOV):
        return None
    if not _dead_after(insns, i + 2, f.end, a.dst, dead):
        return None
    dst = reg(b.dst)
    if k == 1:          # slot 1 lives in r9: the use reads r9 directly
        if o == op.MOV:
            return x.mov_rr(dst, ARG6, is64)
        if o == op.MUL:
            return x.imul_rr(dst, ARG6, is64)
        return x.alu_rr(_FOLD_ALU[o], dst, ARG6, is64)
    base, disp = arg_mem(fi, k)
    if o == op.MOV:
        return x.load(8 if is64 else 4, dst, base, disp)
    if o == op.MUL:
        return x.imul_rm(dst, base, disp, is64)
    return x.alu_rm(_FOLD_ALU[o], dst, base, disp, is64)
