"""The worklist of the depth-first walk: pending branches and the jump history.

The kernel keeps, next to the state being verified, a stack of states still to
explore (``push_stack`` / ``pop_stack``: the other side of every undecided
branch, callback bodies, iterator and may_goto forks) and, in each state, the
history of the jumps and stack accesses that led to it (``push_jmp_history``,
read back by precision backtracking).  The instruction checkers push here;
the driver (:mod:`verifier.core`, do_check: the kernel's pop_stack, inline) pops.
"""

from __future__ import annotations

from verifier.env import BPF_COMPLEXITY_LIMIT_JMP_SEQ, Env
from verifier.errors import E2BIG, VerifierError
from verifier.state import HistEntry, State

_new = object.__new__


class BranchElem:
    """One pending branch (kernel: bpf_verifier_stack_elem)."""
    __slots__ = ("st", "insn_idx", "prev_insn_idx", "log_pos")

    def __init__(self, st: State, insn_idx: int, prev_insn_idx: int, log_pos: int):
        self.st = st
        self.insn_idx = insn_idx
        self.prev_insn_idx = prev_insn_idx
        self.log_pos = log_pos


def push_stack(env: Env, insn_idx: int, prev_insn_idx: int) -> State:
    """Queue a copy of the current state to be explored from ``insn_idx``."""
    cur = env.cur
    st = cur.copy()
    # BranchElem(st, insn_idx, prev_insn_idx, env.log.pos), built without the calls of
    # __init__ and of the pos property (two cold functions less at a small program's branch)
    e = _new(BranchElem)
    e.st = st
    e.insn_idx = insn_idx
    e.prev_insn_idx = prev_insn_idx
    e.log_pos = env.log.end
    env.stack.append(e)
    if len(env.stack) > BPF_COMPLEXITY_LIMIT_JMP_SEQ:
        raise VerifierError(f"The sequence of {len(env.stack)} jumps is too complex.", E2BIG)
    if st.parent is not None:
        st.parent.branches += 1
    return st


def push_jmp_history(env: Env, st: State, flags: int, linked=None) -> None:
    """Record the current instruction in ``st``'s jump history (flags merge into
    the entry already recorded for this instruction)."""
    ent = env.cur_hist_ent
    if ent is not None and st is env.cur:
        ent.flags |= flags
        if linked:
            ent.linked_regs = linked
        return
    ent = _new(HistEntry)               # HistEntry(...), without a call of __init__
    ent.idx = env.insn_idx
    ent.prev_idx = env.prev_insn_idx
    ent.flags = flags
    ent.linked_regs = linked
    st.jmp_history.append(ent)
    if st is env.cur:
        env.cur_hist_ent = ent
