"""State pruning: stop exploring a path whose state is covered by one already
verified safe at the same instruction (kernel: is_state_visited).

At each prune point the current state is compared with the states recorded
there (the comparison itself, ``states_equal``, is :mod:`verifier.equiv`); on
a hit the old state's precision marks are propagated to the current one.

Also here: the loop heuristics of the kernel (states still on the DFS path
cannot prune but can prove an infinite loop, checkpoint frequency, eviction
of states that keep missing), strongly-connected-component visits that make
comparisons conservative while a loop is still being explored,
``widen_imprecise_scalars`` for callback and iterator loops, and the
convergence test of open-coded iterators (:func:`iter_next_hit`).
"""

from __future__ import annotations

from verifier import regtypes as T
from verifier.equiv import (EXACT, NOT_EXACT, RANGE_WITHIN, IdMap, frame_insn_idx, regs_exact,
                            same_callsites, states_equal, states_maybe_looping)
from verifier.env import NO_FACTS
from verifier.errors import EINVAL, VerifierError
from verifier.log import format_frame
from verifier.precision import (Backtrack, mark_all_scalars_imprecise, mark_all_scalars_precise,
                                mark_chain_precision_batch)
from verifier.state import (INVALID_TYPES, ITER_ACTIVE, NOT_INIT_REG, STACK_ITER, STACK_SPILL,
                            UNKNOWN_SCALAR, Reg, Slot, State)
from verifier.worklist import push_jmp_history

# --- cleaning dead registers/slots ----------------------------------------------

# live mask (liveness.py's 11 bits, r0-r10) -> the registers r0-r9 not in it, in order (r10
# is never cleaned): a table, read at every prune point (a mask and the same mask with
# r10 share one tuple)
_DEAD = tuple(tuple(i for i in range(10) if not live >> i & 1) for live in range(1 << 10))
DEAD_REGS: tuple[tuple[int, ...], ...] = _DEAD + _DEAD
assert T.NOT_INIT == 0          # (the cleaning loops test a register's type as a bool)
_new = object.__new__


def clean_verifier_state(env, st: State) -> None:
    st.cleaned = True
    lv = env.liveness
    for fr in range(st.curframe + 1):
        f = st.frames[fr]
        ip = frame_insn_idx(st, fr)
        regs = f.regs
        for i in DEAD_REGS[env.live_regs_before[ip]]:
            if regs[i].type:                # (not NOT_INIT, the type 0)
                regs[i] = NOT_INIT_REG
        if lv is not None:
            stack = f.stack
            for spi in range(len(stack)):
                if stack[spi].types != INVALID_TYPES and not lv.slot_alive(env, st, fr, spi):
                    stack[spi] = Slot(INVALID_TYPES, NOT_INIT_REG)


def _clean_live_states(env, insn_idx: int, cur: State, entries) -> None:
    for e in entries:
        s = e.state
        if s.branches or s.insn_idx != insn_idx or s.cleaned:
            continue
        if not same_callsites(s, cur):
            continue
        if _incomplete_read_marks(env, s):
            continue
        clean_verifier_state(env, s)


# --- SCC visits ------------------------------------------------------------------

class SccVisit:
    __slots__ = ("entry_state", "backedges")

    def __init__(self):
        self.entry_state = None
        self.backedges: list = []


def _scc_key(env, st: State):
    """kernel: compute_scc_callchain - from the outermost frame in, the call sites up to
    the first frame whose instruction lies in an SCC, and that SCC (None: no SCC)."""
    if not st.curframe:                 # one frame: its instruction's SCC, if any
        scc = env.aux.get(st.insn_idx, NO_FACTS).scc
        return ((), scc) if scc else None
    callsites = []
    for i in range(st.curframe + 1):
        idx = frame_insn_idx(st, i)
        scc = env.aux.get(idx, NO_FACTS).scc
        if scc:
            return (tuple(callsites), scc)
        callsites.append(idx)
    return None


def _incomplete_read_marks(env, st: State) -> bool:
    """Marks may be incomplete for states of an SCC visit that recorded
    backedges (iterator / may_goto convergence) and has not been exited."""
    if not env.scc_info:
        return False
    key = _scc_key(env, st)
    if key is None:
        return False
    v = env.scc_info.get(key)
    return v is not None and bool(v.backedges)


def maybe_enter_scc(env, st: State) -> None:
    key = _scc_key(env, st)
    if key is None:
        return
    v = env.scc_info.get(key)
    if v is None:
        v = env.scc_info[key] = SccVisit()
    if v.entry_state is None:
        v.entry_state = st
        if env.log.level2:
            env.log.line(f"SCC enter ({','.join(str(c) for c in key[0] + (key[1],))})")


def maybe_exit_scc(env, st: State) -> None:
    if not env.scc_info:
        return                          # no SCC visit was entered
    key = _scc_key(env, st)
    if key is None:
        return
    v = env.scc_info.get(key)
    if v is None or v.entry_state is not st:
        return
    if env.log.level2:
        env.log.line(f"SCC exit ({','.join(str(c) for c in key[0] + (key[1],))})")
    v.entry_state = None
    backedges = v.backedges
    v.backedges = []
    _propagate_backedges(env, backedges)
    env.num_backedges -= len(backedges)


MAX_BACKEDGE_ITERS = 64


def _propagate_backedges(env, backedges) -> None:
    """Precision through an SCC's backedges to a fixed point.  The kernel keeps
    them in a list with the newest first, and walks it in that order."""
    order = backedges[::-1]
    i = 0
    while True:
        i += 1
        if i > MAX_BACKEDGE_ITERS + 1:
            if env.log.level2:
                env.log.line("propagate_backedges: too many iterations")
            for be_state, _ in order:
                mark_all_scalars_precise(env, be_state)
            return
        changed = False
        for be_state, equal_state in order:
            if propagate_precision(env, equal_state, be_state):
                changed = True
        if not changed:
            return


def propagate_precision(env, old: State, cur: State) -> bool:
    """Mark in ``cur``'s history what is precise in ``old``; returns whether
    anything new became precise."""
    bt = Backtrack(cur.curframe)
    any_set = False
    for fr in range(old.curframe, -1, -1):
        f = old.frames[fr]
        names = []
        for i in range(10):
            r = f.regs[i]
            if r.type == T.SCALAR and r.precise:
                bt.reg_masks[fr] |= 1 << i
                names.append(f"r{i}")
        for spi, slot in enumerate(f.stack):
            if slot.types[7] == STACK_SPILL and slot.spilled.type == T.SCALAR and slot.spilled.precise:
                bt.stack_masks[fr] |= 1 << spi
                names.append(f"fp{(-spi - 1) * 8}")
        for k, r in enumerate(f.stack_arg_regs):
            # precise outgoing stack-argument slots (not named in the log)
            if r.type == T.SCALAR and r.precise:
                bt.sa_masks[fr] |= 1 << k
                any_set = True
        if names:
            any_set = True
            if env.log.level2:
                env.log.line(f"frame {fr}: propagating " + ",".join(names))
    if not any_set:
        return False
    return mark_chain_precision_batch(env, cur, bt)


# --- the state cache ---------------------------------------------------------------

class StateEntry:
    """kernel: bpf_verifier_state_list."""
    __slots__ = ("state", "hit_cnt", "miss_cnt", "in_free_list")

    def __init__(self, state: State):
        self.state = state
        self.hit_cnt = 0
        self.miss_cnt = 0
        self.in_free_list = False


def _bucket(env, st: State, insn_idx: int) -> int:
    """kernel: explored_state() - lists are hashed by (insn ^ callsite of the
    current frame), so states reached from different call sites of a
    subprogram live (mostly) in different lists."""
    callsite = st.frames[st.curframe].callsite
    return ((insn_idx ^ callsite) & 0xFFFFFFFF) % env.n


def find_prev_entry(env, cur: State, insn_idx: int):
    for e in env.explored.get(_bucket(env, cur, insn_idx), ()):
        st = e.state
        if (st.insn_idx == insn_idx and st.branches and same_callsites(st, cur)
                and st.dfs_depth < cur.dfs_depth):
            return st
    return None


def _maybe_widen(rold: Reg, rcur: Reg, idmap: IdMap):
    if rold.type != T.SCALAR or rold.type != rcur.type:
        return None
    if rold.precise or rcur.precise or regs_exact(rold, rcur, idmap):
        return None
    return UNKNOWN_SCALAR


def widen_imprecise_scalars(env, old: State, cur: State) -> None:
    idmap = IdMap()
    for fr in range(old.curframe, -1, -1):
        fo, fc = old.frames[fr], cur.frames[fr]
        for i in range(11):
            w = _maybe_widen(fo.regs[i], fc.regs[i], idmap)
            if w is not None:
                fc.regs[i] = w
        for spi in range(min(len(fo.stack), len(fc.stack))):
            so, sc = fo.stack[spi], fc.stack[spi]
            if so.types[7] != STACK_SPILL or sc.types[7] != STACK_SPILL:
                continue
            w = _maybe_widen(so.spilled, sc.spilled, idmap)
            if w is not None:
                fc.stack[spi] = Slot(sc.types, w)


def _update_peak(env) -> None:
    # states held as SCC backedges count too (kernel: update_peak_states)
    cur = env.explored_states_size + len(env.free_list) + env.num_backedges
    if cur > env.peak_states:
        env.peak_states = cur


def iter_next_hit(env, old: State, cur: State) -> bool:
    """is_state_visited at an iter_next() call (kernel: the KF_ITER_NEXT branch):
    the loop converged when the states match and the iterator is ACTIVE."""
    if not states_equal(env, old, cur, RANGE_WITHIN):
        return False
    r1 = cur.frames[cur.curframe].regs[1]
    if r1.type != T.PTR_TO_STACK or r1.s.var_off.mask:
        return False
    off = r1.off + r1.s.var_off.value
    if off >= 0 or off % 8:
        return False
    f = cur.frames[r1.frameno]
    spi = (-off - 1) // 8
    if spi >= len(f.stack):
        return False
    return f.stack[spi].spilled.range == ITER_ACTIVE


def iter_active_depths_differ(old: State, cur: State) -> bool:
    """kernel: iter_active_depths_differ - an ACTIVE iterator of ``old`` is at another
    depth in ``cur``: the path went around an iterator loop, which is no infinite loop."""
    for fr in range(old.curframe, -1, -1):
        cf = cur.frames[fr]
        for i, slot in enumerate(old.frames[fr].stack):
            if slot.types[0] != STACK_ITER or slot.spilled.range != ITER_ACTIVE:
                continue
            if i >= len(cf.stack) or cf.stack[i].spilled.mem_size != slot.spilled.mem_size:
                return True
    return False


def is_state_visited(env, insn_idx: int) -> bool:
    """Returns True when the current state is covered (prune the path)."""
    cur = env.cur
    # _bucket, inlined (this runs at every prune point)
    key = ((insn_idx ^ cur.frames[cur.curframe].callsite) & 0xFFFFFFFF) % env.n
    entries = env.explored.get(key)
    aux = env.aux.get(insn_idx, NO_FACTS)      # (read only: no InsnAux made)
    if not entries:
        # nothing stored in this bucket yet (the common case): a miss, and states_cnt
        # stays 0 (max_states_per_insn unchanged); a new state where add_new (below)
        if ((env.jmps_processed - env.prev_jmps_processed >= 2
             and env.insn_processed - env.prev_insn_processed >= 8)
                or env.test_state_freq or aux.force_checkpoint or len(cur.jmp_history) > 40):
            return _add_state(env, cur, insn_idx, entries, key)
        return False
    force_new = env.test_state_freq or aux.force_checkpoint or len(cur.jmp_history) > 40
    add_new = force_new
    if (env.jmps_processed - env.prev_jmps_processed >= 2
            and env.insn_processed - env.prev_insn_processed >= 8):
        add_new = True
    _clean_live_states(env, insn_idx, cur, entries)
    # what the loop below asks of the instruction and the current frame, once
    is_iter_next = aux.is_iter_next
    is_may_goto = env.insns[insn_idx].code == 0xE5
    calls_callback = aux.calls_callback
    cur_frame = cur.frames[cur.curframe]
    states_cnt = 0
    i = 0
    while i < len(entries):
        e = entries[i]
        states_cnt += 1
        sl = e.state
        if sl.insn_idx != insn_idx:      # another instruction sharing the hash bucket
            i += 1
            continue
        removed = False
        hit = False
        loop = False
        if sl.branches:
            f_old = sl.frames[sl.curframe]
            skip_loop_check = False
            if (f_old.in_async_callback_fn
                    and f_old.async_entry_cnt != cur_frame.async_entry_cnt):
                skip_loop_check = True
            elif is_iter_next:
                if iter_next_hit(env, sl, cur):
                    hit = loop = True
                skip_loop_check = True
            elif is_may_goto and (
                    sl.may_goto_depth != cur.may_goto_depth
                    and states_equal(env, sl, cur, RANGE_WITHIN)):     # may_goto
                hit = loop = True
            elif calls_callback:
                if states_equal(env, sl, cur, RANGE_WITHIN):
                    hit = True
                skip_loop_check = True
            if not hit and not skip_loop_check:
                if (states_maybe_looping(sl, cur) and states_equal(env, sl, cur, EXACT)
                        and not iter_active_depths_differ(sl, cur)
                        and sl.may_goto_depth == cur.may_goto_depth
                        and sl.callback_unroll_depth == cur.callback_unroll_depth):
                    raise _inf_loop(env, insn_idx, sl, cur)
            if not hit:
                if (not force_new and env.jmps_processed - env.prev_jmps_processed < 20
                        and env.insn_processed - env.prev_insn_processed < 100):
                    add_new = False
        else:
            loop = _incomplete_read_marks(env, sl)
            if states_equal(env, sl, cur, RANGE_WITHIN if loop else NOT_EXACT):
                hit = True
        if hit:
            e.hit_cnt += 1
            if env.jmp_point[insn_idx]:
                push_jmp_history(env, cur, 0)
            propagate_precision(env, sl, cur)
            if loop:
                be = cur.copy()
                be.insn_idx = insn_idx
                key = _scc_key(env, sl)
                v = env.scc_info.get(key) if key else None
                if v is not None:
                    v.backedges.append((be, sl))
                    env.num_backedges += 1
                    _update_peak(env)
                    if env.log.level2:
                        env.log.line("SCC backedge (" + ",".join(
                            str(c) for c in key[0] + (key[1],)) + ")")
            return True      # (the kernel updates max_states_per_insn only on a miss)
        # miss
        if add_new:
            e.miss_cnt += 1
        n = 64 if (aux.force_checkpoint and sl.branches > 0) else 3
        if e.miss_cnt > e.hit_cnt * n + n:
            del entries[i]
            e.in_free_list = True
            env.explored_states_size -= 1
            if sl.branches:
                env.free_list.append(e)
            removed = True
        if not removed:
            i += 1
    if env.max_states_per_insn < states_cnt:
        env.max_states_per_insn = states_cnt
    if not add_new:
        return False
    return _add_state(env, cur, insn_idx, entries, key)


def _add_state(env, cur: State, insn_idx: int, entries, key: int) -> bool:
    """The miss path of is_state_visited that stores a checkpoint: a copy of the
    current state heads its bucket (``entries``, None when the bucket is new) and
    becomes the current state's parent.  Returns False (not pruned)."""
    env.total_states += 1
    env.explored_states_size += 1
    # _update_peak, inlined
    peak = env.explored_states_size + len(env.free_list) + env.num_backedges
    if peak > env.peak_states:
        env.peak_states = peak
    env.prev_jmps_processed = env.jmps_processed
    env.prev_insn_processed = env.insn_processed
    if env.bpf_capable:
        mark_all_scalars_imprecise(cur)
    new = cur.copy()
    new.insn_idx = insn_idx
    new.branches = 1
    new.cleaned = False
    cur.parent = new
    cur.first_insn_idx = insn_idx
    cur.dfs_depth = new.dfs_depth + 1
    cur.jmp_history = []
    # StateEntry(new), built without a call of __init__
    e = _new(StateEntry)
    e.state = new
    e.hit_cnt = 0
    e.miss_cnt = 0
    e.in_free_list = False
    if entries is None:
        env.explored[key] = [e]
    else:
        entries.insert(0, e)
    if new.curframe or env.aux.get(insn_idx, NO_FACTS).scc:
        maybe_enter_scc(env, new)       # (one frame outside any SCC: no visit to enter)
    return False


def _inf_loop(env, insn_idx: int, old: State, cur: State) -> VerifierError:
    post = ("cur state:" + format_frame(cur, cur.curframe),
            "old state:" + format_frame(old, cur.curframe))
    return VerifierError(f"infinite loop detected at insn {insn_idx}", EINVAL, insn=insn_idx,
                         post=post)


def update_branch_counts(env, st: State) -> None:
    while st is not None:
        st.branches -= 1
        if st.branches:
            break
        if env.scc_info:                # (no SCC visit entered: nothing to exit)
            maybe_exit_scc(env, st)
        st = st.parent
