"""The verifier log: kernel-style text at level 1 and 2.

Level 1 holds what the kernel prints outside the per-instruction trace: the
error (with the lines that lead up to it, e.g. ``arg#0 expects pointer to
ctx``), notes such as ``Func#1 ('f') is safe for any args that match its
prototype``, and the statistics trailer::

    processed 12 insns (limit 1000000) max_states_per_insn 0 total_states 1 peak_states 1 mark_read 0

Level 2 adds the trace in the kernel's format: ``0: R1=ctx() R10=fp0``,
``3: (07) r2 += -4                      ; R2=fp-4``, ``from 6 to 9: ...``,
``caller:``/``callee:`` blocks, ``mark_precise:`` lines and ``N: safe``.
Register and stack printing follows kernel/bpf/log.c (print_reg_state,
print_verifier_state); instructions are printed by :mod:`isa.disasm`.
"""

from __future__ import annotations

from isa.ints import s64, u64
from verifier import regtypes as T
from verifier.scalar_fmt import format_scalar_ranges
from verifier.state import (BPF_ADD_CONST, BPF_REG_SIZE, MAX_BPF_REG, STACK_DYNPTR, STACK_INVALID, STACK_ITER,
                            STACK_SPILL, Frame, Reg, State)
from verifier.tnum import tnum_strn

BPF_LOG_MIN_ALIGNMENT = 8
BPF_LOG_ALIGNMENT = 40


def _snum(v: int) -> str:
    """kernel: verbose_snum."""
    v = u64(v)
    sv = s64(v)
    return str(sv) if -0x8000 <= sv <= 0x7FFF else "0x%x" % v


def _unum(v: int) -> str:
    return str(v) if v <= 0xFFFF else "0x%x" % v


def format_reg(frameno: int, reg: Reg) -> str:
    """kernel: print_reg_state (the text after ``R1=``)."""
    t = reg.type
    s = reg.s
    out = []
    if t == T.SCALAR and reg.precise:
        out.append("P")
    if t == T.SCALAR and s.var_off.mask == 0:
        out.append(_snum(s.var_off.value))
        return "".join(out)
    out.append(T.type_str(t))
    if t == T.PTR_TO_ARENA:
        return "".join(out)
    if t == T.PTR_TO_STACK:
        if frameno != reg.frameno:
            out.append(f"[{reg.frameno}]")
        if s.var_off.mask == 0:
            out.append(_snum(s.var_off.value + reg.off))
            return "".join(out)
    if T.base(t) == T.PTR_TO_BTF_ID:
        out.append(reg.btf_name)
    items = []
    if reg.id:
        items.append("id=%d" % (reg.id & ~BPF_ADD_CONST))
    if reg.id & BPF_ADD_CONST:
        items[-1] += "%+d" % reg.off
    if reg.ref_obj_id:
        items.append("ref_obj_id=%d" % reg.ref_obj_id)
    if T.is_map_ptr(t) and reg.map is not None:
        if reg.map.name:
            items.append("map=%s" % reg.map.name[:15])
        items.append("ks=%d,vs=%d" % (reg.map.key_size, reg.map.value_size))
    if t != T.SCALAR and reg.off:
        items.append("off=" + _snum(reg.off))
    if T.is_pkt_pointer(t):
        items.append("r=" + _unum(reg.range & 0xFFFFFFFFFFFFFFFF if reg.range < 0 else reg.range))   # int range: sign-extended
    if T.base(t) == T.PTR_TO_MEM:
        items.append("sz=" + _unum(reg.mem_size))
    if s.var_off.mask == 0:
        if s.var_off.value:
            items.append("imm=" + _snum(s.var_off.value))
    else:
        items += format_scalar_ranges(s)
        if s.var_off.mask != (1 << 64) - 1 or s.var_off.value:
            items.append("var_off=" + tnum_strn(s.var_off))
    out.append("(" + ",".join(items) + ")")
    return "".join(out)


_ITER_STATES = {1: "active", 2: "drained"}


def _dynptr_text(r: Reg) -> str:
    items = []
    if r.id:
        items.append("id=%d" % r.id)
    if r.ref_obj_id:
        items.append("ref_id=%d" % r.ref_obj_id)
    return "dynptr_%s(%s)" % (r.btf_name or "local", ",".join(items))


def format_frame(state: State, frameno: int, print_all: bool = True, regs_mask: int = -1,
                 stack_mask: int = -1) -> str:
    """kernel: print_verifier_state (without the trailing newline)."""
    f: Frame = state.frames[frameno]
    parts = []
    if f.frameno:
        parts.append(" frame%d:" % f.frameno)
    for i in range(MAX_BPF_REG):
        r = f.regs[i]
        if r.type == T.NOT_INIT:
            continue
        if not print_all and not (regs_mask >> i) & 1:
            continue
        parts.append(" R%d=%s" % (i, format_reg(f.frameno, r)))
    stack = f.stack
    spi = -1
    while spi + 1 < len(stack):
        spi += 1
        slot = stack[spi]
        if not print_all and not (stack_mask >> spi) & 1:
            continue
        types = slot.types
        if all(t == STACK_INVALID for t in types):
            continue
        last = types[BPF_REG_SIZE - 1]
        if last == STACK_SPILL:
            j = 0
            while j < BPF_REG_SIZE and types[j] != STACK_SPILL:
                j += 1
            off = (-spi - 1) * BPF_REG_SIZE
            parts.append(" fp%d=%s%s" % (off, slot.type_chars()[:j],
                                         format_reg(f.frameno, slot.spilled)))
        elif last == STACK_DYNPTR:
            # a dynptr spans two slots; it prints once, from its deeper (main) slot
            spi = min(spi + 1, len(stack) - 1)
            parts.append(" fp%d=%s" % ((-spi - 1) * BPF_REG_SIZE,
                                       _dynptr_text(stack[spi].spilled)))
        elif last == STACK_ITER:
            it = slot.spilled
            if not it.ref_obj_id:      # only an iterator's first slot holds its reference
                continue
            name = it.btf_name or ""
            name = name[len("bpf_iter_"):] if name.startswith("bpf_iter_") else name
            state_name = _ITER_STATES.get(it.range, "<invalid>")
            parts.append(" fp%d=iter_%s(ref_id=%d,state=%s,depth=%d)"
                         % ((-spi - 1) * BPF_REG_SIZE, name, it.ref_obj_id, state_name,
                            it.mem_size))
        else:
            parts.append(" fp%d=%s" % ((-spi - 1) * BPF_REG_SIZE, slot.type_chars()))
    if state.refs:
        parts.append(" refs=" + ",".join(str(r.id) for r in state.refs))
    if f.in_callback_fn:
        parts.append(" cb")
    if f.in_async_callback_fn:
        parts.append(" async_cb")
    return "".join(parts)


def vlog_alignment(pos: int) -> int:
    m = max(pos + BPF_LOG_MIN_ALIGNMENT // 2, BPF_LOG_ALIGNMENT)
    return ((m + BPF_LOG_MIN_ALIGNMENT - 1) // BPF_LOG_MIN_ALIGNMENT) * BPF_LOG_MIN_ALIGNMENT - pos - 1


class Log:
    """An append-only text log with the kernel's reset-to-position
    semantics (level 1 drops the trace of paths that verified fine)."""

    def __init__(self, level: int = 1):
        self.level = level
        self.parts: list[str] = []
        self.size = 0

    def __bool__(self) -> bool:
        return self.level > 0

    @property
    def level2(self) -> bool:
        return self.level >= 2

    def write(self, text: str) -> None:
        if self.level:
            self.parts.append(text)
            self.size += len(text)

    def line(self, text: str) -> None:
        self.write(text + "\n")

    @property
    def pos(self) -> int:
        return len(self.parts)

    def reset(self, pos: int) -> None:
        if pos < len(self.parts):
            del self.parts[pos:]

    def last_ends_with_newline(self) -> bool:
        return bool(self.parts) and self.parts[-1].endswith("\n")

    def text(self) -> str:
        return "".join(self.parts)
