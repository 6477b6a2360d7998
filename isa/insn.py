"""The 8-byte BPF instruction: decode, encode and structural validity.

A program is a list of :class:`Insn`, one per 8-byte slot, exactly as the
kernel stores it: LD_IMM64 occupies two consecutive slots and its second slot
is an ``Insn`` with code 0 carrying the upper 32 bits in ``imm``.  Keeping the
slot layout means jump offsets, call offsets and verifier/JIT instruction
indices are plain list indices, with no translation table anywhere.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from . import opcodes as op
from .errors import BAD_INPUT, Error
from .ints import U32, s32, u64

_SLOT = struct.Struct("<BBhi")


class IsaError(Error, ValueError):
    """Malformed instruction stream; ``index`` is the 8-byte slot number."""
    kind = "isa"
    exit_code = BAD_INPUT

    def __init__(self, message: str, index: int | None = None):
        super().__init__(message)
        self.index = index

    @property
    def byte_offset(self) -> int | None:
        return None if self.index is None else self.index * 8


@dataclass(frozen=True, slots=True)
class Insn:
    code: int
    dst: int = 0
    src: int = 0
    off: int = 0
    imm: int = 0

    # --- field views -------------------------------------------------
    @property
    def cls(self) -> int:
        return self.code & 0x07

    @property
    def is_ld_imm64(self) -> bool:
        return self.code == op.LD_IMM64

    def encode(self) -> bytes:
        return _SLOT.pack(self.code, (self.src << 4) | self.dst, self.off, self.imm)

    @classmethod
    def decode_slot(cls, data: bytes, pos: int = 0) -> "Insn":
        code, regs, off, imm = _SLOT.unpack_from(data, pos)
        return cls(code, regs & 0x0F, regs >> 4, off, imm)


def decode(data: bytes) -> list[Insn]:
    """Split raw bytes into slots. Raises IsaError if the length is not a multiple of 8."""
    if len(data) % 8:
        raise IsaError(f"length {len(data)} is not a multiple of 8 bytes", len(data) // 8)
    return [Insn.decode_slot(data, pos) for pos in range(0, len(data), 8)]


def encode(insns: list[Insn]) -> bytes:
    return b"".join(i.encode() for i in insns)


def ld_imm64(dst: int, value: int, src: int = 0) -> list[Insn]:
    """The two slots of ``dst = value ll`` (value taken modulo 2**64)."""
    value = u64(value)
    return [Insn(op.LD_IMM64, dst, src, 0, s32(value)), Insn(0, 0, 0, 0, s32(value >> 32))]


def imm64(first: Insn, second: Insn) -> int:
    """The unsigned 64-bit constant of an LD_IMM64 pair."""
    return (first.imm & U32) | ((second.imm & U32) << 32)


# --- validity ----------------------------------------------------------
def opcode_problem(insn: Insn) -> str | None:
    """Why ``insn.code`` plus its selector fields name no instruction, or None.

    This is the encoding table of RFC 9669 with the kernel's extensions
    (cpu v4, legacy packet loads, arena casts, may_goto).  Register ranges and
    reserved-field rules are the verifier's business, not checked here,
    except for selector fields (imm of atomics/END, off of movsx/sdiv).
    """
    code, cls = insn.code, insn.cls
    if cls in (op.ALU, op.ALU64):
        o = op.alu_op(code)
        if o == op.END:
            if cls == op.ALU64 and op.src_bit(code):
                return "bswap with X source"
            return None if insn.imm in (16, 32, 64) else "byte swap width not 16/32/64"
        if o == op.NEG:
            return None if not op.src_bit(code) else "neg with X source"
        if o in (op.DIV, op.MOD):
            return None if insn.off in (0, 1) else "div/mod offset not 0 or 1"
        if o == op.MOV:
            allowed = {0}
            if op.src_bit(code):
                allowed |= {8, 16} | ({32, 1} if cls == op.ALU64 else set())
            return None if insn.off in allowed else "mov offset not a valid movsx/cast"
        if o > op.END:
            return "unknown ALU op"
        return None  # ADD SUB MUL OR AND LSH RSH XOR ARSH, both sources
    if cls in (op.JMP, op.JMP32):
        o = op.alu_op(code)
        if o == op.JA:
            return None if not op.src_bit(code) else "ja with X source"
        if o in op.COND_JUMPS:
            return None
        if cls == op.JMP32:
            return "call/exit/jcond in JMP32 class"
        if o == op.CALL:
            return None
        if o == op.EXIT:
            return None if not op.src_bit(code) else "exit with X source"
        if o == op.JCOND:
            return None if not op.src_bit(code) else "jcond with X source"
        return "unknown jump op"
    mode, size = op.mem_mode(code), op.mem_size(code)
    if cls == op.LD:
        if mode == op.IMM:
            return None if size == op.DW else "ld imm of non-DW size"
        if mode in (op.ABS, op.IND):
            return None if size != op.DW else "legacy packet load of DW size"
        return "unknown LD mode"
    if cls == op.LDX:
        if mode == op.MEM:
            return None
        if mode == op.MEMSX:
            return None if size != op.DW else "sign-extending load of DW size"
        return "unknown LDX mode"
    if cls == op.ST:
        return None if mode == op.MEM else "unknown ST mode"
    # STX
    if mode == op.MEM:
        return None
    if mode != op.ATOMIC:
        return "unknown STX mode"
    imm = insn.imm
    if imm in (op.LOAD_ACQ, op.STORE_REL):
        return None
    if size not in (op.W, op.DW):
        return "atomic read-modify-write of B/H size"
    if (imm & ~op.FETCH) in op.ATOMIC_RMW_OPS or imm in (op.XCHG, op.CMPXCHG):
        return None
    return f"unknown atomic op {imm:#x}"


def _second_half_problem(insns: list[Insn], i: int) -> tuple[int, str] | None:
    if i + 1 >= len(insns):
        return i, f"LD_IMM64 at insn {i} has no second half"
    nxt = insns[i + 1]
    if nxt.code or nxt.dst or nxt.src or nxt.off:
        return i + 1, f"LD_IMM64 at insn {i} has an invalid second half"
    return None


def ld_imm64_problem(insns: list[Insn]) -> tuple[int, str] | None:
    """(slot, message) of the first LD_IMM64 without a valid second slot, or None: the slot
    structure a loader needs to link a section, whatever else its instructions hold."""
    i = 0
    while i < len(insns):
        if insns[i].is_ld_imm64:
            problem = _second_half_problem(insns, i)
            if problem is not None:
                return problem
            i += 2
        else:
            i += 1
    return None


def check_program(insns: list[Insn]) -> None:
    """Raise IsaError at the first slot that is not a valid instruction.

    Also pairs LD_IMM64 with its second slot, which must have code 0 and
    zero dst/src/off (the only reserved fields a disassembler must know about).
    """
    i = 0
    while i < len(insns):
        insn = insns[i]
        problem = opcode_problem(insn)
        if problem:
            raise IsaError(f"unknown opcode {insn.code:#04x} at insn {i} ({problem})", i)
        if insn.dst > op.PARAMS or insn.src > op.PARAMS:
            raise IsaError(f"invalid register number at insn {i}", i)
        if insn.is_ld_imm64:
            problem = _second_half_problem(insns, i)
            if problem is not None:
                raise IsaError(problem[1], problem[0])
            i += 2
            continue
        i += 1
