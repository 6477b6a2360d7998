"""jit.x86_encode against capstone: every builder, over every register it may get.

The oracle is capstone's decoding of our bytes: the bytes must decode as one
instruction, consume exactly what we emitted, and have the mnemonic and
operands we intended (register names, memory base/displacement/size,
immediate value), written here from the Intel manual's naming, not from our
output.  Corner encodings get their own cases: rsp/r12 bases (SIB), rbp/r13
bases with zero displacement (no mod=00 form), 8-bit stores from
sil/dil/spl/bpl (REX needed), imm8 vs imm32 boundaries.
"""

from __future__ import annotations

import capstone
import itertools

import pytest
from capstone import x86 as cx

from jit import x86_encode as x

MD = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
MD.detail = True

R64 = ["rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
       "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"]
R32 = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi",
       "r8d", "r9d", "r10d", "r11d", "r12d", "r13d", "r14d", "r15d"]
R16 = ["ax", "cx", "dx", "bx", "sp", "bp", "si", "di",
       "r8w", "r9w", "r10w", "r11w", "r12w", "r13w", "r14w", "r15w"]
R8 = ["al", "cl", "dl", "bl", "spl", "bpl", "sil", "dil",
      "r8b", "r9b", "r10b", "r11b", "r12b", "r13b", "r14b", "r15b"]
REGS = range(16)
GPRS = [r for r in REGS if r != x.RSP]    # rsp is never a data register of the JIT
DISPS = [0, 8, -8, 127, -128, 128, -129, 0x200, -0x230, 0x7FFFFFFF, -0x80000000]
BASES = [x.RAX, x.RSP, x.RBP, x.RDI, x.R12, x.R13, x.R9, x.R15]


def decode(code: bytes):
    """(mnemonic, operands) of exactly one instruction spanning all of ``code``."""
    insns = list(MD.disasm(code, 0x1000))
    assert len(insns) == 1, f"{code.hex()} decodes as {[(i.mnemonic, i.op_str) for i in insns]}"
    ins = insns[0]
    assert ins.size == len(code), f"{code.hex()}: capstone used {ins.size} of {len(code)} bytes"
    ops = []
    for o in ins.operands:
        if o.type == cx.X86_OP_REG:
            ops.append(ins.reg_name(o.reg))
        elif o.type == cx.X86_OP_IMM:
            ops.append(("imm", o.imm & ((1 << (8 * o.size)) - 1)))
        elif o.type == cx.X86_OP_MEM:
            assert o.mem.index == 0
            ops.append(("mem", o.size, ins.reg_name(o.mem.base), o.mem.disp))
    return ins.mnemonic, tuple(ops)


def imm(v: int, size: int) -> tuple:
    return ("imm", v & ((1 << (8 * size)) - 1))


def mem(size: int, base: int, disp: int) -> tuple:
    return ("mem", size, R64[base], disp)


# --- moves --------------------------------------------------------------------------

@pytest.mark.parametrize("dst", REGS)
def test_mov_rr_all_pairs(dst):
    for src in REGS:
        assert decode(x.mov_rr(dst, src, True)) == ("mov", (R64[dst], R64[src]))
        assert decode(x.mov_rr(dst, src, False)) == ("mov", (R32[dst], R32[src]))


@pytest.mark.parametrize("dst", REGS)
def test_mov_immediates(dst):
    assert decode(x.mov_ri32(dst, 0x80000001)) == ("mov", (R32[dst], imm(0x80000001, 4)))
    assert decode(x.mov_ri64_sx(dst, -5)) == ("mov", (R64[dst], imm(-5, 8)))
    assert decode(x.movabs(dst, 0x123456789ABCDEF0)) == ("movabs", (R64[dst], imm(0x123456789ABCDEF0, 8)))


@pytest.mark.parametrize("value,expect", [
    (0, ("xor", ("eax", "eax"))),
    (7, ("mov", ("eax", imm(7, 4)))),
    (0xFFFFFFFF, ("mov", ("eax", imm(0xFFFFFFFF, 4)))),          # zero-extends: no sign
    (-1, ("mov", ("rax", imm(-1, 8)))),                          # sign-extended simm32
    (-(1 << 31), ("mov", ("rax", imm(-(1 << 31), 8)))),
    (1 << 32, ("movabs", ("rax", imm(1 << 32, 8)))),
    (-(1 << 31) - 1, ("movabs", ("rax", imm(-(1 << 31) - 1, 8)))),
])
def test_mov_imm_picks_a_form_with_the_same_value(value, expect):
    assert decode(x.mov_imm(x.RAX, value)) == expect


@pytest.mark.parametrize("base", BASES)
def test_loads_and_stores(base):
    for disp in DISPS:
        for r in (x.RAX, x.RSI, x.R11, x.R15):
            assert decode(x.load(1, r, base, disp)) == ("movzx", (R32[r], mem(1, base, disp)))
            assert decode(x.load(2, r, base, disp)) == ("movzx", (R32[r], mem(2, base, disp)))
            assert decode(x.load(4, r, base, disp)) == ("mov", (R32[r], mem(4, base, disp)))
            assert decode(x.load(8, r, base, disp)) == ("mov", (R64[r], mem(8, base, disp)))
            assert decode(x.load_sx(1, r, base, disp)) == ("movsx", (R64[r], mem(1, base, disp)))
            assert decode(x.load_sx(2, r, base, disp)) == ("movsx", (R64[r], mem(2, base, disp)))
            assert decode(x.load_sx(4, r, base, disp)) == ("movsxd", (R64[r], mem(4, base, disp)))
            assert decode(x.store(2, base, disp, r)) == ("mov", (mem(2, base, disp), R16[r]))
            assert decode(x.store(4, base, disp, r)) == ("mov", (mem(4, base, disp), R32[r]))
            assert decode(x.store(8, base, disp, r)) == ("mov", (mem(8, base, disp), R64[r]))
        for size, v in ((1, 0xAB), (2, 0xBEEF), (4, 0xDEADBEEF), (8, -2)):
            assert decode(x.store_imm(size, base, disp, v)) == ("mov", (mem(size, base, disp),
                                                                       imm(v, size)))


@pytest.mark.parametrize("src", REGS)
def test_byte_store_names_the_low_byte_register(src):
    """sil/dil/spl/bpl need a REX prefix; without it they would be dh/bh/ah/ch."""
    for base in BASES:
        assert decode(x.store(1, base, -3, src)) == ("mov", (mem(1, base, -3), R8[src]))


@pytest.mark.parametrize("src", REGS)
def test_register_extensions(src):
    for dst in (x.RAX, x.RDI, x.R11, x.R14):
        assert decode(x.movzx_rr(1, dst, src)) == ("movzx", (R32[dst], R8[src]))
        assert decode(x.movzx_rr(2, dst, src)) == ("movzx", (R32[dst], R16[src]))
        assert decode(x.movsx_rr(1, dst, src)) == ("movsx", (R64[dst], R8[src]))
        assert decode(x.movsx_rr(2, dst, src)) == ("movsx", (R64[dst], R16[src]))
        assert decode(x.movsx_rr(4, dst, src)) == ("movsxd", (R64[dst], R32[src]))
        assert decode(x.movsx_rr(1, dst, src, False)) == ("movsx", (R32[dst], R8[src]))
        assert decode(x.movsx_rr(2, dst, src, False)) == ("movsx", (R32[dst], R16[src]))


def test_lea():
    for base in BASES:
        assert decode(x.lea(x.R10, base, -24)) == ("lea", ("r10", mem(8, base, -24)))


# --- arithmetic -----------------------------------------------------------------------

@pytest.mark.parametrize("op", ["add", "or", "and", "sub", "xor", "cmp"])
def test_alu(op):
    for dst in GPRS:
        for src in (x.RAX, x.RCX, x.R8, x.R15):
            assert decode(x.alu_rr(op, dst, src)) == (op, (R64[dst], R64[src]))
            assert decode(x.alu_rr(op, dst, src, False)) == (op, (R32[dst], R32[src]))
        for v in (0, 1, -1, 127, -128, 128, -129, 0x7FFFFFFF, -0x80000000):
            assert decode(x.alu_ri(op, dst, v)) == (op, (R64[dst], imm(v, 8)))
            assert decode(x.alu_ri(op, dst, v, False)) == (op, (R32[dst], imm(v, 4)))
        # 32-bit ops accept u32 immediates too (same low 32 bits)
        assert decode(x.alu_ri(op, dst, 0xFFFFFF00, False)) == (op, (R32[dst], imm(-256, 4)))


@pytest.mark.parametrize("dst", GPRS)
def test_test_imul_neg_div(dst):
    for src in (x.RAX, x.RDX, x.R11):
        assert decode(x.test_rr(dst, src)) == ("test", (R64[dst], R64[src]))
        assert decode(x.imul_rr(dst, src)) == ("imul", (R64[dst], R64[src]))
        assert decode(x.imul_rr(dst, src, False)) == ("imul", (R32[dst], R32[src]))
        for v in (3, -2, 1000, -100000):
            assert decode(x.imul_rri(dst, src, v)) == ("imul", (R64[dst], R64[src], imm(v, 8)))
            assert decode(x.imul_rri(dst, src, v, False)) == ("imul", (R32[dst], R32[src],
                                                                        imm(v, 4)))
    for v in (1, -1, 0x80000000):
        assert decode(x.test_ri(dst, v, False)) == ("test", (R32[dst], imm(v, 4)))
    assert decode(x.test_ri(dst, -1)) == ("test", (R64[dst], imm(-1, 8)))
    assert decode(x.neg(dst)) == ("neg", (R64[dst],))
    assert decode(x.neg(dst, False)) == ("neg", (R32[dst],))
    assert decode(x.div(dst)) == ("div", (R64[dst],))
    assert decode(x.div(dst, False, signed=True)) == ("idiv", (R32[dst],))
    assert decode(x.bswap(dst)) == ("bswap", (R64[dst],))
    assert decode(x.bswap(dst, False)) == ("bswap", (R32[dst],))
    assert decode(x.ror16_8(dst)) == ("ror", (R16[dst], imm(8, 1)))


@pytest.mark.parametrize("op", ["shl", "shr", "sar"])
def test_bmi2_shifts(op):
    for dst, src, cnt in itertools.product(GPRS, GPRS, GPRS):
        assert decode(x.shiftx(op, dst, src, cnt)) == (op + "x", (R64[dst], R64[src], R64[cnt]))
        assert decode(x.shiftx(op, dst, src, cnt, False)) == (op + "x",
                                                              (R32[dst], R32[src], R32[cnt]))


def test_test_imm8_and_accumulator_forms():
    for dst in GPRS:
        for v in (0, 1, 0x80, 0xFF):
            assert decode(x.test_ri8(dst, v)) == ("test", (R8[dst], imm(v, 1)))
    assert len(x.test_ri8(x.RAX, 1)) == 2 and len(x.test_ri(x.RAX, 0x1000)) == 6
    assert len(x.alu_ri("add", x.RAX, 0x1000)) == 6 and len(x.alu_ri("cmp", x.RAX, 0x1000, False)) == 5
    with pytest.raises(x.EncodeError):
        x.test_ri8(x.RAX, 0x100)


def test_cdq_cqo():
    assert decode(x.cdq()) == ("cdq", ())
    assert decode(x.cqo()) == ("cqo", ())


@pytest.mark.parametrize("op", ["shl", "shr", "sar"])
def test_shifts(op):
    for dst in GPRS:
        assert decode(x.shift_cl(op, dst)) == (op, (R64[dst], "cl"))
        assert decode(x.shift_cl(op, dst, False)) == (op, (R32[dst], "cl"))
        for n in (2, 31, 63):
            assert decode(x.shift_ri(op, dst, n)) == (op, (R64[dst], imm(n, 1)))
        mn, ops = decode(x.shift_ri(op, dst, 1))       # the D1 form has an implicit 1
        assert mn == op and ops[0] == R64[dst] and ops[1:] in ((), (imm(1, 1),))
        # counts are masked like the CPU masks them (and like BPF does)
        assert decode(x.shift_ri(op, dst, 35, False)) == (op, (R32[dst], imm(3, 1)))


# --- atomics ---------------------------------------------------------------------------

@pytest.mark.parametrize("base", BASES)
def test_atomics(base):
    for src in (x.RAX, x.RSI, x.R11, x.R13):
        for size, names in ((4, R32), (8, R64)):
            for op in ("add", "or", "and", "xor"):
                assert decode(x.lock_alu_mr(op, size, base, 16, src)) == (
                    f"lock {op}", (mem(size, base, 16), names[src]))
            assert decode(x.lock_xadd(size, base, -8, src)) == (
                "lock xadd", (mem(size, base, -8), names[src]))
            assert decode(x.lock_cmpxchg(size, base, 0, src)) == (
                "lock cmpxchg", (mem(size, base, 0), names[src]))
            assert decode(x.xchg_mr(size, base, 300, src)) == ("xchg", (mem(size, base, 300),
                                                                         names[src]))


def test_memory_alu_immediates():
    assert decode(x.alu_mi("cmp", x.RBP, -520, 0)) == ("cmp", (mem(8, x.RBP, -520), imm(0, 8)))
    assert decode(x.alu_mi("sub", x.RBP, -8, 1)) == ("sub", (mem(8, x.RBP, -8), imm(1, 8)))
    assert decode(x.alu_mi("add", x.R12, 0, 1000)) == ("add", (mem(8, x.R12, 0), imm(1000, 8)))


# --- control flow -----------------------------------------------------------------------

@pytest.mark.parametrize("r", REGS)
def test_push_pop_call(r):
    assert decode(x.push(r)) == ("push", (R64[r],))
    assert decode(x.pop(r)) == ("pop", (R64[r],))
    assert decode(x.call_r(r)) == ("call", (R64[r],))


@pytest.mark.parametrize("rel", [0, 5, -2, 127, -128])
def test_short_branches(rel):
    target = 0x1000 + 2 + rel
    assert decode(x.jmp_rel8(rel)) == ("jmp", (imm(target, 8),))
    for cc in x.CC:
        mn, ops = decode(x.jcc_rel8(cc, rel))
        assert ops == (imm(target, 8),)
        assert mn in _jcc_names(cc)


@pytest.mark.parametrize("rel", [0, 1000, -1000, 0x7FFF0000])
def test_near_branches(rel):
    assert decode(x.jmp_rel32(rel)) == ("jmp", (imm(0x1000 + 5 + rel, 8),))
    assert decode(x.call_rel32(rel)) == ("call", (imm(0x1000 + 5 + rel, 8),))
    for cc in x.CC:
        mn, ops = decode(x.jcc_rel32(cc, rel))
        assert ops == (imm(0x1000 + 6 + rel, 8),) and mn in _jcc_names(cc)


def _jcc_names(cc: str) -> set[str]:
    """capstone's spelling of a condition (it picks one alias per opcode)."""
    aliases = {"b": {"jb"}, "ae": {"jae"}, "e": {"je"}, "ne": {"jne"}, "be": {"jbe"},
               "a": {"ja"}, "s": {"js"}, "ns": {"jns"}, "p": {"jp"}, "np": {"jnp"},
               "l": {"jl"}, "ge": {"jge"}, "le": {"jle"}, "g": {"jg"}, "o": {"jo"},
               "no": {"jno"}}
    return aliases[cc]


def test_misc():
    assert decode(x.ret()) == ("ret", ())
    assert decode(x.leave()) == ("leave", ())
    assert decode(x.int3()) == ("int3", ())
    assert decode(x.nop()) == ("nop", ())
    assert decode(x.endbr64()) == ("endbr64", ())
    assert len(x.jmp_rel8(0)) == x.JMP8_LEN and len(x.jmp_rel32(0)) == x.JMP32_LEN
    assert len(x.jcc_rel8("e", 0)) == x.JCC8_LEN and len(x.jcc_rel32("e", 0)) == x.JCC32_LEN
    assert len(x.call_rel32(0)) == x.CALL_LEN


def test_bad_operands_raise():
    with pytest.raises(x.EncodeError):
        x.mov_rr(16, 0)
    with pytest.raises(x.EncodeError):
        x.mov_ri64_sx(0, 1 << 40)
    with pytest.raises(x.EncodeError):
        x.load(3, 0, 0, 0)
