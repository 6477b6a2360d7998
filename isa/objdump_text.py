"""One BPF instruction as ``llvm-objdump-22 -d`` prints it.

The text follows LLVM's BPF printer (BPFInstrInfo.td asm strings): ``r0 += 0x8``,
``w1 = *(u32 *)(r2 + 0x3)``, ``if r1 s> -0x5 goto +0x2``, ``r1 = -0x1 ll``.  Immediates are
signed hex; memory offsets are ``+ 0x..``/``- 0x..``; branch offsets ``+0x..``/``-0x..``.

Acceptance follows LLVM's decoder, which is looser than the kernel in some fields and
stricter in others (all established by probing llvm-objdump-22 over every opcode and field,
and checked again by the differential tests in tests/isa/test_disasm_objdump.py):

- fields an instruction does not use are ignored (``r1 += 0x5`` with src=2 still prints),
  except those LLVM fixes in the encoding: ``off`` of ALU/ALU64 (only the movsx, sdiv/smod and
  addr_space_cast selectors are accepted), ``imm`` of exit, ``off`` of ld_imm64;
- a decoded register field above 11 makes the instruction ``<unknown>`` (r11 is valid);
- atomics are matched on imm bit patterns (see :func:`_atomic`), so some imm values the
  kernel rejects still print.

:func:`objdump_text` returns None where objdump prints ``<unknown>``.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import opcodes as op
from .insn import Insn, imm64
from .ints import s64, u32

_MAX_REG = 11  # LLVM's BPF register file is r0..r11

_ALU_OPS = {op.ADD: "+=", op.SUB: "-=", op.MUL: "*=", op.DIV: "/=", op.OR: "|=", op.AND: "&=",
            op.LSH: "<<=", op.RSH: ">>=", op.MOD: "%=", op.XOR: "^=", op.MOV: "=",
            op.ARSH: "s>>="}
_JMP_OPS = {op.JEQ: "==", op.JGT: ">", op.JGE: ">=", op.JSET: "&", op.JNE: "!=", op.JSGT: "s>",
            op.JSGE: "s>=", op.JLT: "<", op.JLE: "<=", op.JSLT: "s<", op.JSLE: "s<="}
_SIZE = {op.W: "u32", op.H: "u16", op.B: "u8", op.DW: "u64"}
_SSIZE = {op.W: "s32", op.H: "s16", op.B: "s8"}
_MOVSX = {8: "(s8)", 16: "(s16)", 32: "(s32)"}
_ATOMIC_ALU = {0x0: "add", 0x4: "or", 0x5: "and", 0xA: "xor"}  # imm bits 7-4
_LOCK_OPS = {0x0: "+=", 0x4: "|=", 0x5: "&=", 0xA: "^="}


@dataclass(frozen=True, slots=True)
class ObjdumpInsn:
    """Decoded text; ``branch`` is the slot delta of a direct jump (for the ``<label>``)."""

    text: str
    slots: int = 1
    branch: int | None = None


def hex_imm(value: int) -> str:
    """LLVM's formatHex of a signed immediate: ``0x5``, ``-0x5``."""
    return f"-{-value:#x}" if value < 0 else f"{value:#x}"


def hex_rel(value: int) -> str:
    """A branch displacement: ``+0x3``, ``-0x3``, ``+0x0``."""
    return f"-{-value:#x}" if value < 0 else f"+{value:#x}"


def _mem(base: int, off: int) -> str:
    return f"r{base} - {-off:#x}" if off < 0 else f"r{base} + {off:#x}"


def objdump_text(insn: Insn, second: Insn | None = None) -> ObjdumpInsn | None:
    """The instruction's llvm-objdump text, or None for ``<unknown>``.

    ``second`` is the following slot; it is only read for LD_IMM64 (whose second half LLVM
    takes as the upper 32 bits without checking its other fields).
    """
    cls = insn.cls
    if cls in (op.ALU, op.ALU64):
        return _alu(insn)
    if cls in (op.JMP, op.JMP32):
        return _jmp(insn)
    if cls == op.LD:
        return _ld(insn, second)
    if cls == op.LDX:
        return _ldx(insn)
    if cls == op.ST:
        return _st(insn)
    return _stx(insn)


def _ok(*regs: int) -> bool:
    return all(r <= _MAX_REG for r in regs)


def _alu(insn: Insn) -> ObjdumpInsn | None:
    code, d, s, off, imm = insn.code, insn.dst, insn.src, insn.off, insn.imm
    wide = insn.cls == op.ALU64
    r = "r" if wide else "w"
    o, x = op.alu_op(code), op.src_bit(code)
    if not _ok(d):
        return None
    if o == op.END:
        if imm not in (16, 32, 64) or (wide and x):
            return None
        name = "bswap" if wide else ("be" if x else "le")
        return ObjdumpInsn(f"r{d} = {name}{imm} r{d}")
    if o == op.NEG:
        return None if x else ObjdumpInsn(f"{r}{d} = -{r}{d}")
    opstr = _ALU_OPS.get(o)
    if opstr is None:
        return None
    if x and not _ok(s):
        return None
    if o == op.MOV and x and off:
        if off == 1 and wide:
            return ObjdumpInsn(f"r{d} = addr_space_cast(r{s}, {(imm >> 16) & 0xFFFF:#x}, "
                               f"{imm & 0xFFFF:#x})")
        if off in (8, 16) or (off == 32 and wide):
            return ObjdumpInsn(f"{r}{d} = {_MOVSX[off]}{r}{s}")
        return None
    if o in (op.DIV, op.MOD) and off == 1:
        opstr = "s" + opstr
    elif off:
        return None
    rhs = f"{r}{s}" if x else hex_imm(imm)
    return ObjdumpInsn(f"{r}{d} {opstr} {rhs}")


def _jmp(insn: Insn) -> ObjdumpInsn | None:
    code, d, s, off, imm = insn.code, insn.dst, insn.src, insn.off, insn.imm
    jmp32 = insn.cls == op.JMP32
    r = "w" if jmp32 else "r"
    o, x = op.alu_op(code), op.src_bit(code)
    if o in _JMP_OPS:
        if not _ok(d) or (x and not _ok(s)):
            return None
        rhs = f"{r}{s}" if x else hex_imm(imm)
        return ObjdumpInsn(f"if {r}{d} {_JMP_OPS[o]} {rhs} goto {hex_rel(off)}", branch=off)
    if o == op.JA:
        if jmp32:
            return None if x else ObjdumpInsn(f"gotol {hex_rel(imm)}", branch=imm)
        if x:  # gotox (LLVM 22 indirect jump)
            return ObjdumpInsn(f"gotox r{d}") if _ok(d) else None
        return ObjdumpInsn(f"goto {hex_rel(off)}", branch=off)
    if jmp32:
        return None
    if o == op.CALL:
        if x:
            return ObjdumpInsn(f"callx r{d}") if _ok(d) else None
        return ObjdumpInsn(f"call {hex_imm(imm)}")
    if o == op.EXIT:
        return None if x or imm else ObjdumpInsn("exit")
    if o == op.JCOND:
        return None if x else ObjdumpInsn(f"may_goto {hex_rel(off)}", branch=off)
    return None


def _ld(insn: Insn, second: Insn | None) -> ObjdumpInsn | None:
    mode, size = op.mem_mode(insn.code), op.mem_size(insn.code)
    if mode == op.IMM:
        if size != op.DW or second is None or insn.off or not _ok(insn.dst):
            return None
        if insn.src:
            return ObjdumpInsn(f"ld_pseudo\tr{insn.dst}, {insn.src:#x}, {u32(insn.imm):#x}",
                               slots=2)
        return ObjdumpInsn(f"r{insn.dst} = {hex_imm(s64(imm64(insn, second)))} ll", slots=2)
    if size == op.DW:
        return None
    if mode == op.ABS:
        return ObjdumpInsn(f"r0 = *({_SIZE[size]} *)skb[{hex_imm(insn.imm)}]")
    if mode == op.IND:
        return ObjdumpInsn(f"r0 = *({_SIZE[size]} *)skb[r{insn.src}]") if _ok(insn.src) else None
    return None


def _ldx(insn: Insn) -> ObjdumpInsn | None:
    mode, size = op.mem_mode(insn.code), op.mem_size(insn.code)
    d, s = insn.dst, insn.src
    if not _ok(d, s):
        return None
    if mode == op.MEM:
        r = "r" if size == op.DW else "w"
        return ObjdumpInsn(f"{r}{d} = *({_SIZE[size]} *)({_mem(s, insn.off)})")
    if mode == op.MEMSX and size != op.DW:
        return ObjdumpInsn(f"r{d} = *({_SSIZE[size]} *)({_mem(s, insn.off)})")
    return None


def _st(insn: Insn) -> ObjdumpInsn | None:
    size = op.mem_size(insn.code)
    if op.mem_mode(insn.code) != op.MEM or not _ok(insn.dst):
        return None
    return ObjdumpInsn(f"*({_SIZE[size]} *)({_mem(insn.dst, insn.off)}) = {hex_imm(insn.imm)}")


def _stx(insn: Insn) -> ObjdumpInsn | None:
    mode, size = op.mem_mode(insn.code), op.mem_size(insn.code)
    d, s = insn.dst, insn.src
    if not _ok(d, s):
        return None
    r = "r" if size == op.DW else "w"
    addr = _mem(d, insn.off)
    if mode == op.MEM:
        return ObjdumpInsn(f"*({_SIZE[size]} *)({addr}) = {r}{s}")
    if mode == op.ATOMIC:
        text = _atomic(insn, size, r)
        return ObjdumpInsn(text) if text else None
    return None


def _atomic(insn: Insn, size: int, r: str) -> str | None:
    """LLVM decodes atomics on imm bits 7-4 (operation), 3-0 (fetch) and 8 (acquire/release).

    Read-modify-write forms exist for W and DW only; load_acquire/store_release for all sizes.
    The fetch forms win over load_acquire when both patterns match (imm 0x101 is a fetch_add).
    load_acquire is the one atomic whose base register is ``src`` (it loads into ``dst``).
    """
    imm, d, s, off = insn.imm, insn.dst, insn.src, insn.off
    hi, lo, acq_rel = (imm >> 4) & 0xF, imm & 0xF, (imm >> 8) & 1
    rmw = size in (op.W, op.DW)
    sz, addr = _SIZE[size], _mem(d, off)
    if rmw and lo == 1:
        if hi in _ATOMIC_ALU:
            return f"{r}{s} = atomic_fetch_{_ATOMIC_ALU[hi]}(({sz} *)({addr}), {r}{s})"
        if hi == 0xE:
            name = "xchg_64" if size == op.DW else "xchg32_32"
            return f"{r}{s} = {name}({addr}, {r}{s})"
        if hi == 0xF:
            name = "cmpxchg_64" if size == op.DW else "cmpxchg32_32"
            return f"{r}0 = {name}({addr}, {r}0, {r}{s})"
    if acq_rel and hi == 0:
        return f"{r}{d} = load_acquire(({sz} *)({_mem(s, off)}))"
    if acq_rel and hi == 1:
        return f"store_release(({sz} *)({addr}), {r}{s})"
    if rmw and hi in _LOCK_OPS:
        return f"lock *({sz} *)({addr}) {_LOCK_OPS[hi]} {r}{s}"
    return None
