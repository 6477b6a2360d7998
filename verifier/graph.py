"""BPF graphs: linked lists and rbtrees of local objects, bpf_obj_new/drop, bpf_refcount_acquire.

Kernel counterparts (kernel/bpf/verifier.c): ``__process_kf_arg_ptr_to_graph_root`` /
``_node``, ``check_reg_allocation_locked``, ``ref_convert_owning_non_owning``,
``invalidate_non_owning_refs``, ``mark_reg_graph_node``, ``set_rbtree_add_callback_state``,
``in_rbtree_lock_required_cb`` and the special returns of ``check_kfunc_call``
(bpf_obj_new_impl, bpf_refcount_acquire_impl, list pops, bpf_rbtree_first/remove).
Where the live kernel (6.18) differs from 6.12 (bpf_rbtree_remove of a referenced node,
one btf_struct_meta per call instruction), the live kernel's rule is the one here.

Objects and records: :mod:`verifier.local_obj`.  Owning references have a
``ref_obj_id``; pushing a node into a graph turns every copy into a non-owning reference
(``NON_OWN_REF``), valid until the next bpf_spin_unlock.
"""

from __future__ import annotations

from btf import layout as L
from verifier import regtypes as T
from verifier.call_args import loc_name
from verifier.env import Env
from verifier.errors import EFAULT, EINVAL, VerifierError
from verifier.local_obj import LocalType, Record, alloc_reg, graph_cache, local_type, reg_record
from verifier.local_obj import may_point_to_spin_lock
from verifier.refs import for_each_reg, release_reference
from verifier.state import UNKNOWN_SCALAR, Reg

LIST_KFUNCS = frozenset({"bpf_list_push_front_impl", "bpf_list_push_back_impl",
                         "bpf_list_pop_front", "bpf_list_pop_back"})
RBTREE_KFUNCS = frozenset({"bpf_rbtree_add_impl", "bpf_rbtree_remove", "bpf_rbtree_first"})
# kernel: is_bpf_graph_api_kfunc - what may be called while a bpf_spin_lock is held
GRAPH_API_KFUNCS = LIST_KFUNCS | RBTREE_KFUNCS | {"bpf_refcount_acquire_impl"}
PUSH_KFUNCS = frozenset({"bpf_list_push_front_impl", "bpf_list_push_back_impl",
                         "bpf_rbtree_add_impl"})
OBJ_NEW = ("bpf_obj_new_impl", "bpf_percpu_obj_new_impl")


# --- kfunc arguments ---------------------------------------------------------------------------------


def arg_alloc_obj(env: Env, meta, reg: Reg, i: int) -> None:
    """kernel: the KF_ARG_PTR_TO_ALLOC_BTF_ID case (bpf_obj_drop_impl's argument)."""
    if reg.type == T.PTR_TO_BTF_ID | T.MEM_ALLOC:
        if meta.name != "bpf_obj_drop_impl":
            raise VerifierError(f"arg#{i} expected for bpf_obj_drop_impl()", EINVAL)
    elif reg.type == T.PTR_TO_BTF_ID | T.MEM_ALLOC | T.MEM_PERCPU:
        if meta.name != "bpf_percpu_obj_drop_impl":
            raise VerifierError(f"arg#{i} expected for bpf_percpu_obj_drop_impl()", EINVAL)
    else:
        raise VerifierError(f"arg#{i} expected pointer to allocated object", EINVAL)
    if not reg.ref_obj_id:
        raise VerifierError("allocated object must be referenced", EINVAL)
    meta.extra["arg_type"] = reg.map


def arg_refcounted_kptr(env: Env, meta, reg: Reg, i: int) -> None:
    """kernel: the KF_ARG_PTR_TO_REFCOUNTED_KPTR case."""
    if T.base(reg.type) != T.PTR_TO_BTF_ID or not reg.type & T.MEM_ALLOC:
        raise VerifierError(f"arg#{i} is neither owning or non-owning ref", EINVAL)
    if not reg.type & T.NON_OWN_REF and reg.ref_obj_id:
        meta.extra["arg_owning_ref"] = True
    rec = reg_record(env, reg)
    if rec is None:
        raise VerifierError("verifier internal error: Couldn't find btf_record", EFAULT)
    if rec.refcount_off < 0:
        raise VerifierError(f"arg#{i} doesn't point to a type with bpf_refcount field", EINVAL)
    meta.extra["arg_type"] = reg.map


def _allocation_locked(env: Env, reg: Reg) -> tuple:
    """kernel: check_reg_allocation_locked: () when the object's lock is held, else the
    lines the kernel logs before its error (None: nothing logged)."""
    if reg.type == T.PTR_TO_MAP_VALUE:
        ptr = reg.map
    elif reg.type == T.PTR_TO_BTF_ID | T.MEM_ALLOC:
        ptr = env.inp.btf
    else:
        raise VerifierError("verifier internal error: unknown reg type for lock check", EFAULT)
    locks = [r for r in env.cur.refs if r.kind == "lock"]
    if not locks:
        return None
    lk = locks[-1]
    if lk.ptr is not ptr or lk.id != reg.id:
        return ("held lock and object are not in the same allocation",)
    return ()


def arg_graph_root(env: Env, meta, reg: Reg, loc: tuple, i: int, kind: str) -> None:
    """kernel: the KF_ARG_PTR_TO_LIST_HEAD / RB_ROOT cases and __process_kf_arg_ptr_to_graph_root."""
    if reg.type not in (T.PTR_TO_MAP_VALUE, T.PTR_TO_BTF_ID | T.MEM_ALLOC):
        raise VerifierError(f"arg#{i} expected pointer to map value or allocated object", EINVAL)
    if reg.type == T.PTR_TO_BTF_ID | T.MEM_ALLOC and not reg.ref_obj_id:
        raise VerifierError("allocated object must be referenced", EINVAL)
    api = LIST_KFUNCS if kind == "bpf_list_head" else RBTREE_KFUNCS
    if meta.name not in api:
        raise VerifierError(f"verifier internal error: {kind} head arg for unknown kfunc",
                            EFAULT)
    if reg.s.var_off.mask:
        raise VerifierError(f"{loc_name(loc)} doesn't have constant offset. {kind} has to be at "
                            f"the constant offset", EINVAL)
    rec = reg_record(env, reg) or Record(())
    off = reg.off + reg.s.var_off.value
    field = rec.find(off, kind)
    if field is None:
        raise VerifierError(f"{kind} not found at offset={off}", EINVAL)
    pre = _allocation_locked(env, reg)
    if pre != ():
        raise VerifierError(f"bpf_spin_lock at off={rec.spin_lock_off} must be held for {kind}",
                            EINVAL, pre or ())
    if "graph_root" in meta.extra:
        raise VerifierError(f"verifier internal error: repeating {kind} arg", EFAULT)
    meta.extra["graph_root"] = field


def arg_graph_node(env: Env, meta, reg: Reg, loc: tuple, i: int, kind: str) -> None:
    """kernel: the KF_ARG_PTR_TO_LIST_NODE / RB_NODE cases and __process_kf_arg_ptr_to_graph_node."""
    if kind == "bpf_rb_node" and meta.name != "bpf_rbtree_add_impl":
        # the live kernel (6.15+): a non-owning or any referenced node may be removed
        if not reg.type & T.NON_OWN_REF and not reg.ref_obj_id:
            raise VerifierError(f"{meta.name} can only take non-owning or refcounted "
                                f"bpf_rb_node pointer", EINVAL)
        if in_rbtree_cb(env):
            raise VerifierError(f"{meta.name} not allowed in rbtree cb", EINVAL)
    else:
        if reg.type != T.PTR_TO_BTF_ID | T.MEM_ALLOC:
            raise VerifierError(f"arg#{i} expected pointer to allocated object", EINVAL)
        if not reg.ref_obj_id:
            raise VerifierError("allocated object must be referenced", EINVAL)
    root_kind = "bpf_list_head" if kind == "bpf_list_node" else "bpf_rb_root"
    ok = (meta.name in ("bpf_list_push_front_impl", "bpf_list_push_back_impl")
          if kind == "bpf_list_node" else meta.name in ("bpf_rbtree_remove", "bpf_rbtree_add_impl"))
    if not ok:
        raise VerifierError(f"verifier internal error: {kind} node arg for unknown kfunc", EFAULT)
    if reg.s.var_off.mask:
        raise VerifierError(f"{loc_name(loc)} doesn't have constant offset. {kind} has to be at "
                            f"the constant offset", EINVAL)
    off = reg.off + reg.s.var_off.value
    rec = reg_record(env, reg) or Record(())
    if rec.find(off, kind) is None:
        raise VerifierError(f"{kind} not found at offset={off}", EINVAL)
    root = meta.extra.get("graph_root")
    if root is None:
        raise VerifierError(f"verifier internal error: {kind} without a graph root", EFAULT)
    lt = reg.map
    if lt.btf_id != root.value_id:
        raise VerifierError(f"operation on {root_kind} expects arg#1 {kind} at offset="
                            f"{root.node_off} in struct {root.value}, but arg is at offset="
                            f"{off} in struct {lt.name}", EINVAL)
    meta.extra["arg_type"] = lt
    meta.extra["node_ref"] = reg.ref_obj_id      # kernel: regs[BPF_REG_2].ref_obj_id
    if off != root.node_off:
        raise VerifierError(f"arg#1 offset={off}, but expected {kind} at offset="
                            f"{root.node_off} in struct {root.value}", EINVAL)


def in_rbtree_cb(env: Env) -> bool:
    """kernel: in_rbtree_lock_required_cb - verifying bpf_rbtree_add's 'less' callback."""
    st = env.cur
    if not st.curframe:
        return False
    callee = st.frames[st.curframe]
    if not callee.in_callback_fn:
        return False
    d = env.kfunc_descs.get(callee.callsite)
    return d is not None and d.name in RBTREE_KFUNCS


def arg_callback(env: Env, meta, reg: Reg, i: int) -> None:
    """kernel: the KF_ARG_PTR_TO_CALLBACK case (bpf_rbtree_add_impl's 'less')."""
    if reg.type != T.PTR_TO_FUNC:
        raise VerifierError(f"arg{i} expected pointer to func", EINVAL)
    meta.extra["subprogno"] = reg.subprogno


def set_rbtree_add_cb(env: Env, caller, callee, callsite: int, extra=None) -> None:
    """kernel: set_rbtree_add_callback_state - both arguments of 'less' are non-owning
    references to the tree's node type."""
    r1 = caller.regs[1]
    rec = reg_record(env, r1)
    field = rec.find(r1.off, "bpf_rb_root") if rec is not None else None
    if field is None or not field.value_id:
        raise VerifierError("verifier internal error: no bpf_rb_root for the callback", EFAULT)
    lt = local_type(env, field.value_id)
    for r in (1, 2):
        callee.regs[r] = _set_non_owning(env, alloc_reg(lt, off=field.node_off))
    for r in (3, 4, 5):
        callee.regs[r] = Reg()
    callee.in_callback_fn = True
    callee.callback_ret_range = (0, 1)


# --- the call's effects -----------------------------------------------------------------------------

def _set_non_owning(env: Env, r: Reg) -> Reg:
    """kernel: ref_set_non_owning."""
    if not env.cur.active_locks:
        raise VerifierError("verifier internal error: ref_set_non_owning w/o active lock", EFAULT)
    if r.type & T.NON_OWN_REF:
        raise VerifierError("verifier internal error: NON_OWN_REF already set", EFAULT)
    t = r.type | T.NON_OWN_REF
    if isinstance(r.map, LocalType) and r.map.record.refcount_off >= 0:
        t |= T.MEM_RCU
    return r.with_(type=t)


def after_args(env: Env, meta, name: str) -> None:
    """kernel: check_kfunc_call after the argument checks: a pushed node's owning reference
    becomes non-owning and is released (ref_convert_owning_non_owning + release_reference)."""
    if name not in PUSH_KFUNCS:
        return
    rid = meta.extra.get("node_ref", 0)
    if not rid or not any(r.id == rid and r.kind == "ptr" for r in env.cur.refs):
        raise VerifierError(f"kfunc {name}#{meta.btf_id} conversion of owning ref to "
                            f"non-owning failed", EFAULT)
    err: list = []

    def conv(r: Reg):
        if r.ref_obj_id != rid:
            return None
        try:
            return _set_non_owning(env, r.with_(ref_obj_id=0))
        except VerifierError as e:
            err.append(e)
            return None
    for_each_reg(env.cur, conv)
    if err:
        raise err[0]
    if not release_reference(env, rid):
        raise VerifierError(f"kfunc {name}#{meta.btf_id} reference has not been acquired "
                            f"before", EINVAL)


def return_reg(env: Env, meta, name: str) -> Reg | None:
    """kernel: the special-kfunc returns of check_kfunc_call (before KF_RET_NULL/KF_ACQUIRE
    are applied by the caller); None for other kfuncs."""
    if name in OBJ_NEW:
        if name != "bpf_obj_new_impl":
            raise VerifierError(f"kernel function {name} is not supported by this verifier",
                                EINVAL)
        v = meta.arg_constant or 0
        if v >> 32:
            raise VerifierError("local type ID argument must be in range [0, U32_MAX]", EINVAL)
        btf = env.inp.btf
        if btf is None:
            raise VerifierError("bpf_obj_new/bpf_percpu_obj_new requires prog BTF", EINVAL)
        t = btf.types[v] if 0 < v < len(btf.types) else None
        if t is None or t.kind != L.STRUCT:
            raise VerifierError("bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a "
                                "struct", EINVAL)
        return alloc_reg(local_type(env, v))
    if name == "bpf_refcount_acquire_impl":
        return alloc_reg(meta.extra["arg_type"])
    if name in ("bpf_list_pop_front", "bpf_list_pop_back", "bpf_rbtree_remove",
                "bpf_rbtree_first"):
        root = meta.extra["graph_root"]
        return alloc_reg(local_type(env, root.value_id), off=root.node_off)
    return None


# the kfuncs whose call the kernel rewrites with the object type's btf_struct_meta
# (insn_aux->kptr_struct_meta, used by fixup_kfunc_call)
STRUCT_META_KFUNCS = frozenset({"bpf_obj_new_impl", "bpf_obj_drop_impl",
                                "bpf_refcount_acquire_impl"}) | PUSH_KFUNCS


def record_struct_meta(env: Env, idx: int, name: str, lt: "LocalType | None") -> None:
    """One call instruction serves one struct meta: the live kernel refuses a call reached
    with objects of types whose btf_struct_meta differ (no special fields: no meta)."""
    if name not in STRUCT_META_KFUNCS or lt is None:
        return
    sm = lt.btf_id if lt.record.fields else None
    cache = graph_cache(env)
    key = ("struct_meta", idx)
    if key not in cache:
        cache[key] = sm
    elif cache[key] != sm:
        raise VerifierError("or mark the callee with __attribute__((nomerge))", EINVAL,
                            ("same call cannot be used with different types",
                             "use one call for each type: inline the static function that "
                             "holds the call,"))


def ret_null(meta, name: str, flags) -> bool:
    """kernel: is_kfunc_ret_null - bpf_refcount_acquire of an owning reference cannot fail."""
    if name == "bpf_refcount_acquire_impl" and meta.extra.get("arg_owning_ref"):
        return False
    return "KF_RET_NULL" in flags


def finish_return(env: Env, name: str, r0: Reg) -> Reg:
    """What check_kfunc_call does to R0 after KF_RET_NULL/KF_ACQUIRE: bpf_rbtree_first's
    result is non-owning; a pointer that may point to a spin lock keeps an id."""
    if name == "bpf_rbtree_first":
        r0 = _set_non_owning(env, r0)
    if not r0.id and may_point_to_spin_lock(r0):
        r0 = r0.with_(id=env.new_id())
    return r0


def invalidate_non_owning_refs(env: Env) -> None:
    """kernel: invalidate_non_owning_refs (at bpf_spin_unlock)."""
    def inv(r: Reg):
        if r.type & T.NON_OWN_REF and r.type & T.MEM_ALLOC:
            return UNKNOWN_SCALAR
        return None
    for_each_reg(env.cur, inv)


__all__ = ["arg_alloc_obj", "arg_refcounted_kptr", "arg_graph_root", "arg_graph_node",
           "arg_callback", "set_rbtree_add_cb", "in_rbtree_cb", "after_args", "return_reg",
           "finish_return", "ret_null", "record_struct_meta", "invalidate_non_owning_refs",
           "GRAPH_API_KFUNCS"]
