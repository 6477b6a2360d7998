"""One BPF instruction as the kernel prints it (kernel/bpf/disasm.c ``print_bpf_insn``).

This is the text of verifier logs and ``bpftool prog dump xlated``: ``(bf) r0 = r1``,
``(07) r0 += 15``, ``(7b) *(u64 *)(r11 -8) = r1``, ``(85) call bpf_map_lookup_elem#1``,
``(15) if r1 == 0x0 goto pc+3``.  Written from the printf formats of mainline disasm.c
(independently, not a copy), including its quirks: END always names ``r`` registers, jump
immediates are unsigned hex while ALU/store immediates are signed decimal, a missing table
entry prints as glibc/kernel ``(null)``, and malformed loads/stores print ``BUG_..`` lines
without the opcode prefix.

Callbacks stand in for ``struct bpf_insn_cbs``: ``call_name(insn)`` names kfuncs, helpers
after rewriting, or BPF-to-BPF calls (return None to fall back, like ``cb_call``), and
``imm_text(insn, value)`` replaces the ``0x..`` of an ld_imm64 (``cb_imm``; the verifier
prints ``map[id:3]``).
"""

from __future__ import annotations

from collections.abc import Callable

from . import opcodes as op
from .insn import Insn
from .ints import u32
from .uapi import helper_name

CallName = Callable[[Insn], "str | None"]
ImmText = Callable[[Insn, int], str]

_NULL = "(null)"  # what the kernel's vsnprintf prints for a NULL %s

# the kernel's bpf_alu_string (kernel/bpf/disasm.c), also the verifier's operator names
ALU_STR = {op.ADD: "+=", op.SUB: "-=", op.MUL: "*=", op.DIV: "/=", op.OR: "|=", op.AND: "&=",
        op.LSH: "<<=", op.RSH: ">>=", op.NEG: "neg", op.MOD: "%=", op.XOR: "^=", op.MOV: "=",
        op.ARSH: "s>>=", op.END: "endian"}
_ALU_SIGNED = {op.DIV: "s/=", op.MOD: "s%="}
_MOVSX = {8: "(s8)", 16: "(s16)", 32: "(s32)"}
_ATOMIC_ALU = {op.ADD: "add", op.AND: "and", op.OR: "or", op.XOR: "xor"}
_SIZE = {op.W: "u32", op.H: "u16", op.B: "u8", op.DW: "u64"}
_SSIZE = {op.W: "s32", op.H: "s16", op.B: "s8"}
_JMP = {op.JA: "jmp", op.JEQ: "==", op.JGT: ">", op.JLT: "<", op.JGE: ">=", op.JLE: "<=",
        op.JSET: "&", op.JNE: "!=", op.JSGT: "s>", op.JSLT: "s<", op.JSGE: "s>=", op.JSLE: "s<=",
        op.CALL: "call", op.EXIT: "exit"}

NOSPEC_MODE = 0xC0     # BPF_ST | BPF_NOSPEC: kernel-internal speculation barrier
ADDR_PERCPU_OFF = -1   # BPF_ALU64 | BPF_MOV | BPF_X with off -1: kernel-internal per-CPU address
_PTR_PSEUDOS = (op.PSEUDO_MAP_FD, op.PSEUDO_MAP_VALUE, op.PSEUDO_MAP_IDX,
                op.PSEUDO_MAP_IDX_VALUE, op.PSEUDO_BTF_ID)


def _plus(v: int) -> str:
    return f"{v:+d}"


def kernel_text(insn: Insn, second: Insn | None = None, *, call_name: CallName | None = None,
                imm_text: ImmText | None = None, allow_ptr_leaks: bool = True) -> str:
    """``print_bpf_insn`` for one instruction (``second`` is read for ld_imm64 only)."""
    code, cls = insn.code, insn.cls
    if cls in (op.ALU, op.ALU64):
        return _alu(insn)
    if cls == op.STX:
        return _stx(insn)
    if cls == op.ST:
        mode = op.mem_mode(code)
        if mode == op.MEM:
            return (f"({code:02x}) *({_SIZE[op.mem_size(code)]} *)(r{insn.dst} {_plus(insn.off)})"
                    f" = {insn.imm}")
        if mode == NOSPEC_MODE:
            return f"({code:02x}) nospec"
        return f"BUG_st_{code:02x}"
    if cls == op.LDX:
        mode, size = op.mem_mode(code), op.mem_size(code)
        if mode not in (op.MEM, op.MEMSX):
            return f"BUG_ldx_{code:02x}"
        sz = _SIZE[size] if mode == op.MEM else _SSIZE.get(size, _NULL)
        return f"({code:02x}) r{insn.dst} = *({sz} *)(r{insn.src} {_plus(insn.off)})"
    if cls == op.LD:
        return _ld(insn, second, imm_text, allow_ptr_leaks)
    return _jmp(insn, call_name)


def _alu(insn: Insn) -> str:
    code, d, s, off, imm = insn.code, insn.dst, insn.src, insn.off, insn.imm
    r = "w" if insn.cls == op.ALU else "r"
    o = op.alu_op(code)
    if o == op.END:
        if insn.cls == op.ALU64:
            return f"({code:02x}) r{d} = bswap{imm} r{d}"
        return f"({code:02x}) r{d} = {'be' if op.src_bit(code) else 'le'}{imm} r{d}"
    if o == op.NEG:
        return f"({code:02x}) {r}{d} = -{r}{d}"
    if code == op.ALU64 | op.MOV | op.X and off == 1:  # BPF_ADDR_SPACE_CAST
        u = u32(imm)
        return f"({code:02x}) r{d} = addr_space_cast(r{s}, {u >> 16}, {u & 0xFFFF})"
    if code == op.ALU64 | op.MOV | op.X and off == ADDR_PERCPU_OFF:
        return f"({code:02x}) r{d} = &(void __percpu *)(r{s})"
    opstr = _ALU_SIGNED[o] if o in _ALU_SIGNED and off == 1 else ALU_STR.get(o, _NULL)
    if op.src_bit(code):
        movsx = _MOVSX.get(off, "") if o == op.MOV else ""
        return f"({code:02x}) {r}{d} {opstr} {movsx}{r}{s}"
    return f"({code:02x}) {r}{d} {opstr} {imm}"


def _stx(insn: Insn) -> str:
    code, d, s, off, imm = insn.code, insn.dst, insn.src, insn.off, insn.imm
    mode, size = op.mem_mode(code), op.mem_size(code)
    sz, at = _SIZE[size], f"(r{d} {_plus(off)})"
    if mode == op.MEM:
        return f"({code:02x}) *({sz} *){at} = r{s}"
    if mode != op.ATOMIC:
        return f"BUG_{code:02x}"
    w64 = "64" if size == op.DW else ""
    if imm in _ATOMIC_ALU:
        return f"({code:02x}) lock *({sz} *){at} {ALU_STR[imm]} r{s}"
    if imm & ~op.FETCH in _ATOMIC_ALU and imm & op.FETCH:
        return (f"({code:02x}) r{s} = atomic{w64}_fetch_{_ATOMIC_ALU[imm & ~op.FETCH]}"
                f"(({sz} *){at}, r{s})")
    if imm == op.CMPXCHG:
        return f"({code:02x}) r0 = atomic{w64}_cmpxchg(({sz} *){at}, r0, r{s})"
    if imm == op.XCHG:
        return f"({code:02x}) r{s} = atomic{w64}_xchg(({sz} *){at}, r{s})"
    if imm == op.LOAD_ACQ:
        return f"({code:02x}) r{d} = load_acquire(({sz} *)(r{s} {_plus(off)}))"
    if imm == op.STORE_REL:
        return f"({code:02x}) store_release(({sz} *){at}, r{s})"
    return f"BUG_{code:02x}"


def _ld(insn: Insn, second: Insn | None, imm_text: ImmText | None, allow_ptr_leaks: bool) -> str:
    code = insn.code
    mode, size = op.mem_mode(code), op.mem_size(code)
    sz = _SIZE[size]
    if mode == op.ABS:
        return f"({code:02x}) r0 = *({sz} *)skb[{insn.imm}]"
    if mode == op.IND:
        return f"({code:02x}) r0 = *({sz} *)skb[r{insn.src} + {insn.imm}]"
    if mode == op.IMM and size == op.DW:
        hi = second.imm if second is not None else 0
        value = u32(insn.imm) | (u32(hi) << 32)
        if insn.src in _PTR_PSEUDOS and not allow_ptr_leaks:
            value = 0
        text = imm_text(insn, value) if imm_text else f"{value:#x}"
        return f"({code:02x}) r{insn.dst} = {text}"
    return f"BUG_ld_{code:02x}"


def _func_name(insn: Insn, call_name: CallName | None) -> str:
    """``__func_get_name``: helper table, then the callback, then the pseudo-call fallbacks."""
    if insn.src == op.CALL_HELPER:
        name = helper_name(insn.imm)
        if name:
            return name
    if call_name:
        name = call_name(insn)
        if name:
            return name
    if insn.src == op.PSEUDO_CALL:
        return f"{insn.imm:+d}"
    if insn.src == op.PSEUDO_KFUNC_CALL:
        return "kernel-function"
    return "unknown"


def _jmp(insn: Insn, call_name: CallName | None) -> str:
    code, d, s, off, imm = insn.code, insn.dst, insn.src, insn.off, insn.imm
    o = op.alu_op(code)
    r = "w" if insn.cls == op.JMP32 else "r"
    if o == op.CALL:
        name = _func_name(insn, call_name)
        if s == op.PSEUDO_CALL:
            return f"({code:02x}) call pc{name}"
        return f"({code:02x}) call {name}#{imm}"
    if code == op.JMP | op.JA:
        return f"({code:02x}) goto pc{off:+d}"
    if code == op.JMP | op.JA | op.X:
        return f"({code:02x}) gotox r{d}"
    if code == op.JMP | op.JCOND and s == op.MAY_GOTO:
        return f"({code:02x}) may_goto pc{off:+d}"
    if code == op.JMP32 | op.JA:
        return f"({code:02x}) gotol pc{imm:+d}"
    if code == op.EXIT_OP:
        return f"({code:02x}) exit"
    opstr = _JMP.get(o, _NULL)
    if op.src_bit(code):
        return f"({code:02x}) if {r}{d} {opstr} {r}{s} goto pc{off:+d}"
    return f"({code:02x}) if {r}{d} {opstr} {u32(imm):#x} goto pc{off:+d}"
