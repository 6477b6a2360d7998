"""Precision backtracking's short cut: the walk that provably ends in the current state.

Most calls of :func:`verifier.precision.mark_chain_precision` (a helper's size
argument, a zero store, ``ptr += reg``, a branch on a constant) need a register
that was set from a constant a few instructions earlier, in the same state.  The
kernel's ``__mark_chain_precision`` / ``backtrack_insn`` then walk back those
instructions and mark nothing (marks only go to parent checkpoints).
:func:`ends_in_window` follows the same steps for one tracked register or stack
slot and answers whether that walk ends so; where it cannot tell, the caller runs
the full walk of :mod:`verifier.precision`.
"""

from __future__ import annotations

from isa import opcodes as op
from isa.stack_args import PARAMS
from isa.uapi import BPF_FUNC_tail_call
from verifier import regtypes as T
from verifier.state import (INSN_F_FRAMENO_MASK, INSN_F_SPI_MASK, INSN_F_SPI_SHIFT,
                            INSN_F_STACK_ACCESS, STACK_SPILL)

WALK_BUDGET = 32      # steps before ends_in_window leaves a walk to the full one


# How one instruction backtracks a single tracked register r when it has no history
# entry (the linear walk of ends_in_window; a mirror of _backtrack_insn for that case):
_PASS = 0        # r stays tracked
_DEF = 1         # dst == r: r is set from a constant (mov imm, ld_imm64): the walk ends
_LDX = 2         # dst == r: a load not from the stack (no history entry): the walk ends
_MOVX = 3        # dst == r: r = src (src r10: the walk ends)
_ALUX = 4        # dst == r: r op= src adds src (src r10: r stays)
_DST = 5         # dst == r: not this walk's case (LD_ABS/IND)
_JX = 6          # dst == r or src == r: not this walk's case
_OTHER = 7       # calls other than a helper's / kfunc's, exits, atomics: not this walk's case
_STORE = 8       # dst == r: not this walk's case; a spill into the tracked slot ends it
_CALL = 9        # a helper or kfunc call: r0 ends the walk, r1-r5 are not this walk's case


def _fast_kind(code: int) -> int:
    cls = code & 7
    opc = code & 0xF0
    if cls == op.ALU or cls == op.ALU64:
        if opc == op.END or opc == op.NEG:
            return _PASS
        if opc == op.MOV:
            return _MOVX if code & op.X else _DEF
        return _ALUX if code & op.X else _PASS
    if cls == op.LDX:
        return _LDX
    if cls == op.LD:
        if code == 0:
            return _PASS          # the second half of ld_imm64
        return _DST if (code & 0xE0) in (op.ABS, op.IND) else _DEF
    if cls == op.STX and (code & 0xE0) == op.ATOMIC:
        return _OTHER
    if cls == op.STX or cls == op.ST:
        return _STORE
    if code == op.CALL_OP:
        return _CALL
    if opc == op.CALL or opc == op.EXIT:
        return _OTHER
    return _JX if code & op.X else _PASS


_FAST_KIND = tuple(_fast_kind(code) for code in range(256))


def ends_in_window(env, st, regno: int, slot: int = -1) -> bool:
    """True when backtracking ``regno`` from the current instruction provably ends
    inside the current state without marking anything: the walk of _mark_chain
    (the same steps: history entries followed, not past the state's first
    instruction) tracks one register, or one stack slot it was filled from,
    until an instruction sets it from a constant or a non-stack load.  The full
    walk then visits the same instructions and leaves every state as it was.
    False (any other case: linked registers, calls, two things tracked) sends
    the caller to that walk, which starts over.  ``regno`` -1: the walk starts
    from the stack slot ``slot`` (frameno | spi << 4) instead."""
    i = st.insn_idx
    first = st.first_insn_idx
    jh = st.jmp_history
    history = len(jh)
    insns = env.insns
    kinds = _FAST_KIND
    r = regno
    # (slot: the tracked stack slot, frameno | spi << 4, or -1)
    budget = WALK_BUDGET          # a longer walk is left to _mark_chain's run tables
    while True:
        budget -= 1
        if not budget:
            return False
        subseq = i
        # kernel: get_prev_insn_idx (as in _mark_chain)
        if i == first and (history == 0 or (history == 1 and jh[0].idx == i)):
            return _nothing_in_parent(st, r, slot)
        if history and jh[history - 1].idx == i:
            i = jh[history - 1].prev_idx
            history -= 1
        else:
            i -= 1
        if i < 0:
            return False
        insn = insns[i]
        k = kinds[insn.code & 0xFF]
        hist = jh[history - 1] if history and jh[history - 1].idx == i else None
        if hist is not None:
            if hist.linked_regs:
                return False
            flags = hist.flags
            if k == _LDX and insn.dst == r:
                if insn.src == PARAMS:
                    return False
                if not flags & INSN_F_STACK_ACCESS:
                    return True
                r = -1           # tracked: the slot the register was filled from
                slot = (flags & INSN_F_FRAMENO_MASK) | (
                    ((flags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK) << 4)
                continue
            if k == _STORE and slot >= 0 and flags & INSN_F_STACK_ACCESS and (
                    (flags & INSN_F_FRAMENO_MASK)
                    | (((flags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK) << 4)) == slot:
                if insn.dst == PARAMS:
                    return False
                if insn.code & 7 == op.ST:
                    return True          # the slot was stored a constant
                slot = -1
                r = insn.src             # the slot was spilled from src
                continue
        if k:
            if k == _JX:
                if insn.dst == r or insn.src == r:
                    return False
            elif k == _CALL:
                # (as _backtrack_insn: r0 is the call's result, r1-r5 its arguments)
                src = insn.src
                if (src == op.PSEUDO_CALL or (src == op.PSEUDO_KFUNC_CALL and not insn.imm)
                        or (env.aux[i].calls_callback and i != subseq - 1)
                        or (src == 0 and insn.imm == BPF_FUNC_tail_call and subseq - i != 1)):
                    return False
                if r == 0:
                    return True
                if 0 < r < 6:
                    return False
            elif k == _OTHER:
                return False
            elif insn.dst == r:
                if k == _DEF:
                    return True
                if k == _LDX:
                    return insn.src != PARAMS
                if k == _MOVX:
                    if insn.src == 10:
                        return True
                    r = insn.src
                elif k == _ALUX:
                    if insn.src != 10:
                        return False
                else:
                    return False


def _nothing_in_parent(st, r: int, slot: int) -> bool:
    """At the first instruction of ``st`` in ends_in_window: True when the parent
    checkpoint's register ``r`` (frame st.curframe) or stack slot ``slot`` is not
    a scalar, or already precise - _mark_chain then drops it, and ends."""
    p = st.parent
    if p is None or p.curframe < st.curframe:
        return False
    if r >= 0:
        reg = p.frames[st.curframe].regs[r]
        return reg.type != T.SCALAR or reg.precise
    stack = p.frames[slot & 0xF].stack
    spi = slot >> 4
    if spi >= len(stack):
        return False
    sl = stack[spi]
    return not (sl.types[7] == STACK_SPILL and sl.spilled.type == T.SCALAR) or sl.spilled.precise
