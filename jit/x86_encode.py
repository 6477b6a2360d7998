"""A small x86-64 encoder: exactly the instructions the BPF translator emits.

Every function returns the machine code of one instruction as ``bytes``; the
translator concatenates them.  Registers are x86 numbers (``RAX`` = 0 ...
``R15`` = 15, the ModRM/REX encoding), memory operands are always
``[base + disp]`` (BPF has no index registers).

Encoding rules worth knowing when reading this file:

* REX is ``0100WRXB``: W selects 64-bit operands, R/B extend ModRM.reg and
  ModRM.rm (or the opcode register) to r8..r15.  It is emitted only when
  needed, except that 8-bit operands in registers 4-7 always need one, or the
  CPU would read ah/ch/dh/bh instead of spl/bpl/sil/dil.
* ``[rsp + d]`` and ``[r12 + d]`` need a SIB byte (rm = 100 means "SIB
  follows"); ``[rbp]`` and ``[r13]`` cannot use mod = 00 (that means
  RIP-relative / disp32), so they get a zero disp8.

The test-suite checks every builder against capstone's decoding.
"""

from __future__ import annotations

import struct

from isa.ints import U32, fits_s32, s32, s64, u32, u64

__all__ = ["RAX", "RCX", "RDX", "RBX", "RSP", "RBP", "RSI", "RDI", "R8", "R9", "R10", "R11",
           "R12", "R13", "R14", "R15", "REG_NAMES", "CC", "EncodeError"]

RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15 = range(16)
REG_NAMES = ("rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
             "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15")

# Condition codes (the low nibble of Jcc / SETcc / CMOVcc).
CC = {"o": 0x0, "no": 0x1, "b": 0x2, "ae": 0x3, "e": 0x4, "ne": 0x5, "be": 0x6, "a": 0x7,
      "s": 0x8, "ns": 0x9, "p": 0xA, "np": 0xB, "l": 0xC, "ge": 0xD, "le": 0xE, "g": 0xF}

# Group-1 ALU operations: (opcode of "op r/m, reg", ModRM.reg extension of 81/83 forms).
ALU = {"add": (0x01, 0), "or": (0x09, 1), "and": (0x21, 4), "sub": (0x29, 5),
       "xor": (0x31, 6), "cmp": (0x39, 7)}
# Group-2 shifts: ModRM.reg extension of C1/D1/D3.
SHIFT = {"rol": 0, "ror": 1, "shl": 4, "shr": 5, "sar": 7}


class EncodeError(ValueError):
    """An operand the encoder cannot express (a translator bug, never user input)."""


def _check_reg(*regs: int) -> None:
    for r in regs:
        if not 0 <= r <= 15:
            raise EncodeError(f"bad register {r}")


def fits_i8(v: int) -> bool:
    return -128 <= v <= 127


def _i8(v: int) -> bytes:
    return struct.pack("<b", v)


def _i32(v: int) -> bytes:
    if not fits_s32(v):
        raise EncodeError(f"immediate {v} does not fit in 32 bits")
    return struct.pack("<i", v)


def _rex(w: bool, reg: int, rm: int, force: bool = False) -> bytes:
    """REX for ModRM reg/rm operands (no index register ever)."""
    v = 0x40 | (w << 3) | ((reg >> 3) << 2) | (rm >> 3)
    return bytes([v]) if v != 0x40 or force else b""


def _byte_rex_needed(*regs: int) -> bool:
    """8-bit access to spl/bpl/sil/dil needs a REX prefix."""
    return any(4 <= r <= 7 for r in regs)


def _modrm_reg(reg: int, rm: int) -> bytes:
    return bytes([0xC0 | ((reg & 7) << 3) | (rm & 7)])


def _modrm_mem(reg: int, base: int, disp: int) -> bytes:
    """ModRM (+SIB) (+disp) for ``[base + disp]`` with ``reg`` in ModRM.reg."""
    low = base & 7
    if disp == 0 and low != 5:          # rbp/r13 have no mod=00 form
        mod, tail = 0, b""
    elif fits_i8(disp):
        mod, tail = 1, _i8(disp)
    else:
        mod, tail = 2, _i32(disp)
    out = bytes([(mod << 6) | ((reg & 7) << 3) | low])
    if low == 4:                        # rsp/r12: SIB with no index, base = rsp/r12
        out += b"\x24"
    return out + tail


# --- generic forms -------------------------------------------------------------------

def op_rr(opcode: bytes, reg: int, rm: int, w: bool, *, prefix: bytes = b"",
          byte_regs: tuple[int, ...] = ()) -> bytes:
    """``opcode /r`` with both operands registers (``reg`` in ModRM.reg)."""
    _check_reg(reg, rm)
    return prefix + _rex(w, reg, rm, _byte_rex_needed(*byte_regs)) + opcode + _modrm_reg(reg, rm)


def op_rm(opcode: bytes, reg: int, base: int, disp: int, w: bool, *, prefix: bytes = b"",
          byte_regs: tuple[int, ...] = ()) -> bytes:
    """``opcode /r`` with a ``[base + disp]`` memory operand."""
    _check_reg(reg, base)
    return (prefix + _rex(w, reg, base, _byte_rex_needed(*byte_regs)) + opcode
            + _modrm_mem(reg, base, disp))


# --- moves ---------------------------------------------------------------------------

def mov_rr(dst: int, src: int, is64: bool = True) -> bytes:
    """``mov dst, src`` (32-bit form zero-extends into the upper half)."""
    return op_rr(b"\x89", src, dst, is64)


def mov_ri32(dst: int, imm: int) -> bytes:
    """``mov dst32, imm32``: zero-extends (imm taken as u32)."""
    _check_reg(dst)
    return _rex(False, 0, dst) + bytes([0xB8 + (dst & 7)]) + struct.pack("<I", u32(imm))


def mov_ri64_sx(dst: int, imm: int) -> bytes:
    """``mov dst, simm32`` (REX.W C7 /0): sign-extends to 64 bits."""
    return op_rr(b"\xC7", 0, dst, True) + _i32(imm)


def movabs(dst: int, imm: int) -> bytes:
    """``movabs dst, imm64`` (REX.W B8+r); the imm64 is the last 8 bytes."""
    _check_reg(dst)
    return _rex(True, 0, dst) + bytes([0xB8 + (dst & 7)]) + struct.pack("<Q", u64(imm))


def mov_imm(dst: int, value: int, is64: bool = True) -> bytes:
    """The shortest ``dst = value`` (64-bit value, or a 32-bit one zero-extended)."""
    if is64:
        value = u64(value)
        if value == 0:
            return xor_rr(dst, dst, False)
        if value <= U32:
            return mov_ri32(dst, value)
        if fits_s32(s64(value)):
            return mov_ri64_sx(dst, s64(value))
        return movabs(dst, value)
    value = u32(value)
    return xor_rr(dst, dst, False) if value == 0 else mov_ri32(dst, value)


def load(size: int, dst: int, base: int, disp: int) -> bytes:
    """Zero-extending load of 1/2/4/8 bytes: movzx / mov r32 / mov r64."""
    if size == 1:
        return op_rm(b"\x0F\xB6", dst, base, disp, False)
    if size == 2:
        return op_rm(b"\x0F\xB7", dst, base, disp, False)
    if size == 4:
        return op_rm(b"\x8B", dst, base, disp, False)
    if size == 8:
        return op_rm(b"\x8B", dst, base, disp, True)
    raise EncodeError(f"load size {size}")


def load_sx(size: int, dst: int, base: int, disp: int) -> bytes:
    """Sign-extending 64-bit load: movsx r64, byte/word; movsxd r64, dword."""
    if size == 1:
        return op_rm(b"\x0F\xBE", dst, base, disp, True)
    if size == 2:
        return op_rm(b"\x0F\xBF", dst, base, disp, True)
    if size == 4:
        return op_rm(b"\x63", dst, base, disp, True)
    raise EncodeError(f"sign-extending load size {size}")


def store(size: int, base: int, disp: int, src: int) -> bytes:
    """``mov [base + disp], src`` of 1/2/4/8 bytes."""
    if size == 1:
        return op_rm(b"\x88", src, base, disp, False, byte_regs=(src,))
    if size == 2:
        return op_rm(b"\x89", src, base, disp, False, prefix=b"\x66")
    if size == 4:
        return op_rm(b"\x89", src, base, disp, False)
    if size == 8:
        return op_rm(b"\x89", src, base, disp, True)
    raise EncodeError(f"store size {size}")


def store_imm(size: int, base: int, disp: int, imm: int) -> bytes:
    """``mov size ptr [base + disp], imm`` (the 8-byte form sign-extends an imm32)."""
    if size == 1:
        return op_rm(b"\xC6", 0, base, disp, False) + bytes([imm & 0xFF])
    if size == 2:
        return op_rm(b"\xC7", 0, base, disp, False, prefix=b"\x66") + struct.pack("<H", imm & 0xFFFF)
    if size == 4:
        return op_rm(b"\xC7", 0, base, disp, False) + struct.pack("<I", u32(imm))
    if size == 8:
        return op_rm(b"\xC7", 0, base, disp, True) + _i32(imm)
    raise EncodeError(f"store size {size}")


def movzx_rr(size: int, dst: int, src: int) -> bytes:
    """``movzx dst32, src8/src16`` (zero-extends to 64 bits)."""
    if size == 1:
        return op_rr(b"\x0F\xB6", dst, src, False, byte_regs=(src,))
    if size == 2:
        return op_rr(b"\x0F\xB7", dst, src, False)
    raise EncodeError(f"movzx size {size}")


def movsx_rr(size: int, dst: int, src: int, is64: bool = True) -> bytes:
    """``movsx dst, src8/src16`` or ``movsxd dst64, src32``."""
    if size == 1:
        return op_rr(b"\x0F\xBE", dst, src, is64, byte_regs=(src,))
    if size == 2:
        return op_rr(b"\x0F\xBF", dst, src, is64)
    if size == 4 and is64:
        return op_rr(b"\x63", dst, src, True)
    raise EncodeError(f"movsx size {size}")


def lea(dst: int, base: int, disp: int) -> bytes:
    return op_rm(b"\x8D", dst, base, disp, True)


def lea_index(dst: int, base: int | None, index: int, scale: int, disp: int = 0) -> bytes:
    """``lea dst, [base + index * scale + disp]`` (64-bit; ``base`` None: no base, disp32).
    ``index`` cannot be rsp (SIB index 100 means "none")."""
    _check_reg(dst, index, *(() if base is None else (base,)))
    if index == RSP or scale not in (1, 2, 4, 8):
        raise EncodeError(f"lea index {index} scale {scale}")
    ss = {1: 0, 2: 1, 4: 2, 8: 3}[scale]
    b = 5 if base is None else base                  # SIB base 101 with mod 00: disp32 only
    rex = bytes([0x48 | ((dst >> 3) << 2) | ((index >> 3) << 1) | (0 if base is None else base >> 3)])
    if base is None:
        mod, tail = 0, _i32(disp)
    elif disp == 0 and b & 7 != 5:
        mod, tail = 0, b""
    elif fits_i8(disp):
        mod, tail = 1, _i8(disp)
    else:
        mod, tail = 2, _i32(disp)
    modrm = (mod << 6) | ((dst & 7) << 3) | 4
    sib = (ss << 6) | ((index & 7) << 3) | (b & 7)
    return rex + b"\x8D" + bytes([modrm, sib]) + tail


def alu_rm(op: str, dst: int, base: int, disp: int, is64: bool = True) -> bytes:
    """``op dst, [base + disp]`` for add/or/and/sub/xor/cmp (the 32-bit form reads 4 bytes)."""
    return op_rm(bytes([ALU[op][0] + 2]), dst, base, disp, is64)


def imul_rm(dst: int, base: int, disp: int, is64: bool = True) -> bytes:
    """``imul dst, [base + disp]``."""
    return op_rm(b"\x0F\xAF", dst, base, disp, is64)


# --- arithmetic ----------------------------------------------------------------------

def alu_rr(op: str, dst: int, src: int, is64: bool = True) -> bytes:
    """``op dst, src`` for add/or/and/sub/xor/cmp."""
    return op_rr(bytes([ALU[op][0]]), src, dst, is64)


def alu_ri(op: str, dst: int, imm: int, is64: bool = True) -> bytes:
    """``op dst, imm`` (imm8 form when it fits; the 64-bit form sign-extends imm32)."""
    ext = ALU[op][1]
    if not is64:  # 32-bit operation: any u32/s32 immediate means the same low 32 bits
        imm = s32(imm)
    if fits_i8(imm):
        return op_rr(b"\x83", ext, dst, is64) + _i8(imm)
    if dst == RAX:      # the accumulator form has no ModRM byte
        return _rex(is64, 0, 0) + bytes([ALU[op][0] + 4]) + _i32(imm)
    return op_rr(b"\x81", ext, dst, is64) + _i32(imm)


def xor_rr(dst: int, src: int, is64: bool = False) -> bytes:
    return alu_rr("xor", dst, src, is64)


def test_rr(a: int, b: int, is64: bool = True) -> bytes:
    return op_rr(b"\x85", b, a, is64)


def test_ri(dst: int, imm: int, is64: bool = True) -> bytes:
    if not is64:
        imm = s32(imm)
    if dst == RAX:      # the accumulator form has no ModRM byte
        return _rex(is64, 0, 0) + b"\xA9" + _i32(imm)
    return op_rr(b"\xF7", 0, dst, is64) + _i32(imm)


def test_ri8(dst: int, imm: int) -> bytes:
    """``test dst8, imm8``: the same ZF as a wider test with an immediate in 0..255
    (SF and the upper bits differ: only for "zero or not")."""
    if not 0 <= imm <= 0xFF:
        raise EncodeError(f"test imm8 {imm}")
    if dst == RAX:
        return b"\xA8" + bytes([imm])
    return op_rr(b"\xF6", 0, dst, False, byte_regs=(dst,)) + bytes([imm])


def imul_rr(dst: int, src: int, is64: bool = True) -> bytes:
    return op_rr(b"\x0F\xAF", dst, src, is64)


def imul_rri(dst: int, src: int, imm: int, is64: bool = True) -> bytes:
    if not is64:
        imm = s32(imm)
    if fits_i8(imm):
        return op_rr(b"\x6B", dst, src, is64) + _i8(imm)
    return op_rr(b"\x69", dst, src, is64) + _i32(imm)


def shift_ri(op: str, dst: int, count: int, is64: bool = True) -> bytes:
    count &= 63 if is64 else 31
    if count == 1:
        return op_rr(b"\xD1", SHIFT[op], dst, is64)
    return op_rr(b"\xC1", SHIFT[op], dst, is64) + bytes([count])


def shift_cl(op: str, dst: int, is64: bool = True) -> bytes:
    return op_rr(b"\xD3", SHIFT[op], dst, is64)


# BMI2 shifts by a register: the VEX.pp field (66 / F3 / F2) selects the operation
_SHIFTX_PP = {"shl": 1, "sar": 2, "shr": 3}


def shiftx(op: str, dst: int, src: int, count: int, is64: bool = True) -> bytes:
    """BMI2 ``shlx/sarx/shrx dst, src, count`` (VEX.LZ.pp.0F38.W F7 /r): dst = src shifted
    by count masked to 63 (31), flags untouched; the 32-bit form zero-extends."""
    _check_reg(dst, src, count)
    b1 = (((~dst >> 3) & 1) << 7) | 0x40 | (((~src >> 3) & 1) << 5) | 0x02   # R X B, map 0F38
    b2 = (is64 << 7) | ((~count & 15) << 3) | _SHIFTX_PP[op]                 # W vvvv L=0 pp
    return bytes([0xC4, b1, b2, 0xF7]) + _modrm_reg(dst, src)


def ror16_8(dst: int) -> bytes:
    """``ror dst16, 8``: swap the two low bytes."""
    return op_rr(b"\xC1", SHIFT["ror"], dst, False, prefix=b"\x66") + b"\x08"


def neg(dst: int, is64: bool = True) -> bytes:
    return op_rr(b"\xF7", 3, dst, is64)


def div(src: int, is64: bool = True, signed: bool = False) -> bytes:
    """``div src`` / ``idiv src``: rdx:rax / src -> rax quotient, rdx remainder."""
    return op_rr(b"\xF7", 7 if signed else 6, src, is64)


def cdq() -> bytes:
    return b"\x99"


def cqo() -> bytes:
    return b"\x48\x99"


def bswap(dst: int, is64: bool = True) -> bytes:
    _check_reg(dst)
    return _rex(is64, 0, dst) + bytes([0x0F, 0xC8 + (dst & 7)])


# --- memory arithmetic and atomics ------------------------------------------------------

LOCK = b"\xF0"


def lock_alu_mr(op: str, size: int, base: int, disp: int, src: int) -> bytes:
    """``lock op size ptr [base + disp], src`` for add/or/and/xor (size 4 or 8)."""
    return LOCK + op_rm(bytes([ALU[op][0]]), src, base, disp, size == 8)


def lock_xadd(size: int, base: int, disp: int, src: int) -> bytes:
    return LOCK + op_rm(b"\x0F\xC1", src, base, disp, size == 8)


def xchg_mr(size: int, base: int, disp: int, src: int) -> bytes:
    """``xchg [base + disp], src`` (always locked by the CPU)."""
    return op_rm(b"\x87", src, base, disp, size == 8)


def lock_cmpxchg(size: int, base: int, disp: int, src: int) -> bytes:
    return LOCK + op_rm(b"\x0F\xB1", src, base, disp, size == 8)


def alu_mi(op: str, base: int, disp: int, imm: int) -> bytes:
    """``op qword ptr [base + disp], imm`` (64-bit, imm8 or imm32)."""
    ext = ALU[op][1]
    if fits_i8(imm):
        return op_rm(b"\x83", ext, base, disp, True) + _i8(imm)
    return op_rm(b"\x81", ext, base, disp, True) + _i32(imm)


# --- control flow --------------------------------------------------------------------

def push(reg: int) -> bytes:
    _check_reg(reg)
    return _rex(False, 0, reg) + bytes([0x50 + (reg & 7)])


def pop(reg: int) -> bytes:
    _check_reg(reg)
    return _rex(False, 0, reg) + bytes([0x58 + (reg & 7)])


def jmp_rel8(rel: int) -> bytes:
    return b"\xEB" + _i8(rel)


def jmp_rel32(rel: int) -> bytes:
    return b"\xE9" + _i32(rel)


def jcc_rel8(cc: str, rel: int) -> bytes:
    return bytes([0x70 + CC[cc]]) + _i8(rel)


def jcc_rel32(cc: str, rel: int) -> bytes:
    return bytes([0x0F, 0x80 + CC[cc]]) + _i32(rel)


def call_rel32(rel: int) -> bytes:
    return b"\xE8" + _i32(rel)


def call_r(reg: int) -> bytes:
    return op_rr(b"\xFF", 2, reg, False)


def ret() -> bytes:
    return b"\xC3"


def leave() -> bytes:
    return b"\xC9"


def int3() -> bytes:
    return b"\xCC"


def nop() -> bytes:
    return b"\x90"


def endbr64() -> bytes:
    return b"\xF3\x0F\x1E\xFA"


# Sizes of the branch forms, for the translator's layout passes.
JMP8_LEN, JMP32_LEN, JCC8_LEN, JCC32_LEN, CALL_LEN = 2, 5, 2, 6, 5
