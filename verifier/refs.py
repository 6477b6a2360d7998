"""Reference tracking: objects the program must release (sockets, ring-buffer records).

An acquiring helper (``bpf_sk_lookup_tcp``, ``bpf_ringbuf_reserve``...) gets
a fresh id recorded in the state's ``refs`` with the instruction that
allocated it; the returned register carries ``ref_obj_id``.  A release
(``bpf_sk_release``, ``bpf_ringbuf_submit``...) drops the record and turns
every register or spilled slot holding that object into an unknown scalar,
so a use after release fails as ``R6 invalid mem access 'scalar'``.  At
program exit any record left is a leak (``Unreleased reference id=2
alloc_insn=7``).

Stack-argument seam: :func:`for_each_reg` also visits each frame's outgoing
``stack_arg_regs``, so releases and packet invalidation reach copies held
in stack-argument slots exactly as they reach registers.
"""

from __future__ import annotations

from verifier import regtypes as T
from verifier.errors import EINVAL, VerifierError
from verifier.state import UNKNOWN_SCALAR, Ref, Reg, Slot, State


def for_each_reg(st: State, fn, rid: int | None = None, field: str = "id") -> None:
    """Call ``fn(reg) -> Reg | None`` on every register, spilled register
    and stack-argument slot of every frame; a returned Reg replaces it.  With ``rid``
    only the registers whose ``id`` (what NULL checks and packet-range checks look
    for; ``field`` "ref_obj_id": the object a release drops) is ``rid`` are visited
    (``fn`` changes only what it returns)."""
    if field != "id" and field != "ref_obj_id":
        raise KeyError(field)
    by_ref = field == "ref_obj_id"
    for f in st.frames:         # (a state holds its frames up to the current one: all)
        regs = f.regs
        stack = f.stack
        if rid is None:
            for i in range(11):
                new = fn(regs[i])
                if new is not None:
                    regs[i] = new
            for spi in range(len(stack)):
                slot = stack[spi]
                if slot.types[7] == 1:          # STACK_SPILL
                    new = fn(slot.spilled)
                    if new is not None:
                        stack[spi] = Slot(slot.types, new)
        else:
            # (plain loops: on this interpreter reading the fields through
            # list(map(attrgetter(...), ...)) costs more than the bytecodes it saves)
            for i in range(11):
                r = regs[i]
                if (r.ref_obj_id if by_ref else r.id) == rid:
                    new = fn(r)
                    if new is not None:
                        regs[i] = new
            for spi in range(len(stack)):
                slot = stack[spi]
                r = slot.spilled
                if (r.ref_obj_id if by_ref else r.id) == rid and slot.types[7] == 1:
                    new = fn(r)                 # (STACK_SPILL)
                    if new is not None:
                        stack[spi] = Slot(slot.types, new)
        sa = f.stack_arg_regs
        if sa:
            for k in range(len(sa)):
                r = sa[k]
                if r is not None and (rid is None
                                      or (r.ref_obj_id if by_ref else r.id) == rid):
                    new = fn(r)
                    if new is not None:
                        sa[k] = new


def acquire_reference(env, insn_idx: int, kind: str = "ptr") -> int:
    rid = env.new_id()
    env.cur.refs.append(Ref(rid, insn_idx, kind))
    return rid


def release_reference_nomark(st: State, ref_obj_id: int) -> bool:
    for i, r in enumerate(st.refs):
        if r.id == ref_obj_id:
            del st.refs[i]
            return True
    return False


def release_reference(env, ref_obj_id: int) -> bool:
    """Drop the record and invalidate every copy of the object."""
    st = env.cur
    if not release_reference_nomark(st, ref_obj_id):
        return False

    def inv(r: Reg):
        return UNKNOWN_SCALAR
    for_each_reg(st, inv, ref_obj_id, "ref_obj_id")
    return True


_BASE_MASK, _MEM, _PKT_END = T.BASE_MASK, T.PTR_TO_MEM, T.PTR_TO_PACKET_END
_PKT, _PKT_META = T.PTR_TO_PACKET, T.PTR_TO_PACKET_META
# kinds of dynptr whose slices point into the packet (verifier.dynptr)
PKT_DYNPTR_KINDS = frozenset({"skb", "xdp", "skb_meta"})


def is_pkt_slice(r: Reg) -> bool:
    """kernel: reg_is_dynptr_slice_pkt - a slice of an skb/xdp dynptr."""
    return T.base(r.type) == T.PTR_TO_MEM and r.btf_name in PKT_DYNPTR_KINDS


def clear_all_pkt_pointers(env) -> None:
    """After a helper that may move packet data: every packet pointer dies, and every
    slice of an skb/xdp dynptr."""
    def inv(r: Reg):
        # T.is_pkt_pointer, the packet end, or is_pkt_slice: tested without their calls
        # (this runs for every register and slot of the state)
        t = r.type
        b = t & _BASE_MASK
        if (b == _PKT or b == _PKT_META or t == _PKT_END
                or (b == _MEM and r.btf_name in PKT_DYNPTR_KINDS)):
            return UNKNOWN_SCALAR
        return None
    for_each_reg(env.cur, inv)


def check_reference_leak(env, exception_exit: bool) -> list[str]:
    st = env.cur
    if not exception_exit and st.frames[st.curframe].frameno:
        return []
    lines = []
    for r in st.refs:
        if r.kind != "ptr":
            continue
        lines.append(f"Unreleased reference id={r.id} alloc_insn={r.insn_idx}")
    return lines


def check_resource_leak(env, exception_exit: bool, check_lock: bool, prefix: str) -> None:
    st = env.cur
    if check_lock and st.active_locks:
        raise VerifierError(f"{prefix} cannot be used inside bpf_spin_lock-ed region", EINVAL)
    lines = check_reference_leak(env, exception_exit)
    if lines:
        raise VerifierError(f"{prefix} would lead to reference leak", EINVAL, tuple(lines))
    if check_lock and st.active_rcu_lock:
        raise VerifierError(f"{prefix} cannot be used inside bpf_rcu_read_lock-ed region",
                            EINVAL)
    if check_lock and st.active_preempt_locks:
        raise VerifierError(f"{prefix} cannot be used inside bpf_preempt_disable-ed region",
                            EINVAL)


def refsafe(old: State, cur: State, idmap) -> bool:
    """kernel: refsafe - same references (modulo id renaming)."""
    if len(old.refs) != len(cur.refs):
        return False
    if old.active_locks != cur.active_locks or old.active_rcu_lock != cur.active_rcu_lock:
        return False
    if old.active_preempt_locks != cur.active_preempt_locks:
        return False
    for a, b in zip(old.refs, cur.refs):
        if not idmap.check_ids(a.id, b.id):
            return False
        if a.kind != b.kind:
            return False
        if a.kind == "lock" and a.ptr is not b.ptr:      # the lock's map or the program BTF
            return False
    return True


__all__ = ["acquire_reference", "release_reference", "release_reference_nomark",
           "clear_all_pkt_pointers", "check_resource_leak", "for_each_reg", "refsafe",
           "UNKNOWN_SCALAR"]
