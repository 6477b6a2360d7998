"""State pruning: stop exploring a path whose state is covered by one already
verified safe at the same instruction (kernel: is_state_visited).

At each prune point the current state is compared with the states recorded
there.  ``states_equal`` asks: is every value the old (safe) state relied on
at least as constrained now?  Registers and stack slots that are dead at the
instruction are ignored (:mod:`verifier.liveness`); scalars only matter if
they were marked precise (:mod:`verifier.precision`) unless the loop
machinery demands range comparison; pointers must match in type, offset and
ranges; ids must map one-to-one (:class:`IdMap`).  Packet ranges, map value
bounds, references and stack-argument slots are all part of the comparison.

Also here: the loop heuristics of the kernel (states still on the DFS path
cannot prune but can prove an infinite loop, checkpoint frequency, eviction
of states that keep missing), strongly-connected-component visits that make
comparisons conservative while a loop is still being explored, and
``widen_imprecise_scalars`` for callback and iterator loops, and the
convergence test of open-coded iterators (:func:`iter_next_hit`).
"""

from __future__ import annotations

from verifier import regtypes as T
from verifier.errors import EINVAL, VerifierError
from verifier.log import format_frame
from verifier.precision import (Backtrack, mark_all_scalars_imprecise, mark_all_scalars_precise,
                                mark_chain_precision_batch)
from verifier.refs import refsafe
from verifier.scalar import Scalar
from verifier.state import (BPF_ADD_CONST, BPF_REG_SIZE, ITER_ACTIVE, NOT_INIT_REG, STACK_DYNPTR,
                            STACK_INVALID, STACK_ITER, STACK_MISC, STACK_SPILL, STACK_ZERO,
                            UNKNOWN_SCALAR, Reg, Slot, State)
from verifier.tnum import tnum_in
from verifier.worklist import push_jmp_history

NOT_EXACT, EXACT, RANGE_WITHIN = 0, 1, 2
_UNBOUND = UNKNOWN_SCALAR


class IdMap:
    """kernel: bpf_idmap - old id -> cur id, one-to-one."""
    __slots__ = ("old2cur", "cur2old", "tmp")

    def __init__(self):
        self.old2cur: dict[int, int] = {}
        self.cur2old: dict[int, int] = {}
        self.tmp = 0

    def check_ids(self, old_id: int, cur_id: int) -> bool:
        if bool(old_id) != bool(cur_id):
            return False
        if not old_id:
            return True
        c = self.old2cur.get(old_id)
        if c is not None:
            return c == cur_id
        if cur_id in self.cur2old:
            return False
        self.old2cur[old_id] = cur_id
        self.cur2old[cur_id] = old_id
        return True

    def check_scalar_ids(self, old_id: int, cur_id: int) -> bool:
        """An old scalar without id relied on no link: any cur id is fine.  An
        old id needs a consistent partner; a cur scalar without id gets a unique
        temporary one (two independent cur scalars cannot stand for one old
        link).  For an id with a delta flag the base ids must map consistently
        too (old r3 = r2 + 10 is not cur r3 = r4 + 10)."""
        if not old_id:
            return True
        if not cur_id:
            self.tmp += 1
            cur_id = -self.tmp
        if not self.check_ids(old_id, cur_id):
            return False
        if old_id & BPF_ADD_CONST:
            base_cur = cur_id & ~BPF_ADD_CONST if cur_id > 0 else cur_id
            if not self.check_ids(old_id & ~BPF_ADD_CONST, base_cur):
                return False
        return True


def _range_within(o: Scalar, c: Scalar) -> bool:
    return (o.umin <= c.umin and o.umax >= c.umax and o.smin <= c.smin and o.smax >= c.smax
            and o.u32_min <= c.u32_min and o.u32_max >= c.u32_max
            and o.s32_min <= c.s32_min and o.s32_max >= c.s32_max)


def _raw_equal(a: Reg, b: Reg) -> bool:
    """memcmp up to var_off: type, off and the type-specific union."""
    return (a.type == b.type and a.off == b.off and a.map is b.map and a.range == b.range
            and a.mem_size == b.mem_size and a.btf_name == b.btf_name
            and a.subprogno == b.subprogno)


def regs_exact(a: Reg, b: Reg, idmap: IdMap) -> bool:
    return (_raw_equal(a, b) and a.s == b.s and idmap.check_ids(a.id, b.id)
            and idmap.check_ids(a.ref_obj_id, b.ref_obj_id))


def regsafe(rold: Reg, rcur: Reg, idmap: IdMap, exact: int) -> bool:
    if exact == EXACT:
        return regs_exact(rold, rcur, idmap)
    if rold.type == T.NOT_INIT:
        return True
    if rold.type != rcur.type:
        return False
    b = T.base(rold.type)
    if b == T.SCALAR:
        if not rold.precise and exact == NOT_EXACT:
            return True
        if rold.id and (rold.id & BPF_ADD_CONST) != (rcur.id & BPF_ADD_CONST):
            return False
        if rold.id & BPF_ADD_CONST and rold.off != rcur.off:
            return False
        return (_range_within(rold.s, rcur.s) and tnum_in(rold.s.var_off, rcur.s.var_off)
                and idmap.check_scalar_ids(rold.id, rcur.id))
    if b in (T.PTR_TO_MAP_KEY, T.PTR_TO_MAP_VALUE, T.PTR_TO_MEM, T.PTR_TO_BUF,
             T.PTR_TO_TP_BUFFER):
        return (_raw_equal(rold, rcur) and _range_within(rold.s, rcur.s)
                and tnum_in(rold.s.var_off, rcur.s.var_off)
                and idmap.check_ids(rold.id, rcur.id)
                and idmap.check_ids(rold.ref_obj_id, rcur.ref_obj_id))
    if b in (T.PTR_TO_PACKET_META, T.PTR_TO_PACKET):
        if rold.range < 0 or rcur.range < 0:
            if rold.range != rcur.range:
                return False
        elif rold.range > rcur.range:
            return False
        if rold.off != rcur.off:
            return False
        if not idmap.check_ids(rold.id, rcur.id):
            return False
        return _range_within(rold.s, rcur.s) and tnum_in(rold.s.var_off, rcur.s.var_off)
    if b == T.PTR_TO_STACK:
        return regs_exact(rold, rcur, idmap) and rold.frameno == rcur.frameno
    if b == T.PTR_TO_ARENA:
        return True
    return regs_exact(rold, rcur, idmap)


def _is_spilled_scalar64(slot: Slot) -> bool:
    return slot.types[0] == STACK_SPILL and slot.spilled.type == T.SCALAR


def _all_misc(slot: Slot) -> bool:
    for t in slot.types:
        if t != STACK_MISC and t != STACK_INVALID:
            return False
    return True


def _scalar_reg_for_stack(slot: Slot):
    if _is_spilled_scalar64(slot):
        return slot.spilled
    if _all_misc(slot):
        return _UNBOUND
    return None


def stacksafe(old, cur, idmap: IdMap, exact: int) -> bool:
    ostack = old.stack
    cstack = cur.stack
    nold = len(ostack)
    ncur = len(cstack)
    for spi in range(nold):
        oslot = ostack[spi]
        otypes = oslot.types
        if exact != EXACT and otypes == (STACK_INVALID,) * 8:
            continue
        cslot = cstack[spi] if spi < ncur else None
        for j in range(BPF_REG_SIZE):
            ot = otypes[j]
            if exact == EXACT and (cslot is None or ot != cslot.types[j]):
                return False
            if ot == STACK_INVALID:
                continue
            if ot == STACK_MISC:       # allow_uninit_stack
                continue
            if cslot is None:
                return False
            o_reg = _scalar_reg_for_stack(oslot)
            c_reg = _scalar_reg_for_stack(cslot)
            if o_reg is not None and c_reg is not None:
                if not regsafe(o_reg, c_reg, idmap, exact):
                    return False
                break
            ct = cslot.types[j]
            if ot == STACK_MISC and ct == STACK_ZERO:
                continue
            if ot != ct:
                return False
            if j != BPF_REG_SIZE - 1:
                continue
            last = otypes[BPF_REG_SIZE - 1]
            if last == STACK_SPILL:
                if not regsafe(oslot.spilled, cslot.spilled, idmap, exact):
                    return False
            elif last in (STACK_MISC, STACK_ZERO, STACK_INVALID):
                continue
            elif last in (STACK_DYNPTR, STACK_ITER):
                # dynptr / iterator objects (verifier.kfunc_args): same kind,
                # slot role and state; the iterator depth is not compared
                o, c = oslot.spilled, cslot.spilled
                if (o.type != c.type or o.btf_name != c.btf_name or o.off != c.off
                        or o.range != c.range or not idmap.check_ids(o.id, c.id)
                        or not idmap.check_ids(o.ref_obj_id, c.ref_obj_id)):
                    return False
            else:
                return False
    return True


def stack_arg_safe(old, cur, idmap: IdMap, exact: int, has_incoming: bool = True) -> bool:
    """Outgoing stack-argument slots compare like registers; a missing slot is
    NOT_INIT.  The load-order flag only matters to a frame that has incoming
    stack arguments (nothing to load otherwise)."""
    oa, ca = old.stack_arg_regs, cur.stack_arg_regs
    n = max(len(oa), len(ca))
    for k in range(n):
        o = oa[k] if k < len(oa) and oa[k] is not None else NOT_INIT_REG
        c = ca[k] if k < len(ca) and ca[k] is not None else NOT_INIT_REG
        if not regsafe(o, c, idmap, exact):
            return False
    if has_incoming and cur.no_stack_arg_load and not old.no_stack_arg_load:
        return False
    return True


def frame_insn_idx(st: State, fr: int) -> int:
    return st.insn_idx if fr == st.curframe else st.frames[fr + 1].callsite


def func_states_equal(env, old, cur, insn_idx: int, idmap: IdMap, exact: int) -> bool:
    live = env.aux[insn_idx].live_regs_before
    if old.callback_depth > cur.callback_depth:
        return False
    oregs, cregs = old.regs, cur.regs
    for i in range(11):
        if live >> i & 1 and not regsafe(oregs[i], cregs[i], idmap, exact):
            return False
    if not stacksafe(old, cur, idmap, exact):
        return False
    if old.stack_arg_regs or cur.stack_arg_regs or old.no_stack_arg_load or cur.no_stack_arg_load:
        incoming = env.subprogs[cur.subprogno].stack_arg_cnt > 0 if env.subprogs else True
        if not stack_arg_safe(old, cur, idmap, exact, incoming):
            return False
    return True


def states_equal(env, old: State, cur: State, exact: int) -> bool:
    if old.curframe != cur.curframe:
        return False
    idmap = IdMap()
    if old.in_sleepable != cur.in_sleepable:
        return False
    if not refsafe(old, cur, idmap):
        return False
    for i in range(old.curframe + 1):
        if old.frames[i].callsite != cur.frames[i].callsite:
            return False
        if not func_states_equal(env, old.frames[i], cur.frames[i], frame_insn_idx(old, i),
                                 idmap, exact):
            return False
    return True


def _same_callsites(a: State, b: State) -> bool:
    if a.curframe != b.curframe:
        return False
    for fr in range(a.curframe, -1, -1):
        if a.frames[fr].callsite != b.frames[fr].callsite:
            return False
    return True


def states_maybe_looping(old: State, cur: State) -> bool:
    fr = cur.curframe
    if old.curframe != fr:
        return False
    fo, fc = old.frames[fr].regs, cur.frames[fr].regs
    for i in range(11):
        a, b = fo[i], fc[i]
        if a is b:
            continue
        if not (_raw_equal(a, b) and a.s == b.s and a.id == b.id and a.ref_obj_id == b.ref_obj_id):
            return False
    return True


# --- cleaning dead registers/slots ----------------------------------------------

def clean_verifier_state(env, st: State) -> None:
    st.cleaned = True
    lv = env.liveness
    for fr in range(st.curframe + 1):
        f = st.frames[fr]
        ip = frame_insn_idx(st, fr)
        live = env.aux[ip].live_regs_before
        regs = f.regs
        for i in range(10):
            if not live >> i & 1 and regs[i].type != T.NOT_INIT:
                regs[i] = NOT_INIT_REG
        if lv is not None:
            stack = f.stack
            for spi in range(len(stack)):
                if stack[spi].types != (STACK_INVALID,) * 8 and not lv.slot_alive(env, st, fr,
                                                                                     spi):
                    stack[spi] = Slot((STACK_INVALID,) * 8, NOT_INIT_REG)


def _clean_live_states(env, insn_idx: int, cur: State, entries) -> None:
    for e in entries:
        s = e.state
        if s.branches or s.insn_idx != insn_idx or s.cleaned:
            continue
        if not _same_callsites(s, cur):
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
    scc = env.aux[st.insn_idx].scc
    if not scc:
        return None
    return (st.callchain(), scc)


def _incomplete_read_marks(env, st: State) -> bool:
    """Marks may be incomplete for states of an SCC visit that recorded
    backedges (iterator / may_goto convergence) and has not been exited."""
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
        if (st.insn_idx == insn_idx and st.branches and _same_callsites(st, cur)
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


def is_state_visited(env, insn_idx: int) -> bool:
    """Returns True when the current state is covered (prune the path)."""
    cur = env.cur
    aux = env.aux[insn_idx]
    force_new = env.test_state_freq or aux.force_checkpoint or len(cur.jmp_history) > 40
    add_new = force_new
    if (env.jmps_processed - env.prev_jmps_processed >= 2
            and env.insn_processed - env.prev_insn_processed >= 8):
        add_new = True
    key = _bucket(env, cur, insn_idx)
    entries = env.explored.get(key)
    if entries is None:
        entries = env.explored[key] = []
    _clean_live_states(env, insn_idx, cur, entries)
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
                    and f_old.async_entry_cnt != cur.frames[cur.curframe].async_entry_cnt):
                skip_loop_check = True
            elif aux.is_iter_next:
                if iter_next_hit(env, sl, cur):
                    hit = loop = True
                skip_loop_check = True
            elif env.insns[insn_idx].code == 0xE5 and (
                    sl.may_goto_depth != cur.may_goto_depth
                    and states_equal(env, sl, cur, RANGE_WITHIN)):     # may_goto
                hit = loop = True
            elif aux.calls_callback:
                if states_equal(env, sl, cur, RANGE_WITHIN):
                    hit = True
                skip_loop_check = True
            if not hit and not skip_loop_check:
                if (states_maybe_looping(sl, cur) and states_equal(env, sl, cur, EXACT)
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
            if aux.jmp_point:
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
    env.total_states += 1
    env.explored_states_size += 1
    _update_peak(env)
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
    entries.insert(0, StateEntry(new))
    maybe_enter_scc(env, new)
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
        maybe_exit_scc(env, st)
        st = st.parent
