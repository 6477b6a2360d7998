"""Every instruction form of the ISA table, and canonical instances of each.

A :class:`Form` is an opcode plus the selector fields that pick the instruction (atomic
``imm``, END width, movsx/sdiv/addr_space_cast ``off``, call and LD_IMM64 pseudo ``src``);
``operands`` are the fields it reads.  :func:`instances` fills the operands with varied
values (registers r0..r10, r11 as a memory base, boundary offsets and immediates) and leaves
every other field zero, so each instance is the canonical encoding that compilers emit and
that both llvm-objdump and the kernel accept.

The table is written out from RFC 9669 and the kernel's extensions, independently of
:func:`isa.insn.opcode_problem`; tests/isa/test_roundtrip.py checks that the two agree on
every opcode byte and selector value.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass

from isa import opcodes as op
from isa import stack_args as sa
from isa.insn import Insn
from isa.ints import S32_MAX, S32_MIN, s32

_ALU_BINARY = {"add": op.ADD, "sub": op.SUB, "mul": op.MUL, "or": op.OR, "and": op.AND,
               "lsh": op.LSH, "rsh": op.RSH, "xor": op.XOR, "arsh": op.ARSH}
_COND = {"jeq": op.JEQ, "jgt": op.JGT, "jge": op.JGE, "jset": op.JSET, "jne": op.JNE,
         "jsgt": op.JSGT, "jsge": op.JSGE, "jlt": op.JLT, "jle": op.JLE, "jslt": op.JSLT,
         "jsle": op.JSLE}
_SIZES = {"w": op.W, "h": op.H, "b": op.B, "dw": op.DW}
_ATOMIC_RMW = {"add": op.ADD, "or": op.OR, "and": op.AND, "xor": op.XOR}
_PSEUDO_LD = {"imm": 0, "map_fd": op.PSEUDO_MAP_FD, "map_value": op.PSEUDO_MAP_VALUE,
              "btf_id": op.PSEUDO_BTF_ID, "func": op.PSEUDO_FUNC, "map_idx": op.PSEUDO_MAP_IDX,
              "map_idx_value": op.PSEUDO_MAP_IDX_VALUE}


@dataclass(frozen=True, slots=True)
class Form:
    name: str
    code: int
    operands: frozenset[str]
    src: int = 0
    off: int = 0
    imm: int = 0
    base: str | None = None  # "dst" or "src": the memory operand's base register

    @property
    def slots(self) -> int:
        return 2 if self.code == op.LD_IMM64 else 1

    def insn(self, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> list[Insn]:
        """An instance with these operand values; fields the form does not read stay fixed.

        For LD_IMM64 ``imm`` is the 64-bit constant, split over the two slots.
        """
        use = self.operands
        dst = dst if "dst" in use else 0
        src = src if "src" in use else self.src
        off = off if "off" in use else self.off
        imm = imm if "imm" in use else self.imm
        if self.slots == 2:
            return [Insn(self.code, dst, src, off, s32(imm)), Insn(0, 0, 0, 0, s32(imm >> 32))]
        return [Insn(self.code, dst, src, off, imm)]


def _ops(*names: str) -> frozenset[str]:
    return frozenset(names)


def all_forms() -> list[Form]:
    return list(_forms())


def _forms() -> Iterator[Form]:
    for cls, w in ((op.ALU, "alu"), (op.ALU64, "alu64")):
        for name, o in _ALU_BINARY.items():
            yield Form(f"{w} {name} k", cls | o | op.K, _ops("dst", "imm"))
            yield Form(f"{w} {name} x", cls | o | op.X, _ops("dst", "src"))
        for name, o in (("div", op.DIV), ("mod", op.MOD)):
            for signed in (0, 1):
                n = ("s" if signed else "") + name
                yield Form(f"{w} {n} k", cls | o | op.K, _ops("dst", "imm"), off=signed)
                yield Form(f"{w} {n} x", cls | o | op.X, _ops("dst", "src"), off=signed)
        yield Form(f"{w} mov k", cls | op.MOV | op.K, _ops("dst", "imm"))
        yield Form(f"{w} mov x", cls | op.MOV | op.X, _ops("dst", "src"))
        for bits in (8, 16) + ((32,) if cls == op.ALU64 else ()):
            yield Form(f"{w} movsx{bits}", cls | op.MOV | op.X, _ops("dst", "src"), off=bits)
        yield Form(f"{w} neg", cls | op.NEG | op.K, _ops("dst"))
        for width in (16, 32, 64):
            if cls == op.ALU:
                yield Form(f"le{width}", cls | op.END | op.TO_LE, _ops("dst"), imm=width)
                yield Form(f"be{width}", cls | op.END | op.TO_BE, _ops("dst"), imm=width)
            else:
                yield Form(f"bswap{width}", cls | op.END, _ops("dst"), imm=width)
    yield Form("addr_space_cast", op.ALU64 | op.MOV | op.X, _ops("dst", "src", "imm"), off=1)

    yield Form("ja", op.JMP | op.JA, _ops("off"))
    yield Form("gotol", op.JMP32 | op.JA, _ops("imm"))
    for cls, w in ((op.JMP, "jmp"), (op.JMP32, "jmp32")):
        for name, o in _COND.items():
            yield Form(f"{w} {name} k", cls | o | op.K, _ops("dst", "off", "imm"))
            yield Form(f"{w} {name} x", cls | o | op.X, _ops("dst", "src", "off"))
    yield Form("call helper", op.CALL_OP, _ops("imm"), src=op.CALL_HELPER)
    yield Form("call local", op.CALL_OP, _ops("imm"), src=op.PSEUDO_CALL)
    yield Form("call kfunc", op.CALL_OP, _ops("imm"), src=op.PSEUDO_KFUNC_CALL)
    yield Form("callx", op.CALLX_OP, _ops("dst"))
    yield Form("exit", op.EXIT_OP, _ops())
    yield Form("may_goto", op.JMP | op.JCOND, _ops("off"), src=op.MAY_GOTO)

    for name, src in _PSEUDO_LD.items():
        yield Form(f"ld_imm64 {name}", op.LD_IMM64, _ops("dst", "imm"), src=src)
    for sname, size in _SIZES.items():
        if size != op.DW:
            yield Form(f"ld_abs {sname}", op.LD | op.ABS | size, _ops("imm"))
            yield Form(f"ld_ind {sname}", op.LD | op.IND | size, _ops("src", "imm"))
            yield Form(f"ldxs{sname}", op.LDX | op.MEMSX | size, _ops("dst", "src", "off"),
                       base="src")
        yield Form(f"ldx{sname}", op.LDX | op.MEM | size, _ops("dst", "src", "off"), base="src")
        yield Form(f"st{sname}", op.ST | op.MEM | size, _ops("dst", "off", "imm"), base="dst")
        yield Form(f"stx{sname}", op.STX | op.MEM | size, _ops("dst", "src", "off"), base="dst")
        atomic = op.STX | op.ATOMIC | size
        yield Form(f"load_acquire {sname}", atomic, _ops("dst", "src", "off"), imm=op.LOAD_ACQ,
                   base="src")
        yield Form(f"store_release {sname}", atomic, _ops("dst", "src", "off"),
                   imm=op.STORE_REL, base="dst")
        if size in (op.W, op.DW):
            for name, o in _ATOMIC_RMW.items():
                yield Form(f"atomic {sname} {name}", atomic, _ops("dst", "src", "off"), imm=o,
                           base="dst")
                yield Form(f"atomic {sname} fetch_{name}", atomic, _ops("dst", "src", "off"),
                           imm=o | op.FETCH, base="dst")
            yield Form(f"atomic {sname} xchg", atomic, _ops("dst", "src", "off"), imm=op.XCHG,
                       base="dst")
            yield Form(f"atomic {sname} cmpxchg", atomic, _ops("dst", "src", "off"),
                       imm=op.CMPXCHG, base="dst")


OFFSETS = (0, 1, -1, 8, -8, 0x7FFF, -0x8000)
IMMEDIATES = (0, 1, -1, 0x7FFFFFFF, -0x80000000, 16)
IMM64 = (0, 1, -1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, 1 << 32, (1 << 63) - 1, 1 << 63,
         0x123456789ABCDEF0)


def instances(form: Form, count: int = 12, seed: int = 0) -> list[list[Insn]]:
    """``count`` canonical instances of ``form`` (1 or 2 slots each), boundary values first.

    Registers cycle through r0..r10; a memory base is r11 in some instances, with the
    stack-argument shapes (``+8k`` loads, ``-8k`` stores) among them.
    """
    rng = random.Random(f"{form.name}/{seed}")
    out = []
    for k in range(count):
        dst, src = (k * 3 + 1) % 11, (k * 5 + 2) % 11
        off = OFFSETS[k] if k < len(OFFSETS) else rng.randint(-0x8000, 0x7FFF)
        pool = IMM64 if form.slots == 2 else IMMEDIATES
        imm = pool[k] if k < len(pool) else rng.randint(S32_MIN, S32_MAX)
        if form.slots == 2 and k >= len(pool):
            imm = rng.getrandbits(64)
        if form.base and k % 4 == 3:  # r11, the stack-argument base
            if form.base == "dst":
                dst, off = sa.PARAMS, -sa.SLOT_SIZE * (1 + k % sa.MAX_SLOTS)
            else:
                src, off = sa.PARAMS, sa.SLOT_SIZE * (1 + k % sa.MAX_SLOTS)
        out.append(form.insn(dst, src, off, imm))
    return out
