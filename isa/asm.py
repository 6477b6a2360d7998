"""Assembler for the bpf_conformance assembly syntax (``-- asm`` sections).

The syntax is the one the suite's own assembler (``lib/src/bpf_assembler.cc``)
accepts: one instruction per line, ``%rN`` registers, ``[%rN+off]`` memory
operands, mnemonics such as ``add32``, ``ldxdw``, ``jsgt32``, ``lock fetch
add``, ``call local LABEL``.  Encodings follow that assembler, which in turn
follows the kernel:

- ``neg`` takes one operand and encodes with the K source bit and imm 0;
- ``be``/``le`` are ALU-class END with TO_BE/TO_LE, ``swap``/``bswap`` are
  ALU64-class END (cpu v4), the width goes in imm;
- ``sdiv``/``smod`` set ``off = 1``; ``movsxAB`` sets ``off = A`` and the
  class from ``B`` (32 = ALU, 64 = ALU64);
- ``ja32`` is the JMP32-class ``gotol`` whose target lives in imm;
- ``call %rN`` (callx) puts the register in dst, as the kernel and LLVM do;
- ``call local`` sets src = 1 (BPF_PSEUDO_CALL) and a slot-relative imm.

Labels are ``name:`` on a line of their own; the first ``exit`` instruction
is also an implicit label named ``exit``.  Jump targets are labels or
``+N``/``-N`` slot offsets.  Every error is an :class:`AsmError` (an
:class:`~isa.insn.IsaError`) whose message names the file, line and text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Callable, Iterable

from . import opcodes as op
from .insn import Insn, IsaError, ld_imm64
from .ints import S64_MIN, U32, U64, fits_s32, s32, sext, u64

__all__ = ["AsmError", "assemble", "assemble_lines", "MNEMONICS"]


class AsmError(IsaError):
    """An assembly error at a source line (1-based ``line``, original ``text``)."""

    def __init__(self, message: str, *, line: int | None = None, text: str = "",
                 filename: str = "<asm>", index: int | None = None):
        where = f"{filename}:{line}" if line is not None else filename
        shown = f" (in '{text.strip()}')" if text.strip() else ""
        super().__init__(f"{where}: {message}{shown}", index)
        self.reason = message
        self.line = line
        self.text = text
        self.filename = filename


class _Bad(Exception):
    """Internal: a problem in one line, wrapped into AsmError by the caller."""


# --- operand parsing ----------------------------------------------------
_REG_RE = re.compile(r"%r(\d+)")
# [%rN], [%rN+off], [%rN-off]; off decimal or 0x hex.
_MEM_RE = re.compile(r"\[\s*(%r\d+)\s*(?:([+-])\s*(0[xX][0-9a-fA-F]+|\d+))?\s*\]")
_INT_RE = re.compile(r"([+-]?)(0[xX][0-9a-fA-F]+|\d+)")

# The suite's assembler knows %r11..%r15 as "fake registers" so negative
# tests can be written; r11 is also our stack-argument base (BPF_REG_PARAMS).
_MAX_ASM_REG = 15


def _reg(tok: str) -> int:
    m = _REG_RE.fullmatch(tok)
    if not m or int(m.group(1)) > _MAX_ASM_REG or (len(m.group(1)) > 1 and m.group(1)[0] == "0"):
        raise _Bad(f"invalid register: {tok}")
    return int(m.group(1))


def _parse_int(tok: str) -> tuple[int, bool]:
    """(value, is_hex). Hex with a minus sign is the negated value."""
    m = _INT_RE.fullmatch(tok)
    if not m:
        raise _Bad(f"invalid number: {tok}")
    sign, digits = m.groups()
    is_hex = digits[:2].lower() == "0x"
    value = int(digits, 16 if is_hex else 10)
    return (-value if sign == "-" else value), is_hex


def _imm32(tok: str) -> int:
    """A 32-bit immediate as a signed int32.

    Like the suite's assembler, hex is an unsigned bit pattern up to
    0xffffffff and decimal must fit a signed int32 (so ``-1`` and
    ``0xffffffff`` encode identically).
    """
    value, is_hex = _parse_int(tok)
    if is_hex and value >= 0:
        if value > U32:
            raise _Bad(f"immediate out of 32-bit range: {tok}")
        return s32(value)
    if not fits_s32(value):
        raise _Bad(f"immediate out of 32-bit range: {tok}")
    return value


def _imm64(tok: str) -> int:
    value, _ = _parse_int(tok)
    if not S64_MIN <= value <= U64:
        raise _Bad(f"immediate out of 64-bit range: {tok}")
    return u64(value)


def _off16(tok: str) -> int:
    """A 16-bit offset: hex is an unsigned bit pattern up to 0xffff, decimal signed."""
    value, is_hex = _parse_int(tok)
    if is_hex and value >= 0:
        if value > 0xFFFF:
            raise _Bad(f"offset out of 16-bit range: {tok}")
        return sext(value, 16)
    if not -(1 << 15) <= value < (1 << 15):
        raise _Bad(f"offset out of 16-bit range: {tok}")
    return value


def _mem(tok: str) -> tuple[int, int]:
    m = _MEM_RE.fullmatch(tok)
    if not m:
        raise _Bad(f"invalid memory operand: {tok}")
    reg = _reg(m.group(1))
    off = _off16(m.group(2) + m.group(3)) if m.group(2) else 0
    return reg, off


def _is_reg(tok: str) -> bool:
    return tok.startswith("%")


# --- per-line encoding ----------------------------------------------------
@dataclass
class _Fixup:
    """A label reference to resolve once all labels are known."""
    slot: int
    label: str
    in_imm: bool  # call local / ja32 keep the target in imm, others in off
    line: int
    text: str


class _Line:
    """Context handed to encoders: where to record a label reference."""

    def __init__(self, slot: int, line: int, text: str, fixups: list[_Fixup]):
        self.slot, self.line, self.text, self.fixups = slot, line, text, fixups

    def target(self, tok: str, in_imm: bool) -> int:
        if tok[:1] in "+-":
            if in_imm:  # ja32 / call local with a numeric target: imm32 range
                value, _ = _parse_int(tok)
                if not fits_s32(value):
                    raise _Bad(f"jump offset out of 32-bit range: {tok}")
                return value
            return _off16(tok)
        if not tok or tok[0] == "%" or tok[0] == "[":
            raise _Bad(f"invalid jump target: {tok}")
        self.fixups.append(_Fixup(self.slot, tok, in_imm, self.line, self.text))
        return 0


Encoder = Callable[[str, list[str], _Line], list[Insn]]

_ALU_OPS = {"add": op.ADD, "sub": op.SUB, "mul": op.MUL, "div": op.DIV, "sdiv": op.DIV,
            "or": op.OR, "and": op.AND, "lsh": op.LSH, "rsh": op.RSH, "mod": op.MOD,
            "smod": op.MOD, "xor": op.XOR, "mov": op.MOV, "arsh": op.ARSH}
_JMP_OPS = {"jeq": op.JEQ, "jgt": op.JGT, "jge": op.JGE, "jset": op.JSET, "jne": op.JNE,
            "jsgt": op.JSGT, "jsge": op.JSGE, "jlt": op.JLT, "jle": op.JLE,
            "jslt": op.JSLT, "jsle": op.JSLE}
_SIZES = {"b": op.B, "h": op.H, "w": op.W, "dw": op.DW}
_ATOMIC_OPS = {"add": op.ADD, "or": op.OR, "and": op.AND, "xor": op.XOR,
               "xchg": op.XCHG, "cmpxchg": op.CMPXCHG}


def _alu(cls: int, alu: int, signed: bool) -> Encoder:
    def enc(_m: str, ops: list[str], _ctx: _Line) -> list[Insn]:
        dst = _reg(ops[0])
        off = 1 if signed else 0  # sdiv/smod are div/mod with off = 1
        if _is_reg(ops[1]):
            return [Insn(cls | alu | op.X, dst, _reg(ops[1]), off, 0)]
        return [Insn(cls | alu | op.K, dst, 0, off, _imm32(ops[1]))]
    return enc


def _neg(cls: int) -> Encoder:
    return lambda _m, ops, _c: [Insn(cls | op.NEG | op.K, _reg(ops[0]), 0, 0, 0)]


def _movsx(cls: int, width: int) -> Encoder:
    def enc(m: str, ops: list[str], _ctx: _Line) -> list[Insn]:
        if not _is_reg(ops[1]):
            raise _Bad(f"{m} needs a register source")
        return [Insn(cls | op.MOV | op.X, _reg(ops[0]), _reg(ops[1]), width, 0)]
    return enc


def _endian(code: int, width: int) -> Encoder:
    return lambda _m, ops, _c: [Insn(code, _reg(ops[0]), 0, 0, width)]


def _ldx(mode: int, size: int) -> Encoder:
    def enc(_m: str, ops: list[str], _ctx: _Line) -> list[Insn]:
        src, off = _mem(ops[1])
        return [Insn(op.LDX | mode | size, _reg(ops[0]), src, off, 0)]
    return enc


def _st(size: int) -> Encoder:
    def enc(_m: str, ops: list[str], _ctx: _Line) -> list[Insn]:
        dst, off = _mem(ops[0])
        return [Insn(op.ST | op.MEM | size, dst, 0, off, _imm32(ops[1]))]
    return enc


def _stx(size: int) -> Encoder:
    def enc(_m: str, ops: list[str], _ctx: _Line) -> list[Insn]:
        dst, off = _mem(ops[0])
        return [Insn(op.STX | op.MEM | size, dst, _reg(ops[1]), off, 0)]
    return enc


def _lddw(_m: str, ops: list[str], _ctx: _Line) -> list[Insn]:
    return ld_imm64(_reg(ops[0]), _imm64(ops[1]))


def _ja(_m: str, ops: list[str], ctx: _Line) -> list[Insn]:
    return [Insn(op.JMP | op.JA, 0, 0, ctx.target(ops[0], in_imm=False), 0)]


def _ja32(_m: str, ops: list[str], ctx: _Line) -> list[Insn]:
    # "gotol": JMP32-class JA with the 32-bit target in imm (cpu v4).
    return [Insn(op.JMP32 | op.JA, 0, 0, 0, ctx.target(ops[0], in_imm=True))]


def _jcond(cls: int, jop: int) -> Encoder:
    def enc(_m: str, ops: list[str], ctx: _Line) -> list[Insn]:
        dst = _reg(ops[0])
        if _is_reg(ops[1]):
            code, src, imm = cls | jop | op.X, _reg(ops[1]), 0
        else:
            code, src, imm = cls | jop | op.K, 0, _imm32(ops[1])
        return [Insn(code, dst, src, ctx.target(ops[2], in_imm=False), imm)]
    return enc


def _exit(_m: str, _ops: list[str], _ctx: _Line) -> list[Insn]:
    return [Insn(op.EXIT_OP)]


def _call(_m: str, ops: list[str], ctx: _Line) -> list[Insn]:
    if ops in (["local"], ["helper"], ["runtime"]):
        raise _Bad(f"call {ops[0]} needs a target")
    if len(ops) == 1:
        ops = ["helper", ops[0]]
    if len(ops) != 2:
        raise _Bad("invalid number of operands for mnemonic: call")
    mode, target = ops
    if mode == "helper":
        if _is_reg(target):  # callx: register in dst, as the kernel and LLVM encode it
            return [Insn(op.CALLX_OP, _reg(target), 0, 0, 0)]
        return [Insn(op.CALL_OP, 0, op.CALL_HELPER, 0, _imm32(target))]
    if mode == "local":
        return [Insn(op.CALL_OP, 0, op.PSEUDO_CALL, 0, ctx.target(target, in_imm=True))]
    if mode == "runtime":  # the suite's name for a kfunc-style call (src = 2)
        return [Insn(op.CALL_OP, 0, op.PSEUDO_KFUNC_CALL, 0, _imm32(target))]
    raise _Bad(f"invalid call mode: {mode}")


def _lock(_m: str, ops: list[str], _ctx: _Line) -> list[Insn]:
    # lock [fetch] <op>[32|64] [%rD+off], %rS
    fetch = bool(ops) and ops[0] == "fetch"
    rest = ops[1:] if fetch else ops
    if len(rest) != 3:
        raise _Bad("invalid number of operands for lock")
    name, size = rest[0], op.DW
    if name.endswith("32"):
        name, size = name[:-2], op.W
    elif name.endswith("64"):
        name = name[:-2]
    if name not in _ATOMIC_OPS:
        raise _Bad(f"invalid atomic operation: {rest[0]}")
    imm = _ATOMIC_OPS[name]
    if fetch:
        imm |= op.FETCH  # xchg/cmpxchg already carry it
    dst, off = _mem(rest[1])
    return [Insn(op.STX | op.ATOMIC | size, dst, _reg(rest[2]), off, imm)]


def _build_table() -> dict[str, tuple[Encoder, int | None]]:
    """mnemonic -> (encoder, operand count or None if the encoder checks it)."""
    t: dict[str, tuple[Encoder, int | None]] = {}
    for name, alu in _ALU_OPS.items():
        signed = name in ("sdiv", "smod")
        t[name] = t[name + "64"] = (_alu(op.ALU64, alu, signed), 2)
        t[name + "32"] = (_alu(op.ALU, alu, signed), 2)
    t["neg"] = t["neg64"] = (_neg(op.ALU64), 1)
    t["neg32"] = (_neg(op.ALU), 1)
    for width in (8, 16, 32):
        t[f"movsx{width}64"] = (_movsx(op.ALU64, width), 2)
        if width != 32:  # a 32-bit movsx from 32 bits is not an instruction
            t[f"movsx{width}32"] = (_movsx(op.ALU, width), 2)
    for width in (16, 32, 64):
        t[f"be{width}"] = (_endian(op.ALU | op.END | op.TO_BE, width), 1)
        t[f"le{width}"] = (_endian(op.ALU | op.END | op.TO_LE, width), 1)
        t[f"swap{width}"] = t[f"bswap{width}"] = (_endian(op.ALU64 | op.END, width), 1)
    for suffix, size in _SIZES.items():
        t["ldx" + suffix] = (_ldx(op.MEM, size), 2)
        t["st" + suffix] = (_st(size), 2)
        t["stx" + suffix] = (_stx(size), 2)
        if size != op.DW:
            t["ldxs" + suffix] = (_ldx(op.MEMSX, size), 2)
    t["lddw"] = (_lddw, 2)
    t["ja"] = (_ja, 1)
    t["ja32"] = (_ja32, 1)
    for name, jop in _JMP_OPS.items():
        t[name] = t[name + "64"] = (_jcond(op.JMP, jop), 3)
        t[name + "32"] = (_jcond(op.JMP32, jop), 3)
    t["exit"] = (_exit, 0)
    t["call"] = (_call, None)
    t["lock"] = (_lock, None)
    return t


MNEMONICS = _build_table()
_TOKEN_SPLIT = re.compile(r"[\s,]+")


def _tokens(text: str) -> list[str]:
    code = text.split("#", 1)[0]
    return [t for t in _TOKEN_SPLIT.split(code.strip()) if t]


def assemble_lines(lines: Iterable[tuple[int, str]], filename: str = "<asm>") -> list[Insn]:
    """Assemble ``(line_number, text)`` pairs into 8-byte slots."""
    out: list[Insn] = []
    labels: dict[str, tuple[int, int]] = {}  # name -> (slot, line)
    fixups: list[_Fixup] = []
    for lineno, text in lines:
        toks = _tokens(text)
        if not toks:
            continue
        try:
            head = toks[0]
            if head.endswith(":"):
                name = head[:-1]
                if not name or len(toks) > 1:
                    raise _Bad("a label must stand alone on its line" if name else "empty label")
                if name in labels:
                    raise _Bad(f"duplicate label ({name}), previous declaration at line "
                               f"{labels[name][1]}")
                labels[name] = (len(out), lineno)
                continue
            if head not in MNEMONICS:
                raise _Bad(f"invalid mnemonic: {head}")
            if head == "exit" and "exit" not in labels:
                labels["exit"] = (len(out), lineno)  # implicit label: the first exit
            encoder, count = MNEMONICS[head]
            ops = toks[1:]
            if count is not None and len(ops) != count:
                raise _Bad(f"invalid number of operands for mnemonic: {head} "
                           f"(expected {count}, got {len(ops)})")
            out.extend(encoder(head, ops, _Line(len(out), lineno, text, fixups)))
        except _Bad as e:
            raise AsmError(str(e), line=lineno, text=text, filename=filename,
                           index=len(out)) from None
    for fx in fixups:
        if fx.label not in labels:
            raise AsmError(f"invalid label: {fx.label}", line=fx.line, text=fx.text,
                           filename=filename, index=fx.slot)
        rel = labels[fx.label][0] - fx.slot - 1
        insn = out[fx.slot]
        if fx.in_imm:
            out[fx.slot] = Insn(insn.code, insn.dst, insn.src, insn.off, rel)
        else:
            if not -(1 << 15) <= rel < (1 << 15):
                raise AsmError(f"jump to {fx.label} out of 16-bit offset range ({rel})",
                               line=fx.line, text=fx.text, filename=filename, index=fx.slot)
            out[fx.slot] = Insn(insn.code, insn.dst, insn.src, rel, insn.imm)
    return out


def assemble(source: str, filename: str = "<asm>", first_line: int = 1) -> list[Insn]:
    """Assemble conformance-syntax text; ``first_line`` numbers its first line."""
    return assemble_lines(((first_line + i, t) for i, t in enumerate(source.splitlines())),
                          filename)
