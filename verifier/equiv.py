"""State comparison: is the current state covered by one already verified safe?

``states_equal`` (kernel: states_equal and its helpers regsafe, stacksafe,
refsafe) asks whether every value the old (safe) state relied on is at least
as constrained now.  Registers and stack slots that are dead at the
instruction are ignored (:mod:`verifier.liveness`); scalars only matter if
they were marked precise (:mod:`verifier.precision`) unless the loop
machinery demands range comparison (``RANGE_WITHIN``) or an exact match
(``EXACT``, infinite-loop detection); pointers must match in type, offset and
ranges; ids must map one-to-one (:class:`IdMap`).  Packet ranges, map value
bounds, references and stack-argument slots are all part of the comparison.
The state cache that asks these questions is :mod:`verifier.prune`.
"""

from __future__ import annotations

from verifier import regtypes as T
from verifier.refs import refsafe
from verifier.scalar import Scalar
from verifier.state import (BPF_ADD_CONST, BPF_REG_SIZE, INVALID_TYPES, NOT_INIT_REG, STACK_DYNPTR,
                            STACK_INVALID, STACK_ITER, STACK_MISC, STACK_SPILL, STACK_ZERO,
                            UNKNOWN_SCALAR, Reg, Slot, State)
from verifier.tnum import tnum_in

NOT_EXACT, EXACT, RANGE_WITHIN = 0, 1, 2
_UNBOUND = UNKNOWN_SCALAR
_NOT_INIT, _SCALAR, _BASE_MASK = T.NOT_INIT, T.SCALAR, T.BASE_MASK
# live mask -> the registers r0-r10 in it, in order: filled as masks turn up (per process)
_LIVE_REGS: dict[int, tuple[int, ...]] = {}


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
            and a.btf is b.btf and a.btf_id == b.btf_id and a.subprogno == b.subprogno
            and a.dynptr_id == b.dynptr_id)


def regs_exact(a: Reg, b: Reg, idmap: IdMap) -> bool:
    return (_raw_equal(a, b) and a.s == b.s and idmap.check_ids(a.id, b.id)
            and idmap.check_ids(a.ref_obj_id, b.ref_obj_id))


def regsafe(rold: Reg, rcur: Reg, idmap: IdMap, exact: int) -> bool:
    if exact == EXACT:
        return regs_exact(rold, rcur, idmap)
    t = rold.type
    if t == _NOT_INIT:
        return True
    if t != rcur.type:
        return False
    b = t & _BASE_MASK       # T.base
    if b == _SCALAR:
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
        if exact != EXACT and otypes == INVALID_TYPES:
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
    live = env.live_regs_before[insn_idx]
    if old.callback_depth > cur.callback_depth:
        return False
    oregs, cregs = old.regs, cur.regs
    regnos = _LIVE_REGS.get(live)
    if regnos is None:
        regnos = _LIVE_REGS[live] = tuple(i for i in range(11) if live >> i & 1)
    for i in regnos:
        if not regsafe(oregs[i], cregs[i], idmap, exact):
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


def same_callsites(a: State, b: State) -> bool:
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
        # (the scalar part first: in a loop the counter differs there)
        if not (a.s == b.s and _raw_equal(a, b) and a.id == b.id
                and a.ref_obj_id == b.ref_obj_id):
            return False
    return True
