"""Local objects and BPF graphs: bpf_obj_new'd objects, linked lists, rbtrees, refcounts.

Kernel counterparts: kernel/bpf/btf.c ``btf_parse_fields`` / ``btf_parse_graph_root``
(the *record* of a struct or map value: where its bpf_spin_lock, bpf_list_head
``__contains(type, node)``, bpf_list_node, bpf_rb_root, bpf_rb_node,
bpf_refcount and ``__kptr`` fields are) and ``btf_struct_access`` for local
types; kernel/bpf/verifier.c ``__process_kf_arg_ptr_to_graph_root`` /
``_node``, ``check_reg_allocation_locked``, ``ref_convert_owning_non_owning``,
``invalidate_non_owning_refs``, ``mark_reg_graph_node`` and the special
returns of ``check_kfunc_call`` (bpf_obj_new_impl, bpf_refcount_acquire_impl,
list pops, bpf_rbtree_first/remove).

A local object is ``PTR_TO_BTF_ID | MEM_ALLOC`` whose type lives in the
*program's* BTF (the kernel's ``reg->btf`` is the program BTF): the register's
``btf_name`` is the struct's name and its ``map`` slot holds the
:class:`LocalType` (type id, size, record), so that code without the
environment (NULL checks) can still ask for the record.  Owning references
have a ``ref_obj_id``; pushing a node into a graph turns every copy into a
non-owning reference (``NON_OWN_REF``), valid until the next bpf_spin_unlock.
"""

from __future__ import annotations

from dataclasses import dataclass

from btf import layout as L
from btf.errors import BtfError
from verifier import regtypes as T
from verifier.btf_access import skip_mods
from verifier.env import Env
from verifier.errors import EACCES, EFAULT, EINVAL, VerifierError
from verifier.refs import for_each_reg, release_reference
from verifier.scalar import Scalar
from verifier.state import UNKNOWN_SCALAR, Reg
from verifier.tnum import tnum_strn

# kernel: btf_field_type_name / btf_field_type_size
FIELD_SIZE = {"bpf_spin_lock": 4, "bpf_res_spin_lock": 4, "bpf_timer": 16, "bpf_wq": 16,
              "bpf_list_head": 16, "bpf_list_node": 24, "bpf_rb_root": 16, "bpf_rb_node": 32,
              "bpf_refcount": 4, "bpf_task_work": 8}
KPTR_TAGS = {"kptr": "kptr", "kptr_untrusted": "kptr_untrusted", "percpu_kptr": "percpu_kptr",
             "uptr": "uptr"}
ROOT_NODE = {"bpf_list_head": "bpf_list_node", "bpf_rb_root": "bpf_rb_node"}

LIST_KFUNCS = frozenset({"bpf_list_push_front_impl", "bpf_list_push_back_impl",
                         "bpf_list_pop_front", "bpf_list_pop_back"})
RBTREE_KFUNCS = frozenset({"bpf_rbtree_add_impl", "bpf_rbtree_remove", "bpf_rbtree_first"})
# kernel: is_bpf_graph_api_kfunc - what may be called while a bpf_spin_lock is held
GRAPH_API_KFUNCS = LIST_KFUNCS | RBTREE_KFUNCS | {"bpf_refcount_acquire_impl"}
PUSH_KFUNCS = frozenset({"bpf_list_push_front_impl", "bpf_list_push_back_impl",
                         "bpf_rbtree_add_impl"})
OBJ_NEW = ("bpf_obj_new_impl", "bpf_percpu_obj_new_impl")


@dataclass(frozen=True)
class Field:
    """One special field (kernel: struct btf_field)."""
    kind: str              # "bpf_spin_lock", "bpf_list_head", ..., "kptr"
    off: int
    size: int
    value: str = ""        # graph root: the contained struct; kptr: the pointee struct
    value_id: int = 0
    node_off: int = -1     # graph root: offset of the node field inside ``value``


class Record:
    """The special fields of a struct or map value (kernel: struct btf_record)."""

    def __init__(self, fields):
        self.fields = tuple(sorted(fields, key=lambda f: f.off))
        self.spin_lock_off = next((f.off for f in self.fields if f.kind == "bpf_spin_lock"), -1)
        self.refcount_off = next((f.off for f in self.fields if f.kind == "bpf_refcount"), -1)

    def find(self, off: int, kind: str) -> Field | None:
        return next((f for f in self.fields if f.off == off and f.kind == kind), None)

    def has(self, kind: str) -> bool:
        return any(f.kind == kind for f in self.fields)


class LocalType:
    """A struct of the program's BTF that bpf_obj_new allocates (kernel: reg->btf, btf_id)."""
    __slots__ = ("name", "btf_id", "size", "record")

    def __init__(self, name: str, btf_id: int, size: int, record: Record):
        self.name, self.btf_id, self.size, self.record = name, btf_id, size, record

    def field_off(self, kind: str) -> int:
        f = next((f for f in self.record.fields if f.kind == kind), None)
        return -1 if f is None else f.off


class _BtfFieldError(Exception):
    pass


# --- records from the program's BTF -------------------------------------------------------------

def _cache(env: Env) -> dict:
    if env.graph_cache is None:
        env.graph_cache = {}
    return env.graph_cache


def _contains(btf, tags) -> tuple[str, str] | None:
    for t in tags:
        if t.value.startswith("contains:"):
            parts = t.value.split(":")
            if len(parts) != 3:
                raise _BtfFieldError(f"malformed tag {t.value!r}")
            return parts[1], parts[2]
    return None


def _graph_root(btf, kind: str, off: int, contains) -> Field:
    """kernel: btf_parse_graph_root."""
    if contains is None:
        raise _BtfFieldError(f"{kind} at offset {off} has no __contains tag")
    vname, nname = contains
    value = btf.find_one(vname, L.STRUCT)
    if value is None:
        raise _BtfFieldError(f"__contains({vname}, {nname}): no struct {vname}")
    node = None
    for m in value.members:
        if m.name == nname:
            node = m
    if node is None:
        raise _BtfFieldError(f"__contains({vname}, {nname}): struct {vname} has no member "
                             f"{nname}")
    nt = btf.resolve(node.type)
    if nt.kind != L.STRUCT or nt.name != ROOT_NODE[kind] or node.bits_offset % 64:
        raise _BtfFieldError(f"__contains({vname}, {nname}): not a {ROOT_NODE[kind]}")
    return Field(kind, off, FIELD_SIZE[kind], vname, value.id, node.bits_offset // 8)


def _walk(btf, tid: int, base: int, tags, out: list, depth: int) -> None:
    """kernel: btf_find_field - the special fields of one member/variable of type ``tid``."""
    if depth > 8:
        return
    t = skip_mods(btf, tid)
    if t.kind == L.PTR:
        # __kptr: a pointer whose pointee carries a kptr type tag
        p = btf.types[t.type]
        if p.kind == L.TYPE_TAG and p.name in KPTR_TAGS:
            pt = skip_mods(btf, p.type)
            out.append(Field(KPTR_TAGS[p.name], base, 8, pt.name, pt.id))
        return
    if t.kind == L.ARRAY:
        elem, _, n = t.array
        et = skip_mods(btf, elem)
        if n and et.kind in (L.STRUCT, L.UNION, L.PTR, L.ARRAY):
            esz = btf.size_of(elem)
            for i in range(min(n, 64)):
                _walk(btf, elem, base + i * esz, tags, out, depth + 1)
        return
    if t.kind not in (L.STRUCT, L.UNION):
        return
    if t.name in FIELD_SIZE:
        if t.name in ROOT_NODE:
            out.append(_graph_root(btf, t.name, base, _contains(btf, tags)))
        else:
            out.append(Field(t.name, base, FIELD_SIZE[t.name]))
        return
    for i, m in enumerate(t.members):
        _walk(btf, m.type, base + m.bits_offset // 8, btf.decl_tags(t.id, i), out, depth + 1)


def _check(rec: Record, what: str) -> Record:
    """kernel: btf_parse_fields' consistency rules."""
    kinds = [f.kind for f in rec.fields]
    if kinds.count("bpf_spin_lock") > 1 or kinds.count("bpf_refcount") > 1:
        raise _BtfFieldError(f"{what}: more than one bpf_spin_lock or bpf_refcount")
    if ("bpf_list_head" in kinds or "bpf_rb_root" in kinds) and rec.spin_lock_off < 0:
        raise _BtfFieldError(f"{what}: bpf_list_head/bpf_rb_root without a bpf_spin_lock")
    return rec


def _btf_error(what: str, e: Exception) -> VerifierError:
    return VerifierError(f"invalid BTF special fields in {what}: {e}", EINVAL)


def local_type(env: Env, type_id: int) -> LocalType:
    """The record of struct ``type_id`` of the program's BTF (kernel: btf_find_struct_meta)."""
    cache = _cache(env)
    key = ("type", type_id)
    lt = cache.get(key)
    if lt is None:
        btf = env.inp.btf
        t = btf.types[type_id]
        out: list = []
        try:
            for i, m in enumerate(t.members):
                _walk(btf, m.type, m.bits_offset // 8, btf.decl_tags(t.id, i), out, 1)
            rec = _check(Record(out), f"struct {t.name}")
        except (_BtfFieldError, BtfError) as e:
            raise _btf_error(f"struct {t.name}", e) from None
        lt = cache[key] = LocalType(t.name, t.id, t.size, rec)
    return lt


def _map_value(btf, m):
    """[(type id, offset, decl tags)] of a map's value in the program BTF."""
    return [(tid, off, btf.decl_tags(var, -1) if var else [])
            for tid, off, var in m.value_btf]


def map_record(env: Env, m) -> Record:
    """The record of a map's value (kernel: map->record)."""
    cache = _cache(env)
    key = ("map", id(m))
    hit = cache.get(key)
    if hit is not None and hit[0] is m:
        return hit[1]
    btf = env.inp.btf
    out: list = []
    parts = _map_value(btf, m) if btf is not None else None
    try:
        for tid, off, tags in parts or ():
            _walk(btf, tid, off, tags, out, 0)
        rec = _check(Record(out), f"map '{m.name}'")
    except (_BtfFieldError, BtfError):
        # the kernel creates the map anyway, with an error record that has no field
        # (map_check_btf ignores IS_ERR(map->record)): then it has 'no valid bpf_spin_lock'
        rec = Record(())
    cache[key] = (m, rec)
    return rec


def reg_record(env: Env, reg: Reg) -> Record | None:
    """kernel: reg_btf_record."""
    if reg.type == T.PTR_TO_MAP_VALUE and reg.map is not None:
        return map_record(env, reg.map)
    if reg.type & T.MEM_ALLOC and isinstance(reg.map, LocalType):
        return reg.map.record
    return None


def alloc_reg(lt: LocalType, off: int = 0, flags: int = 0) -> Reg:
    return Reg(T.PTR_TO_BTF_ID | T.MEM_ALLOC | flags, Scalar.const(0), off=off, btf_name=lt.name,
               map=lt)


def may_point_to_spin_lock(reg: Reg) -> bool:
    """kernel: reg_may_point_to_spin_lock for local objects (map values: the caller)."""
    return isinstance(reg.map, LocalType) and reg.map.record.spin_lock_off >= 0


# --- loads and stores through a local object -------------------------------------------------------

def local_access(env: Env, regno: int, off: int, size: int, write: bool,
                 value_regno: int) -> None:
    """kernel: check_ptr_to_btf_access + btf_struct_access for a program-allocated object:
    writes allowed, special fields refused, pointers load as scalars."""
    reg = env.reg(regno)
    lt = reg.map
    tname = reg.btf_name
    if off < 0:
        raise VerifierError(f"R{regno} is ptr_{tname} invalid negative access: off={off}",
                            EACCES)
    if reg.s.var_off.mask or reg.s.var_off.value:
        raise VerifierError(f"R{regno} is ptr_{tname} invalid variable offset: off={off}, "
                            f"var_off={tnum_strn(reg.s.var_off)}", EACCES)
    if reg.type & T.MEM_PERCPU:
        raise VerifierError(f"R{regno} is ptr_{tname} access percpu memory: off={off}", EACCES)
    if (not reg.type & T.NON_OWN_REF and not reg.type & T.MEM_RCU and not reg.ref_obj_id):
        raise VerifierError("verifier internal error: ref_obj_id for allocated object must be "
                            "non-zero", EFAULT)
    for f in lt.record.fields:
        if off < f.off + f.size and f.off < off + size:
            raise VerifierError(f"direct access to {f.kind} is disallowed", EACCES)
    btf = env.inp.btf
    if off + size > lt.size:
        raise VerifierError(f"access beyond struct {tname} at off {off} size {size}", EACCES)
    try:
        fa = btf.member_at(lt.btf_id, off, size)
    except BtfError:
        fa = None
    if fa is None:
        raise VerifierError(f"access beyond the end of member or padding of struct {tname} "
                            f"at off {off} size {size}", EACCES)
    if value_regno >= 0 and not write:
        env.set_reg(value_regno, UNKNOWN_SCALAR)


# --- kfunc arguments ---------------------------------------------------------------------------------

def loc_name(loc: tuple) -> str:
    from verifier.call_args import loc_name as name   # call_args -> mem -> graph: import late
    return name(loc)


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
    rid = env.regs[2].ref_obj_id
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
    cache = _cache(env)
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


__all__ = ["Field", "Record", "LocalType", "local_type", "map_record", "reg_record",
           "local_access", "arg_alloc_obj", "arg_refcounted_kptr", "arg_graph_root",
           "arg_graph_node", "arg_callback", "set_rbtree_add_cb", "in_rbtree_cb", "after_args", "return_reg", "finish_return",
           "invalidate_non_owning_refs", "GRAPH_API_KFUNCS", "may_point_to_spin_lock"]
