"""ALU instructions of the x86-64 JIT (the kernel's ``do_jit`` ALU/ALU64 cases).

A mixin of :class:`jit.translate._Pass`: ``self.emit``, ``self.fail``, ``self.options`` and
the pass state come from there.  Division by zero yields 0 and modulo by zero keeps dst,
``INT_MIN / -1`` yields ``INT_MIN``: the guards the kernel's verifier patches in are emitted
here.
"""

from __future__ import annotations

from isa import Insn
from isa import opcodes as op
from isa.ints import u32

from . import x86_encode as x
from .regmap import AUX, reg

RAX, RCX, RDX, RSI, RDI, RBP = x.RAX, x.RCX, x.RDX, x.RSI, x.RDI, x.RBP

_ALU_SIMPLE = {op.ADD: "add", op.SUB: "sub", op.AND: "and", op.OR: "or", op.XOR: "xor"}
_SHIFTS = {op.LSH: "shl", op.RSH: "shr", op.ARSH: "sar"}


class AluEmitter:
    def _alu(self, insn: Insn) -> None:
        is64 = insn.code & 7 == op.ALU64
        o, use_x = insn.code & 0xF0, bool(insn.code & op.X)
        dst = reg(insn.dst)
        src = reg(insn.src) if use_x else None
        imm = insn.imm
        if o == op.END:
            return self._end(insn, dst, is64)
        if o == op.NEG:
            if use_x:
                raise self.fail(f"unknown opcode {insn.code:#04x}")
            return self.emit(x.neg(dst, is64))
        if o == op.MOV:
            return self._mov(insn, dst, src, is64)
        if o in (op.DIV, op.MOD):
            if insn.off not in (0, 1):
                raise self.fail(f"div/mod with offset {insn.off}")
            return self._divmod(o == op.MOD, insn.off == 1, is64, dst, src, imm)
        if o in _ALU_SIMPLE:
            name = _ALU_SIMPLE[o]
            return self.emit(x.alu_rr(name, dst, src, is64) if use_x
                             else x.alu_ri(name, dst, imm, is64))
        if o == op.MUL:
            return self.emit(x.imul_rr(dst, src, is64) if use_x else x.imul_rri(dst, dst, imm, is64))
        if o in _SHIFTS:
            if use_x:
                return self._shift_x(_SHIFTS[o], dst, src, is64)
            return self.emit(x.shift_ri(_SHIFTS[o], dst, imm, is64))
        raise self.fail(f"unknown opcode {insn.code:#04x}")

    def _mov(self, insn: Insn, dst: int, src: int | None, is64: bool) -> None:
        off = insn.off
        if src is None:
            if off:
                raise self.fail(f"unsupported mov with offset {off}")
            # ALU64: imm sign-extends to 64 bits; ALU32: the u32 zero-extended
            return self.emit(x.mov_imm(dst, insn.imm if is64 else u32(insn.imm), is64))
        if off == 0:
            if dst != src or not is64:       # mov r32, r32 still zero-extends
                self.emit(x.mov_rr(dst, src, is64))
            return
        if off in (8, 16) or (off == 32 and is64):
            return self.emit(x.movsx_rr(off // 8, dst, src, is64))
        raise self.fail(f"unsupported mov with offset {off}")

    def _end(self, insn: Insn, dst: int, is64: bool) -> None:
        width = insn.imm
        if width not in (16, 32, 64):
            raise self.fail(f"byte swap width {width}")
        if is64 or insn.code & op.TO_BE:     # bswap, or to-BE on a little-endian CPU
            if width == 16:
                self.emit(x.ror16_8(dst), x.movzx_rr(2, dst, dst))
            else:
                self.emit(x.bswap(dst, width == 64))
        elif width == 16:                    # to-LE only truncates
            self.emit(x.movzx_rr(2, dst, dst))
        elif width == 32:
            self.emit(x.mov_rr(dst, dst, False))

    def _shift_x(self, name: str, dst: int, src: int, is64: bool) -> None:
        """Shift by a register: BMI2 takes it in any register; otherwise x86 takes the count
        in cl only (rcx is BPF r4)."""
        if self.options.bmi2:
            return self.emit(x.shiftx(name, dst, dst, src, is64))
        if src == RCX:
            return self.emit(x.shift_cl(name, dst, is64))
        if dst == RCX:
            self.emit(x.mov_rr(AUX, RCX), x.mov_rr(RCX, src), x.shift_cl(name, AUX, is64),
                      x.mov_rr(RCX, AUX))
        else:
            self.emit(x.mov_rr(AUX, RCX), x.mov_rr(RCX, src), x.shift_cl(name, dst, is64),
                      x.mov_rr(RCX, AUX))

    def _divmod(self, is_mod: bool, signed: bool, is64: bool, dst: int, src: int | None,
                imm: int) -> None:
        w = 64 if is64 else 32
        if is_mod:
            zero = b"" if is64 else x.mov_rr(dst, dst, False)    # dst unchanged (zero-extended)
            minus1 = x.xor_rr(dst, dst, False)                    # x % -1 == 0
        else:
            zero = x.xor_rr(dst, dst, False)                      # x / 0 == 0
            minus1 = x.neg(dst, is64)                             # x / -1 == -x (INT_MIN stays)
        if src is None:
            divisor = imm & ((1 << w) - 1)
            if divisor == 0:
                return self.emit(zero)
            if signed and divisor == (1 << w) - 1:
                return self.emit(minus1)
            self.emit(x.mov_imm(AUX, imm if is64 else u32(imm), is64))
            return self.emit(self._div_core(is_mod, signed, is64, dst, AUX))
        # divide by the source register itself, unless the division's setup overwrites it
        divisor = AUX if src in (RAX, RDX) else src
        if divisor == AUX:
            self.emit(x.mov_rr(AUX, src, is64))
        core = self._div_core(is_mod, signed, is64, dst, divisor)
        # minus-one guard (signed only): cmp divisor, -1; jne core; <minus1>; jmp done
        m1 = b""
        if signed:
            tail = minus1 + x.jmp_rel8(len(core))
            m1 = x.alu_ri("cmp", divisor, -1, is64) + x.jcc_rel8("ne", len(tail)) + tail
        after_zero = m1 + core
        zero_blk = zero + x.jmp_rel8(len(after_zero))
        self.emit(x.test_rr(divisor, divisor, is64), x.jcc_rel8("ne", len(zero_blk)), zero_blk,
                  after_zero)

    @staticmethod
    def _div_core(is_mod: bool, signed: bool, is64: bool, dst: int, divisor: int) -> bytes:
        """dst = dst (/ or %) divisor (neither rax nor rdx), with rax/rdx preserved unless
        one of them is dst; the result goes straight from rax/rdx into dst."""
        code = b""
        if dst != RAX:
            code += x.push(RAX)
        if dst != RDX:
            code += x.push(RDX)
        if dst != RAX:
            code += x.mov_rr(RAX, dst, is64)
        if signed:
            code += x.cqo() if is64 else x.cdq()
        else:
            code += x.xor_rr(RDX, RDX, False)
        code += x.div(divisor, is64, signed)
        res = RDX if is_mod else RAX    # a 32-bit div zero-extends both into 64 bits
        if dst == RAX:
            if res != RAX:
                code += x.mov_rr(RAX, res)
            return code + x.pop(RDX)
        if dst == RDX:
            if res != RDX:
                code += x.mov_rr(RDX, res)
            return code + x.pop(RAX)
        return code + x.mov_rr(dst, res) + x.pop(RDX) + x.pop(RAX)

    # -- jumps and calls ---------------------------------------------------------------
