"""The instruction trace of the level-1/2 log: the kernel's verbose_insn (with
print_bpf_insn's call and LD_IMM64 operand names), print_insn_state and verbose_linfo
(kernel/bpf/verifier.c, log.c).  The walk (core.do_check) calls these; nothing here
changes a verdict."""

from __future__ import annotations

from isa import opcodes as op
from isa.disasm import format_insn
from isa.helper_names import helper_name
from verifier.env import Env
from verifier.log import format_frame, vlog_alignment
from verifier.state import State


def call_name(env: Env):
    """insn -> the kernel's name of its call (helper ``name#id``, kfunc name; None for a
    bpf-to-bpf call), as verbose_insn prints it."""

    def name(insn):
        if insn.src == op.PSEUDO_CALL:
            return None
        if insn.src == 0:
            n = helper_name(insn.imm)
            return f"{n}#{insn.imm}" if n else None
        if insn.src == op.PSEUDO_KFUNC_CALL:
            d = env.kfunc_by_id.get(insn.imm)
            return d.name if d is not None else None
        return None
    return name


def _imm_text(env: Env):
    """(insn, value) -> the LD_IMM64 operand text: map references as the kernel prints them."""
    def text(insn, value):
        if insn.src in (op.PSEUDO_MAP_FD, op.PSEUDO_MAP_IDX):
            return f"map[id:{insn.imm}]"
        if insn.src in (op.PSEUDO_MAP_VALUE, op.PSEUDO_MAP_IDX_VALUE):
            return f"map[id:{insn.imm}][0]+{(value >> 32) & 0xFFFFFFFF}"
        return "0x%x" % value
    return text


def insn_text(env: Env, idx: int) -> str:
    """The instruction at ``idx`` as the kernel's log prints it (never raises)."""
    try:
        return format_insn(env.insns, idx, "kernel", strict=False, call_name=env.call_name,
                           imm_text=_imm_text(env))
    except Exception:  # noqa: BLE001 - the log must never break verification
        return "(%02x) ?" % env.insns[idx].code


def print_insn_state(env: Env, st: State, idx: int | None = None) -> None:
    """kernel print_insn_state: the scratched registers and slots after an instruction,
    on its own line or appended to the instruction's line."""
    log = env.log
    text = format_frame(st, st.curframe, False, env.scratched_regs, env.scratched_stack)
    env.scratched_regs = 0
    env.scratched_stack = 0
    if env.prev_log_pos is not None and env.prev_log_pos == log.pos and \
            log.last_ends_with_newline():
        log.amend_last_line(" " * vlog_alignment(env.prev_insn_print_len) + ";" + text + "\n")
    else:
        log.line(f"{env.insn_idx if idx is None else idx}:" + text)


def print_linfo(env: Env, idx: int) -> None:
    """kernel verbose_linfo: the source line of ``idx`` when it starts a new one."""
    li = env.linfo
    if not li:
        return
    best = None
    lo, hi = 0, len(li)
    while lo < hi:
        mid = (lo + hi) // 2
        if li[mid].insn <= idx:
            lo = mid + 1
        else:
            hi = mid
    if lo:
        best = li[lo - 1]
    prev = env.prev_linfo
    if best is None or best is prev:
        return
    # Records that differ only in column print the same source line: the kernel
    # skips a record naming the same file and line as the previous one.
    if prev is not None and prev.file == best.file and prev.line == best.line:
        return
    env.prev_linfo = best
    text = best.text.lstrip(" \t\n\v\f\r")     # C isspace(), left side only (ltrim)
    env.log.line(f"; {text} @ {best.file.rsplit('/', 1)[-1]}:{best.line}")
