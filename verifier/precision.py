"""Precision tracking: which scalars' exact values a safety decision used.

State pruning treats two scalars as interchangeable unless the value was
needed (a branch decided by it, a bounds check, a helper size...).  When the
verifier relies on a scalar it calls :func:`mark_chain_precision`, which
walks the instruction history backwards (kernel: __mark_chain_precision /
backtrack_insn) and marks, in every *parent* checkpoint state, the
registers and spilled stack slots the value was computed from as
``precise``.  Checkpoint states with precise marks are compared by value in
:mod:`verifier.prune`.

The history of a state is its ``jmp_history`` (non-sequential steps and
stack-access flags) between ``first_insn_idx`` and ``last_insn_idx``; the
walk continues into ``state.parent`` until nothing is left to explain.
"""

from __future__ import annotations


from isa import opcodes as op
from isa.stack_args import PARAMS, load_slot, store_slot
from isa.uapi import BPF_FUNC_tail_call
from verifier import regtypes as T
from verifier.log import format_frame
from verifier.precision_window import ends_in_window
from verifier.state import (INSN_F_FRAMENO_MASK, INSN_F_SPI_MASK, INSN_F_SPI_SHIFT,
                            INSN_F_STACK_ACCESS, MAX_CALL_FRAMES, STACK_SPILL, Slot)

INSN_F_DST_REG_STACK = 1 << 10
INSN_F_SRC_REG_STACK = 1 << 11
REGMASK_ARGS = 0b111110           # r1-r5


class _NotSupp(Exception):
    pass


class _Bug(Exception):
    pass


class Backtrack:
    """kernel: struct backtrack_state."""
    __slots__ = ("frame", "reg_masks", "stack_masks", "sa_masks")

    def __init__(self, frame: int):
        self.frame = frame
        self.reg_masks = [0] * MAX_CALL_FRAMES
        self.stack_masks = [0] * MAX_CALL_FRAMES
        # outgoing stack-argument slots (bit k-1 = *(r11 - 8k)) per frame
        self.sa_masks = [0] * MAX_CALL_FRAMES

    def empty(self) -> bool:
        if not self.frame:
            return not (self.reg_masks[0] or self.stack_masks[0] or self.sa_masks[0])
        for f in range(self.frame + 1):
            if self.reg_masks[f] or self.stack_masks[f] or self.sa_masks[f]:
                return False
        return True

    def set_reg(self, r: int) -> None:
        self.reg_masks[self.frame] |= 1 << r

    def clear_reg(self, r: int) -> None:
        self.reg_masks[self.frame] &= ~(1 << r)

    def is_reg(self, r: int) -> bool:
        return bool(self.reg_masks[self.frame] >> r & 1)

    def reg_mask(self) -> int:
        return self.reg_masks[self.frame]

    def stack_mask(self) -> int:
        return self.stack_masks[self.frame]


def _sync_linked(bt: Backtrack, hist) -> None:
    """kernel: bt_sync_linked_regs (the caller checks hist.linked_regs)."""
    entries = hist.linked_regs          # list of (frameno, is_reg, regno_or_spi)
    hit = False
    for fr, is_reg, n in entries:
        if is_reg:
            if bt.reg_masks[fr] >> n & 1:
                hit = True
        elif bt.stack_masks[fr] >> n & 1:
            hit = True
    if not hit:
        return
    for fr, is_reg, n in entries:
        if is_reg:
            bt.reg_masks[fr] |= 1 << n
        else:
            bt.stack_masks[fr] |= 1 << n


def _backtrack_insn(env, idx: int, subseq_idx: int, hist, bt: Backtrack) -> None:
    insn = env.insns[idx]
    code = insn.code
    if code == 0:
        return
    cls = code & 7
    opc = code & 0xF0
    dreg, sreg = insn.dst, insn.src
    if env.log.level2:
        env.log.line(f"mark_precise: frame{bt.frame}: regs={_fmt_regs(bt.reg_mask())} "
                     f"stack={_fmt_stack(bt.stack_mask())} before {idx}: "
                     f"{env.insn_text(idx)}")
    linked = hist is not None and hist.linked_regs
    if linked:
        _sync_linked(bt, hist)
    if cls == op.ALU or cls == op.ALU64:
        masks, fr = bt.reg_masks, bt.frame
        if not masks[fr] >> dreg & 1:
            return
        if opc == op.END or opc == op.NEG:
            return
        if opc == op.MOV:
            masks[fr] &= ~(1 << dreg)
            if code & op.X and sreg != 10:
                masks[fr] |= 1 << sreg
        elif code & op.X and sreg != 10:
            masks[fr] |= 1 << sreg
    elif cls == op.LDX or (cls == op.STX and (code & 0xE0) == op.ATOMIC
                           and insn.imm == op.LOAD_ACQ):
        masks, fr = bt.reg_masks, bt.frame
        if not masks[fr] >> dreg & 1:
            return
        masks[fr] &= ~(1 << dreg)
        if sreg == PARAMS:
            # an incoming stack argument: the caller's outgoing slot
            if bt.frame > 0:
                bt.sa_masks[bt.frame - 1] |= 1 << (load_slot(insn) - 1)
            return
        if hist is None or not hist.flags & INSN_F_STACK_ACCESS:
            return
        spi = (hist.flags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK
        fr = hist.flags & INSN_F_FRAMENO_MASK
        bt.stack_masks[fr] |= 1 << spi
    elif cls in (op.STX, op.ST) and dreg == PARAMS:
        # a store into an outgoing stack-argument slot
        bit = 1 << (store_slot(insn) - 1)
        if not bt.sa_masks[bt.frame] & bit:
            return
        bt.sa_masks[bt.frame] &= ~bit
        if cls == op.STX:
            bt.set_reg(sreg)
    elif cls in (op.STX, op.ST):
        if bt.is_reg(dreg):
            raise _NotSupp()
        if hist is None or not hist.flags & INSN_F_STACK_ACCESS:
            return
        spi = (hist.flags >> INSN_F_SPI_SHIFT) & INSN_F_SPI_MASK
        fr = hist.flags & INSN_F_FRAMENO_MASK
        if not bt.stack_masks[fr] >> spi & 1:
            return
        bt.stack_masks[fr] &= ~(1 << spi)
        if cls == op.STX:
            bt.set_reg(sreg)
    elif cls in (op.JMP, op.JMP32):
        if code == op.CALL_OP and sreg == op.PSEUDO_CALL:
            target = idx + insn.imm + 1
            sub = env.subprog_of(target)
            if env.subprogs[sub].is_global:
                if bt.reg_mask() & REGMASK_ARGS:
                    raise _Bug()
                bt.clear_reg(0)
                return
            if bt.reg_mask() & ~REGMASK_ARGS:
                raise _Bug()
            if bt.stack_mask() or bt.sa_masks[bt.frame]:
                raise _Bug()
            for r in range(1, 6):
                if bt.is_reg(r):
                    bt.clear_reg(r)
                    bt.reg_masks[bt.frame - 1] |= 1 << r
            if bt.frame == 0:
                raise _Bug()
            bt.reg_masks[bt.frame] = 0
            bt.stack_masks[bt.frame] = 0
            bt.frame -= 1
            return
        if env.aux[idx].calls_callback and idx != subseq_idx - 1:
            if bt.reg_mask() & ~REGMASK_ARGS or bt.stack_mask():
                raise _Bug()
            for r in range(1, 6):
                bt.clear_reg(r)
            if bt.frame == 0:
                raise _Bug()
            bt.reg_masks[bt.frame] = 0
            bt.stack_masks[bt.frame] = 0
            bt.frame -= 1
            return
        if opc == op.CALL:
            if sreg == op.PSEUDO_KFUNC_CALL and insn.imm == 0:
                raise _NotSupp()
            if bt.sa_masks[bt.frame]:
                raise _Bug()      # every call kills the outgoing slots
            bt.clear_reg(0)
            if bt.reg_mask() & REGMASK_ARGS:
                raise _Bug()
            if sreg == 0 and insn.imm == BPF_FUNC_tail_call and subseq_idx - idx != 1:
                bt.frame += 1
                if bt.frame >= MAX_CALL_FRAMES:
                    raise _Bug()
        elif opc == op.EXIT:
            if subseq_idx >= 0 and env.aux[subseq_idx].calls_callback:
                for r in range(1, 6):
                    bt.clear_reg(r)
            if bt.reg_mask() & REGMASK_ARGS:
                raise _Bug()
            prev = env.insns[subseq_idx - 1] if subseq_idx - 1 >= 0 else None
            r0_precise = (prev is not None and prev.code == op.CALL_OP
                          and prev.src == op.PSEUDO_CALL and bt.is_reg(0))
            bt.clear_reg(0)
            bt.frame += 1
            if bt.frame >= MAX_CALL_FRAMES:
                raise _Bug()
            if r0_precise:
                bt.set_reg(0)
            return
        elif code & op.X:
            if not bt.is_reg(dreg) and not bt.is_reg(sreg):
                return
            if hist is None or not hist.flags & INSN_F_SRC_REG_STACK:
                bt.set_reg(sreg)
            if hist is None or not hist.flags & INSN_F_DST_REG_STACK:
                bt.set_reg(dreg)
    elif cls == op.LD:
        if not bt.is_reg(dreg):
            return
        bt.clear_reg(dreg)
        mode = code & 0xE0
        if mode in (op.IND, op.ABS):
            raise _NotSupp()
    if linked:
        _sync_linked(bt, hist)


def _fmt_regs(mask: int) -> str:
    return ",".join(f"r{i}" for i in range(32) if mask >> i & 1)


def _fmt_stack(mask: int) -> str:
    return ",".join(f"-{(i + 1) * 8}" for i in range(64) if mask >> i & 1)


def _is_spilled_scalar(slot: Slot) -> bool:
    return slot.types[7] == STACK_SPILL and slot.spilled.type == T.SCALAR


def _set_precise_reg(frame, i: int) -> bool:
    r = frame.regs[i]
    if r.type != T.SCALAR:
        return False
    if r.precise:
        return False
    frame.regs[i] = r.with_(precise=True)
    return True


def mark_all_scalars_precise(env, st) -> None:
    """kernel: mark_all_scalars_precise - the conservative fallback."""
    log = env.log if env.log.level2 else None
    if log:
        log.line(f"mark_precise: frame{st.curframe}: falling back to forcing all scalars "
                 f"precise")
    # the current state is skipped: marks only matter in checkpoints (parents)
    st = st.parent
    while st is not None:
        for fi, f in enumerate(st.frames[: st.curframe + 1]):
            for i in range(10):
                r = f.regs[i]
                if r.type == T.SCALAR and not r.precise:
                    f.regs[i] = r.with_(precise=True)
                    if log:
                        log.line(f"force_precise: frame{fi}: forcing r{i} to be precise")
            for spi, slot in enumerate(f.stack):
                if _is_spilled_scalar(slot) and not slot.spilled.precise:
                    f.stack[spi] = Slot(slot.types, slot.spilled.with_(precise=True))
                    if log:
                        log.line(f"force_precise: frame{fi}: forcing fp{-(spi + 1) * 8} "
                                 f"to be precise")
            sa = f.stack_arg_regs
            for k, r in enumerate(sa):
                if r.type == T.SCALAR and not r.precise:
                    sa[k] = r.with_(precise=True)
        st = st.parent


def mark_all_scalars_imprecise(st) -> None:
    # runs at every new checkpoint: the cheap test (precise) first, and no call per slot;
    # a frame's registers or slots are walked again only where one of them is precise
    # (plain loops: on this interpreter any(map(attrgetter(...), ...)) costs twice as much)
    scalar = T.SCALAR
    for f in st.frames:         # (a state holds its frames up to the current one: all)
        regs = f.regs
        for r in regs:
            if r.precise:
                for i, r in enumerate(regs):
                    if r.precise and r.type == scalar:
                        regs[i] = r.with_(precise=False)
                break
        sa = f.stack_arg_regs
        if sa:
            for k, r in enumerate(sa):
                if r.precise and r.type == scalar:
                    sa[k] = r.with_(precise=False)
        stack = f.stack
        for slot in stack:
            if slot.spilled.precise:
                for spi, slot in enumerate(stack):
                    sp = slot.spilled
                    if sp.precise and sp.type == scalar and slot.types[7] == STACK_SPILL:
                        stack[spi] = Slot(slot.types, sp.with_(precise=False))
                break




def backtrack_kinds(env) -> list[int]:
    """Per instruction, what backtracking it does when it has no history entry
    (with one, linked registers are synced first, so those take the long way):
    2 - nothing (an ALU op on an immediate other than a move, a conditional or
    unconditional jump on an immediate); 1 - nothing unless its dst is tracked
    (every other ALU op, every load); 0 - see backtrack_insn."""
    kind = _BT_KIND
    return [kind[insn.code & 0xFF] for insn in env.insns]


def _bt_kind(code: int) -> int:
    cls = code & 7
    opc = code & 0xF0
    if cls == op.ALU or cls == op.ALU64:
        return 2 if not code & op.X and opc != op.MOV else 1
    if cls == op.LDX:
        return 1
    if cls == op.JMP or cls == op.JMP32:
        return 2 if not code & op.X and opc != op.CALL and opc != op.EXIT else 0
    return 0


_BT_KIND = tuple(_bt_kind(code) for code in range(256))   # backtrack_kinds by opcode byte
_RUNS_AFTER = 32      # steps of one backtrack before it uses the run tables (backtrack_runs)


def backtrack_runs(insns, kinds: list[int]) -> tuple[list[int], list[int]]:
    """Per instruction i of kind 1 or 2: the first index of the unbroken run of
    such instructions ending at i in which every kind-1 instruction writes the
    same register, and that register as a bit mask (0 if none).  When it is not
    tracked, the backward walk passes the whole run in one step (a loop body of
    a thousand ``r0 += 1`` is crossed once, not a thousand times, at every
    conditional jump); kind-0 instructions get (i + 1, all bits), i.e. no run."""
    starts, regs = [], []
    start, reg = 0, -1            # reg: -1 = no run, 0 = a run of kind 2 only
    for i, k in enumerate(kinds):
        if k == 0:
            reg = -1
            starts.append(i + 1)
            regs.append(-1)
            continue
        bit = 1 << insns[i].dst if k == 1 else 0
        if reg == -1 or (bit and reg and bit != reg):
            start, reg = i, bit
        elif bit:
            reg = bit
        starts.append(start)
        regs.append(reg)
    return starts, regs


def mark_chain_precision(env, regno: int) -> None:
    """Make the scalar in ``regno`` (current frame) precise along its history."""
    if regno < 0 or not env.bpf_capable:
        return
    st = env.cur
    if st.regs[regno].type != T.SCALAR:
        return
    if not env.log.level2 and ends_in_window(env, st, regno):
        return
    bt = Backtrack(st.curframe)
    bt.reg_masks[st.curframe] = 1 << regno
    _mark_chain(env, st, bt)


def mark_stack_arg_precision(env, k: int) -> None:
    """Make the scalar in the current frame's outgoing stack-argument slot k
    precise along its history (a kfunc size or constant passed as argument
    5+k; kernel: mark_stack_arg_precision)."""
    if not env.bpf_capable:
        return
    st = env.cur
    sa = st.frames[st.curframe].stack_arg_regs
    if k > len(sa) or sa[k - 1].type != T.SCALAR:
        return
    bt = Backtrack(st.curframe)
    bt.sa_masks[st.curframe] |= 1 << (k - 1)
    _mark_chain(env, st, bt)


def mark_chain_precision_batch(env, st, bt: Backtrack) -> bool:
    """Backtrack the pre-set masks of ``bt`` from ``st``; True if any
    register or slot became newly precise."""
    return _mark_chain(env, st, bt)


def _mark_chain(env, starting_state, bt: Backtrack) -> bool:
    st = starting_state
    first_idx = st.first_insn_idx
    last_idx = st.insn_idx
    subseq_idx = -1
    skip_first = True
    log2 = env.log.level2
    changed = False
    kinds = _BT_KIND
    # the run tables, once this program has built them (env.bt_runs)
    run_start, run_regs = env._bt_runs or (None, None)
    steps = 0
    try:
        while True:
            history = len(st.jmp_history)
            if log2:
                env.log.line(f"mark_precise: frame{bt.frame}: last_idx {last_idx} first_idx "
                             f"{first_idx} subseq_idx {subseq_idx} ")
            if last_idx < 0:
                # entry into a global subprogram: r1-r5 are its arguments
                f0 = st.frames[0]
                if (st.curframe == 0 and f0.subprogno > 0 and f0.callsite == -1
                        and bt.stack_mask() == 0 and (bt.reg_mask() & ~REGMASK_ARGS) == 0):
                    for i in range(32):
                        if bt.reg_mask() >> i & 1:
                            bt.clear_reg(i)
                            changed |= _set_precise_reg(f0, i)
                    return changed
                raise _Bug()
            i = last_idx
            jh = st.jmp_history
            first = st.first_insn_idx
            insns = env.insns
            while True:
                if skip_first:
                    skip_first = False
                else:
                    if run_start is None:
                        # the run tables pay off on long walks only: built (once per
                        # program) after _RUNS_AFTER steps of a walk
                        steps += 1
                        if steps > _RUNS_AFTER:
                            run_start, run_regs = env.bt_runs
                    lower = i if run_start is None else run_start[i]
                    if (lower < i and not log2
                            and not run_regs[i] & bt.reg_masks[bt.frame]):
                        # [lower, i] only writes untracked registers: step past it
                        # at once, stopping where a history entry or the state's
                        # first instruction needs the careful step below
                        if history and lower <= jh[history - 1].idx <= i:
                            lower = jh[history - 1].idx
                        if lower <= first <= i:
                            lower = first
                        if lower < i:
                            i = lower
                            subseq_idx = lower + 1
                    hist = jh[history - 1] if history and jh[history - 1].idx == i else None
                    k = kinds[insns[i].code & 0xFF]
                    # fast path: an instruction that backtracks to nothing here
                    if hist is None and not log2 and (k == 2 or (
                            k == 1 and not bt.reg_masks[bt.frame] >> insns[i].dst & 1)):
                        pass
                    else:
                        _backtrack_insn(env, i, subseq_idx, hist, bt)
                        if bt.empty():
                            return changed
                subseq_idx = i
                # kernel: get_prev_insn_idx
                if i == first and (history == 0 or (history == 1 and jh[0].idx == i)):
                    break
                if history and jh[history - 1].idx == i:
                    i = jh[history - 1].prev_idx
                    history -= 1
                else:
                    i -= 1
                if i < 0:
                    break
                if i >= env.n:
                    raise _Bug()
            st = st.parent
            if st is None:
                break
            for fr in range(bt.frame, -1, -1):
                if fr > st.curframe:
                    raise _Bug()
                func = st.frames[fr]
                mask = bt.reg_masks[fr]
                while mask:
                    low = mask & -mask
                    mask ^= low
                    i = low.bit_length() - 1
                    r = func.regs[i]
                    if r.type != T.SCALAR or r.precise:
                        bt.reg_masks[fr] &= ~(1 << i)
                    else:
                        func.regs[i] = r.with_(precise=True)
                        changed = True
                smask = bt.stack_masks[fr]
                while smask:
                    low = smask & -smask
                    smask ^= low
                    i = low.bit_length() - 1
                    if i >= len(func.stack):
                        raise _Bug()
                    slot = func.stack[i]
                    if not _is_spilled_scalar(slot) or slot.spilled.precise:
                        bt.stack_masks[fr] &= ~(1 << i)
                    else:
                        func.stack[i] = Slot(slot.types, slot.spilled.with_(precise=True))
                        changed = True
                samask = bt.sa_masks[fr]
                if samask:
                    sa = func.stack_arg_regs
                    for i in range(8):
                        if not samask >> i & 1:
                            continue
                        if i >= len(sa):
                            raise _Bug()
                        r = sa[i]
                        if r.type != T.SCALAR or r.precise:
                            bt.sa_masks[fr] &= ~(1 << i)
                        else:
                            sa[i] = r.with_(precise=True)
                            changed = True
                if log2:
                    env.log.line(f"mark_precise: frame{fr}: parent state "
                                 f"regs={_fmt_regs(bt.reg_masks[fr])} "
                                 f"stack={_fmt_stack(bt.stack_masks[fr])}: "
                                 f"{format_frame(st, fr)}")
            if bt.empty():
                return changed
            subseq_idx = first_idx
            last_idx = st.last_insn_idx
            first_idx = st.first_insn_idx
        if not bt.empty():
            mark_all_scalars_precise(env, starting_state)
            changed = True
    except (_NotSupp, _Bug):
        mark_all_scalars_precise(env, starting_state)
        changed = True
    return changed
