"""kfunc calls: resolution against the kernel BTF, the call's effects, iterators.

The verifier is given the kernel side as plain data (it never imports the
mock kernel): ``inp.kernel_btf`` is a :class:`btf.kernel.KernelBtf` (kernel
BTF plus each kfunc's ``KF_*`` flags), ``inp.kfunc_prog_types`` maps a kfunc
name to the program types its id set is registered for (``"unspec"`` = all;
an empty mapping restricts nothing).  A call instruction's ``imm`` is the
kfunc's FUNC id in that BTF (what libbpf writes after resolving the
``.ksyms`` extern); ``inp.kfuncs`` may also name the kfunc of a call site.

At a call (kernel: check_kfunc_call): every argument is checked against the
kernel prototype (:mod:`verifier.kfunc_args`, registers and stack slots
alike), a ``KF_RELEASE`` kfunc releases its object (every copy - registers,
spills, stack-argument slots, all frames - becomes unusable), R0-R5 are
clobbered, R0 gets the return type (``KF_ACQUIRE`` -> a new reference,
``KF_RET_NULL`` -> must be NULL-checked), the outgoing stack-argument slots
die, and ``KF_ITER_NEXT`` forks the open-coded iterator loop (whose
convergence test is :func:`verifier.prune.iter_next_hit`).  Loads through the
returned kernel pointers are :mod:`verifier.btf_access`.

Each verified call site's model (name, BTF id, argument sizes and slots)
ends up in ``Verdict.kfunc_calls`` for the JIT.
"""

from __future__ import annotations

from dataclasses import dataclass

from btf import layout as L
from btf.errors import BtfError
from isa.stack_args import MAX_REG_ARGS
from verifier import graph
from verifier import regtypes as T
from verifier.btf_access import btf_ptr, skip_mods
from verifier.call_args import reg_at
from verifier.calls import push_callback_call
from verifier.dynptr_slots import slice_reg
from verifier.env import Env
from verifier.errors import EACCES, EINVAL, ENOTSUPP, VerifierError
from verifier.exceptions import THROW, check_throw_call, throw_exit
from verifier.jumps import mark_ptr_not_null
from verifier.kfunc_args import CallMeta, check_kfunc_args
from verifier.prune import find_prev_entry, widen_imprecise_scalars
from verifier.rcu import kfunc_regions
from verifier.refs import acquire_reference, release_reference
from verifier.scalar import Scalar
from verifier.sleepable import in_sleepable
from verifier.stack_args import after_kfunc, check_outgoing
from verifier.state import ITER_ACTIVE, ITER_DRAINED, NOT_INIT_REG, UNKNOWN_SCALAR, Reg, Slot
from verifier.worklist import push_stack

ANY_PROG_TYPE = "unspec"
# kernel/bpf/btf.c bpf_prog_type_to_kfunc_hook: program types sharing one registration hook
# (a set registered for "tracing" serves tracepoint, perf_event and lsm programs too, one
# registered for "cgroup_skb" every cgroup program type)
KFUNC_HOOK = {"tracepoint": "tracing", "perf_event": "tracing", "lsm": "tracing",
              **{t: "cgroup_skb" for t in ("cgroup_sock", "cgroup_device", "cgroup_sock_addr",
                                           "cgroup_sockopt", "cgroup_sysctl")},
              **{t: "lwt_out" for t in ("lwt_in", "lwt_xmit", "lwt_seg6local")}}


def kfunc_hook(prog_type: str) -> str:
    return KFUNC_HOOK.get(prog_type, prog_type)
NO_BTF = "calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF"


@dataclass(frozen=True)
class KfuncDesc:
    """One resolved kfunc (kernel: bpf_kfunc_desc + the meta fetched for it)."""
    name: str
    btf_id: int
    proto: object            # btf.kfuncs.KfuncProto
    flags: frozenset
    allowed: bool

    def model(self) -> dict:
        m = self.proto.model
        return {"name": self.name, "btf_id": self.btf_id, "nr_args": m.nr_args,
                "arg_size": list(m.arg_size), "arg_flags": list(m.arg_flags),
                "ret_size": m.ret_size, "ret_flags": m.ret_flags,
                "arg_slots": [[s.name for s in slots] for slots in m.arg_slots],
                "nr_slots": m.nr_slots, "stack_arg_cnt": m.stack_arg_cnt,
                "flags": sorted(self.flags)}

    @property
    def reg_args(self) -> int:
        """Arguments passed in registers (what liveness counts as read by the call)."""
        return min(self.proto.model.nr_slots, MAX_REG_ARGS)


def _site_name(env: Env, idx: int) -> str | None:
    k = env.inp.kfuncs.get(idx) if env.inp.kfuncs else None
    if k is None:
        return None
    return k if isinstance(k, str) else getattr(k, "name", None)


# kfuncs whose set's filter admits only tracing iterators (kernel: tracing_iter_filter,
# net/core/filter.c)
_ITER_ONLY = frozenset({"bpf_sock_destroy"})


def add_kfunc(env: Env, idx: int, insn) -> None:
    """kernel: add_kfunc_call / fetch_kfunc_meta (from the CFG pass)."""
    if not env.inp.jit_requested:
        raise VerifierError("JIT is required for calling kernel function", ENOTSUPP)
    if not env.inp.gpl_compatible:
        raise VerifierError("cannot call kernel function from non-GPL compatible program",
                            EINVAL)
    kernel = env.inp.kernel_btf
    if kernel is None:
        raise VerifierError(NO_BTF, EINVAL)
    if insn.off != 0:
        raise VerifierError("kfunc offset > 0 without fd_array is invalid", EINVAL)
    kbtf = kernel.btf
    fn = None
    if insn.imm:
        try:
            fn = kbtf.type(insn.imm)
        except Exception:  # noqa: BLE001 - an id outside the BTF is just not a function
            fn = None
    else:
        name = _site_name(env, idx)
        fn = kernel.func(name) if name else None
    if fn is None or fn.kind != L.FUNC:
        raise VerifierError(f"kernel btf_id {insn.imm} is not a function", EINVAL)
    proto_t = kbtf.types[fn.type]
    if proto_t.kind != L.FUNC_PROTO:
        raise VerifierError(f"kernel function btf_id {fn.id} does not have a valid func_proto",
                            EINVAL)
    name = fn.name
    desc = env.kfunc_by_id.get(fn.id)
    if desc is None:
        flags = (kernel.kfunc_flags or {}).get(name)
        try:
            proto = kernel.kfunc(name)
        except BtfError as e:
            raise VerifierError(e.args[0] if e.args else str(e), EINVAL) from None
        types = env.inp.kfunc_prog_types
        allowed = flags is not None
        if allowed and types:
            pts = types.get(name)
            hook = kfunc_hook(env.prog_type)
            allowed = pts is not None and (ANY_PROG_TYPE in pts
                                           or any(kfunc_hook(t) == hook for t in pts))
        if allowed and name in _ITER_ONLY and env.inp.expected_attach_type != "trace_iter":
            allowed = False
        desc = KfuncDesc(name, fn.id, proto, frozenset(flags or ()), allowed)
        env.kfunc_by_id[fn.id] = desc
    env.kfunc_descs[idx] = desc
    aux = env.aux[idx]
    aux.kfunc = desc
    if name == "bpf_rbtree_add_impl":
        # kernel (check_cfg): a sync callback-calling kfunc is a loop point, like bpf_loop
        aux.calls_callback = aux.force_checkpoint = True
        env.prune_point[idx] = env.jmp_point[idx] = True
    if "KF_ITER_NEXT" in desc.flags:
        # kernel (check_cfg): a checkpoint at every iter_next() call
        aux.is_iter_next = True
        env.prune_point[idx] = True
        aux.force_checkpoint = True


def kfunc_call(env: Env, insn, idx: int) -> int | None:
    """kernel: check_kfunc_call - verify one kfunc call; returns the next insn (None:
    ``bpf_throw`` ended the path, :mod:`verifier.exceptions`)."""
    desc = env.kfunc_descs.get(idx)
    if desc is None:
        raise VerifierError(NO_BTF, EINVAL)
    name = desc.name
    if not desc.allowed:
        raise VerifierError(f"calling kernel function {name} is not allowed", EACCES)
    st = env.cur
    flags = desc.flags
    if "KF_SLEEPABLE" in flags and not in_sleepable(env):
        raise VerifierError(f"program must be sleepable to call sleepable kfunc {name}", EACCES)
    if "KF_RCU_PROTECTED" in flags and not st.active_rcu_lock:
        raise VerifierError(f"kernel func {name} requires RCU critical section protection",
                            EACCES)
    proto = desc.proto
    model = proto.model
    kbtf = env.inp.kernel_btf.btf
    meta = CallMeta(name, desc.btf_id, flags, kbtf)
    if name in ("bpf_dynptr_from_skb", "bpf_dynptr_from_skb_meta"):
        meta.dynptr_type = "skb"
    elif name == "bpf_dynptr_from_xdp":
        meta.dynptr_type = "xdp"
    # arguments 6.. travel in the outgoing slots: all of them written
    check_outgoing(env, st.cur, model.stack_arg_cnt, model.nr_args, True)
    check_kfunc_args(env, proto, meta, insn)
    if name == "bpf_rbtree_add_impl":
        # the 'less' callback is verified like bpf_loop's (kernel: push_callback_call)
        try:
            push_callback_call(env, insn, idx, meta.extra["subprogno"], graph.set_rbtree_add_cb)
        except VerifierError as e:
            raise VerifierError(f"kfunc {name}#{desc.btf_id} failed callback verification",
                                e.errno, (*e.lines, e.message)) from None
    kfunc_regions(env, name, "KF_SLEEPABLE" in flags)
    if meta.release_loc is not None:
        rid = reg_at(env, meta.release_loc).ref_obj_id
        if not release_reference(env, rid):
            raise VerifierError(f"kfunc {name}#{desc.btf_id} reference has not been acquired "
                                f"before", EINVAL)
    if name == THROW:
        check_throw_call(env)
    regs = env.regs
    for r in range(6):
        regs[r] = NOT_INIT_REG
        env.scratch_reg(r)
    regs[0] = _return_reg(env, desc, meta, idx)
    after_kfunc(env, model.stack_arg_cnt)
    env.kfunc_calls[idx] = desc.model()
    if "KF_ITER_NEXT" in flags:
        _iter_next(env, meta, idx)
    if name == THROW:
        throw_exit(env)
        return None             # the path ends: every frame unwinds
    return idx + 1


def _return_reg(env: Env, desc: KfuncDesc, meta: CallMeta, idx: int) -> Reg:
    kbtf = meta.kernel_btf
    proto = desc.proto
    flags = desc.flags
    # local objects and graphs (verifier.graph): one struct meta per call, a pushed node's
    # owning reference turned non-owning (R2 is gone by now: its ref_obj_id is in meta)
    graph.record_struct_meta(env, idx, desc.name, meta.extra.get("arg_type"))
    graph.after_args(env, meta, desc.name)
    if not proto.ret_type_id:
        return NOT_INIT_REG
    local = graph.return_reg(env, meta, desc.name)
    if local is not None:
        # local objects and graph nodes (verifier.graph), then KF_RET_NULL / KF_ACQUIRE
        ret_null = graph.ret_null(meta, desc.name, flags)
        if ret_null:
            local = local.with_(type=local.type | T.PTR_MAYBE_NULL, id=env.new_id())
        if "KF_ACQUIRE" in flags:
            rid = acquire_reference(env, idx)
            local = local.with_(ref_obj_id=rid, id=rid if ret_null else local.id)
        return graph.finish_return(env, desc.name, local)
    t = skip_mods(kbtf, proto.ret_type_id)
    if t.kind in (L.INT, L.ENUM, L.ENUM64):
        return UNKNOWN_SCALAR
    if t.kind != L.PTR:
        raise VerifierError(f"kernel function {desc.name} returns {L.KIND_NAMES[t.kind]} which "
                            f"is not supported", EINVAL)
    pt = skip_mods(kbtf, t.type) if t.type else kbtf.types[0]
    if desc.name in DYNPTR_SLICES:
        return _dynptr_slice(env, desc, meta)
    if pt.id == 0:
        return UNKNOWN_SCALAR            # 'void *' is a scalar
    if pt.kind not in (L.STRUCT, L.UNION):
        size = meta.r0_size
        rdonly = meta.r0_rdonly
        if not size:
            try:
                size = kbtf.size_of(pt.id)
                rdonly = True
            except BtfError:
                size = 0
        if not size:
            raise VerifierError(f"kernel function {desc.name} returns pointer type "
                                f"{L.KIND_NAMES[pt.kind]} {pt.name} is not supported", EINVAL)
        r = Reg(T.PTR_TO_MEM | (T.MEM_RDONLY if rdonly else 0), Scalar.const(0), mem_size=size,
                ref_obj_id=meta.ref_obj_id if "KF_ITER_NEXT" not in flags else 0)
    else:
        r = _kernel_object(env, pt)
    if "KF_RET_NULL" in flags:
        r = r.with_(type=r.type | T.PTR_MAYBE_NULL, id=env.new_id())
    if "KF_ACQUIRE" in flags:
        rid = acquire_reference(env, idx)
        r = r.with_(ref_obj_id=rid, id=rid if "KF_RET_NULL" in flags else r.id)
    return r


def _kernel_object(env: Env, pt) -> Reg:
    """A kfunc's returned kernel object: a PTR_TO_BTF_ID typed in the target BTF (the
    kernel the program is loaded for, which its CO-RE offsets were resolved against) when
    that has a struct of the same kind and name, else in the mock kernel's BTF."""
    target = env.inp.target_btf
    if target is not None:
        for t in target.find(pt.name):
            if t.kind == pt.kind:
                return btf_ptr(target, t.id)
    return Reg(T.PTR_TO_BTF_ID, Scalar.const(0), btf_name=pt.name)


DYNPTR_SLICES = ("bpf_dynptr_slice", "bpf_dynptr_slice_rdwr")


def _dynptr_slice(env: Env, desc: KfuncDesc, meta: CallMeta) -> Reg:
    """kernel: check_kfunc_call's bpf_dynptr_slice(_rdwr) return - PTR_TO_MEM sized by the
    constant ``buffer__szk``, tied to its dynptr (verifier.dynptr), read-only for
    bpf_dynptr_slice.  The kernel this project compares with (6.18) refuses
    bpf_dynptr_slice_rdwr at this point for every program type."""
    if desc.name == "bpf_dynptr_slice_rdwr":
        raise VerifierError("bpf_dynptr_slice_rdwr() is not allowed", EACCES)
    if meta.arg_constant is None:
        raise VerifierError("verifier internal error: bpf_dynptr_slice(_rdwr) no constant size",
                            14)
    did, kind, _ = meta.extra["dynptr"]
    return slice_reg(did, kind, meta.arg_constant, True, "KF_RET_NULL" in desc.flags,
                     env.new_id())


# --- open-coded iterators ----------------------------------------------------------------

def _iter_next(env: Env, meta: CallMeta, idx: int) -> None:
    """kernel: process_iter_next_call - fork an ACTIVE state that goes
    around the loop again (R0 != NULL) and continue DRAINED with R0 = 0."""
    cur = env.cur
    frameno, spi, nr = meta.iter_loc
    f = cur.frames[frameno]
    it = f.stack[spi].spilled
    if it.range not in (ITER_ACTIVE, ITER_DRAINED):
        raise VerifierError("verifier internal error: unexpected iterator state", 14)

    def set_iter(st, state: int, depth: int) -> None:
        fr = st.frames[frameno]
        for i in range(nr):
            s = fr.stack[spi - i]
            fr.stack[spi - i] = Slot(s.types, s.spilled.with_(range=state, mem_size=depth))

    if it.range == ITER_ACTIVE:
        parent = cur.parent
        if parent is None or parent.insn_idx != idx:
            raise VerifierError("verifier internal error: bad parent state for iter next call",
                                14)
        prev = find_prev_entry(env, parent, idx)
        queued = push_stack(env, idx + 1, idx)
        set_iter(queued, ITER_ACTIVE, it.mem_size + 1)
        if prev is not None:
            widen_imprecise_scalars(env, prev, queued)
        qf = queued.frames[queued.curframe]
        qf.regs[0] = mark_ptr_not_null(qf.regs[0])
    set_iter(cur, ITER_DRAINED, it.mem_size)
    env.regs[0] = Reg(T.SCALAR, Scalar.const(0))


__all__ = ["add_kfunc", "kfunc_call", "KfuncDesc"]
