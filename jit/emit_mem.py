"""Loads, stores, atomics, LD_IMM64 and LD_ABS/LD_IND of the x86-64 JIT (the kernel's
``do_jit`` LDX/STX/ST/LD cases), including the stack-argument (r11) slot accesses.

A mixin of :class:`jit.translate._Pass`: ``self.emit``, ``self.fail``, the frame and the
relocations come from there.
"""

from __future__ import annotations

from isa import Insn
from isa import opcodes as op
from isa import stack_args as sa
from isa.insn import imm64
from isa.ints import u32

from . import x86_encode as x
from .image import Target
from .regmap import ARG6, AUX, AX, reg

RAX, RCX, RDX, RSI, RDI, RBP = x.RAX, x.RCX, x.RDX, x.RSI, x.RDI, x.RBP

_ATOMIC_ALU = {op.ADD: "add", op.OR: "or", op.AND: "and", op.XOR: "xor"}


class MemEmitter:
    def _ld(self, i: int, insn: Insn) -> int:
        mode = insn.code & 0xE0
        if insn.code == op.LD_IMM64:
            if i + 1 >= self.funcs[self.fidx].end:
                raise self.fail("LD_IMM64 has no second half")
            second = self.insns[i + 1]
            dst = reg(insn.dst)
            if insn.src == 0:
                self.emit(x.mov_imm(dst, imm64(insn, second)))
                return 2
            if insn.src == op.PSEUDO_FUNC:
                target = Target("func", i + 1 + insn.imm)
            elif insn.src in (op.PSEUDO_MAP_IDX, op.PSEUDO_MAP_FD):
                target = Target("map", insn.imm)
            elif insn.src in (op.PSEUDO_MAP_IDX_VALUE, op.PSEUDO_MAP_VALUE):
                target = Target("map_value", insn.imm, u32(second.imm))
            elif insn.src == op.PSEUDO_BTF_ID:
                target = Target("ksym", insn.imm)
            else:
                raise self.fail(f"LD_IMM64 with pseudo source {insn.src}")
            self._reloc(len(self.buf) + 2, "abs64", target)
            self.emit(x.movabs(dst, 0))
            return 2
        if mode in (op.ABS, op.IND):
            self._ld_abs(insn, mode == op.IND)
            return 1
        raise self.fail(f"unknown opcode {insn.code:#04x}")

    def _ld_abs(self, insn: Insn, indirect: bool) -> None:
        """Legacy packet load: r0 = ntoh(*(size *)(skb->data + off)), or return 0 if out of range.

        The routine (a trampoline) takes rdi = ctx (r6, as the ISA fixes),
        esi = offset, edx = size and returns the value in rax and a status in
        rdx (0 = loaded).  r1-r5 are scratch after LD_ABS, as in the kernel.
        """
        size = op.SIZE_BYTES[insn.code & 0x18]
        if size == 8:
            raise self.fail(f"unknown opcode {insn.code:#04x}")
        if indirect:    # esi = src + imm (32-bit) first: src may be rdi (r1)
            self.emit(x.mov_rr(RSI, reg(insn.src), False))
            if insn.imm:
                self.emit(x.alu_ri("add", RSI, insn.imm, False))
            self.emit(x.mov_rr(RDI, reg(6)))
        else:
            self.emit(x.mov_rr(RDI, reg(6)), x.mov_ri32(RSI, insn.imm))
        self.emit(x.mov_ri32(RDX, size))
        self._call_target(Target("ld_abs"))
        # test edx, edx; jz ok; xor eax, eax; jmp epilogue; ok:
        self.emit(x.test_rr(RDX, RDX, False))
        fail = x.xor_rr(RAX, RAX, False)
        # the jmp is this instruction's last code: size it like any branch
        end_prev = self.prev.ends[self.cur]
        rel = self.prev.epilogues[self.fidx] - end_prev
        jmp = (b"" if rel == 0 and not self.force_long   # the epilogue follows
               else x.jmp_rel8(rel) if not self.force_long and x.fits_i8(rel)
               else x.jmp_rel32(rel))
        self.emit(x.jcc_rel8("e", len(fail) + len(jmp)), fail, jmp)

    def _ldx(self, insn: Insn) -> None:
        mode, size = insn.code & 0xE0, op.SIZE_BYTES[insn.code & 0x18]
        dst = reg(insn.dst)
        if insn.src == op.PARAMS:
            if mode != op.MEM:
                raise self.fail("R11 is invalid")
            k = self._r11_slot(insn, +1)
            cnt = self.funcs[self.fidx].stack_arg_cnt
            if cnt is not None and k > cnt:
                raise self.fail(f"invalid read from stack arg off {insn.off} depth 0 "
                                f"(function takes {cnt} stack argument slots)")
            if k == 1:
                return self.emit(x.mov_rr(dst, ARG6))
            return self.emit(x.load(8, dst, *self.frame.arg_mem(k)))   # [rbp + 16]: arg 7
        base = reg(insn.src)
        if mode == op.MEM:
            return self.emit(x.load(size, dst, base, insn.off))
        if mode == op.MEMSX and size != 8:
            return self.emit(x.load_sx(size, dst, base, insn.off))
        raise self.fail(f"unknown opcode {insn.code:#04x}")

    def _r11_slot(self, insn: Insn, sign: int) -> int:
        """Slot k of an r11 load (sign +1) or store (sign -1) of an otherwise checked shape."""
        k = sa.load_slot(insn) if sign > 0 else sa.store_slot(insn)
        if k is None:
            raise self.fail("R11 is invalid")
        if k > sa.MAX_SLOTS:
            raise self.fail(f"stack arg offset {insn.off} exceeds max "
                            f"{sa.MAX_SLOTS} stack args")
        return k

    # -- stores and atomics ------------------------------------------------------------
    def _st(self, insn: Insn) -> None:
        cls, mode, size = insn.code & 7, insn.code & 0xE0, op.SIZE_BYTES[insn.code & 0x18]
        if cls == op.STX and mode == op.ATOMIC:
            if insn.dst == op.PARAMS:
                raise self.fail("R11 is invalid")
            return self._atomic(insn, size)
        if mode != op.MEM:
            raise self.fail(f"unknown opcode {insn.code:#04x}")
        if insn.dst == op.PARAMS:
            k = self._r11_slot(insn, -1)
            if k == 1:
                if cls == op.STX:
                    return self.emit(x.mov_rr(ARG6, reg(insn.src)))
                return self.emit(x.mov_imm(ARG6, insn.imm))   # imm32 sign-extended
            disp = self.frame.out_slot_disp(k)
            if cls == op.STX:
                return self.emit(x.store(8, RBP, disp, reg(insn.src)))
            return self.emit(x.store_imm(8, RBP, disp, insn.imm))
        base = reg(insn.dst)
        if cls == op.STX:
            return self.emit(x.store(size, base, insn.off, reg(insn.src)))
        self.emit(x.store_imm(size, base, insn.off, insn.imm))

    def _atomic(self, insn: Insn, size: int) -> None:
        imm, off = insn.imm, insn.off
        base, src = reg(insn.dst), reg(insn.src)
        if imm == op.LOAD_ACQ:      # x86 (TSO) loads already have acquire semantics
            return self.emit(x.load(size, reg(insn.dst), reg(insn.src), off))
        if imm == op.STORE_REL:     # ... and stores release semantics
            return self.emit(x.store(size, base, off, src))
        if size not in (4, 8):
            raise self.fail(f"atomic of {size} bytes")
        o = imm & ~op.FETCH
        if imm == op.XCHG:
            return self.emit(x.xchg_mr(size, base, off, src))
        if imm == op.CMPXCHG:
            self.emit(x.lock_cmpxchg(size, base, off, src))
            if size == 4:           # r0 = old value, zero-extended even when the CPU kept rax
                self.emit(x.mov_rr(RAX, RAX, False))
            return
        if o not in _ATOMIC_ALU:
            raise self.fail(f"unknown atomic op {imm:#x}")
        if not imm & op.FETCH:
            return self.emit(x.lock_alu_mr(_ATOMIC_ALU[o], size, base, off, src))
        if o == op.ADD:
            return self.emit(x.lock_xadd(size, base, off, src))
        self._fetch_loop(_ATOMIC_ALU[o], size, base, off, src)

    def _fetch_loop(self, name: str, size: int, base: int, off: int, src: int) -> None:
        """src = atomic_fetch_<op>(base + off, src) via a cmpxchg loop (rax is its operand).

        rax is saved in AX; where base or src *is* rax, the saved copy stands in.
        """
        is64 = size == 8
        b = AX if base == RAX else base
        s = AX if src == RAX else src
        loop = (x.mov_rr(AUX, RAX, is64) + x.alu_rr(name, AUX, s, is64)
                + x.lock_cmpxchg(size, b, off, AUX))
        loop += x.jcc_rel8("ne", -(len(loop) + 2))
        self.emit(x.mov_rr(AX, RAX), x.load(size, RAX, b, off), loop)
        if src == RAX:
            return                  # the old value is the result, already in rax
        self.emit(x.mov_rr(src, RAX, is64), x.mov_rr(RAX, AX))
