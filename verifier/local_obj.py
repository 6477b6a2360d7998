"""Program-allocated objects: the special-field record of a struct or map value, and access to local objects.

Kernel counterparts: kernel/bpf/btf.c ``btf_parse_fields`` / ``btf_parse_graph_root`` /
``btf_parse_kptr`` (where a struct's or map value's bpf_spin_lock, bpf_list_head
``__contains(type, node)``, bpf_list_node, bpf_rb_root, bpf_rb_node, bpf_refcount and
``__kptr`` fields are: struct btf_record) and ``btf_struct_access`` for local types
(special fields are not plain memory, pointers load as scalars); kernel/bpf/verifier.c
``check_ptr_to_btf_access`` for ``PTR_TO_BTF_ID | MEM_ALLOC``.

A local object is ``PTR_TO_BTF_ID | MEM_ALLOC`` whose type lives in the *program's* BTF
(the kernel's ``reg->btf`` is the program BTF): the register's ``btf_name`` is the
struct's name and its ``map`` slot holds the :class:`LocalType` (type id, size, record),
so that code without the environment (NULL checks) can still ask for the record.
Graph kfuncs are :mod:`verifier.graph`, bpf_kptr_xchg and kptr fields :mod:`verifier.kptr`.
"""

from __future__ import annotations

from dataclasses import dataclass

from btf import layout as L
from btf.errors import BtfError
from verifier import regtypes as T
from verifier.btf_access import check_ptr_offset, skip_mods
from verifier.env import Env
from verifier.errors import EACCES, EFAULT, EINVAL, ENOTSUPP, VerifierError
from verifier.state import UNKNOWN_SCALAR, Reg
from verifier.scalar import Scalar

# kernel: btf_field_type_name / btf_field_type_size
FIELD_SIZE = {"bpf_spin_lock": 4, "bpf_res_spin_lock": 4, "bpf_timer": 16, "bpf_wq": 16,
              "bpf_list_head": 16, "bpf_list_node": 24, "bpf_rb_root": 16, "bpf_rb_node": 32,
              "bpf_refcount": 4, "bpf_task_work": 8}
KPTR_TAGS = {"kptr": "kptr", "kptr_untrusted": "kptr_untrusted", "percpu_kptr": "percpu_kptr",
             "uptr": "uptr"}
ROOT_NODE = {"bpf_list_head": "bpf_list_node", "bpf_rb_root": "bpf_rb_node"}

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


_NO_FIELDS = Record(())      # the record of most map values (records are never modified)


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

def graph_cache(env: Env) -> dict:
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


BTF_FIELDS_MAX = 11      # include/linux/bpf.h: special fields one record holds


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
    if len(kinds) > BTF_FIELDS_MAX:
        raise _BtfFieldError(f"{what}: more than {BTF_FIELDS_MAX} special fields")
    if kinds.count("bpf_spin_lock") > 1 or kinds.count("bpf_refcount") > 1:
        raise _BtfFieldError(f"{what}: more than one bpf_spin_lock or bpf_refcount")
    if ("bpf_list_head" in kinds or "bpf_rb_root" in kinds) and rec.spin_lock_off < 0:
        raise _BtfFieldError(f"{what}: bpf_list_head/bpf_rb_root without a bpf_spin_lock")
    return rec


def _btf_error(what: str, e: Exception) -> VerifierError:
    return VerifierError(f"invalid BTF special fields in {what}: {e}", EINVAL)


def local_type(env: Env, type_id: int) -> LocalType:
    """The record of struct ``type_id`` of the program's BTF (kernel: btf_find_struct_meta)."""
    cache = graph_cache(env)
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


_MAP_RECORD = "verifier.local_obj.map_record"       # its Btf.memo keys' tag


def map_record(env: Env, m) -> Record:
    """The record of a map's value (kernel: map->record).  It depends on the map and the
    program BTF alone (the kernel builds it at BPF_MAP_CREATE, before any program is
    verified) and records are never modified: kept in ``btf.memo`` for every verify of
    the object's programs, with the map itself to tell two maps apart."""
    btf = env.inp.btf
    if btf is None or not m.value_btf:
        return _NO_FIELDS
    key = (_MAP_RECORD, id(m))
    hit = btf.memo.get(key)
    if hit is not None and hit[0] is m:
        return hit[1]
    out: list = []
    try:
        for tid, off, tags in _map_value(btf, m):
            _walk(btf, tid, off, tags, out, 0)
        rec = _check(Record(out), f"map '{m.name}'") if out else _NO_FIELDS
    except (_BtfFieldError, BtfError):
        # the kernel creates the map anyway, with an error record that has no field
        # (map_check_btf ignores IS_ERR(map->record)): then it has 'no valid bpf_spin_lock'
        rec = _NO_FIELDS
    btf.memo[key] = (m, rec)
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
    check_ptr_offset(reg, regno, tname, off)
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


# --- __kptr fields (loads and stores; bpf_kptr_xchg is verifier.kptr) -------------------------

KPTR_KINDS = ("kptr", "kptr_untrusted", "percpu_kptr", "uptr")
_MEM = 0x60          # BPF_MEM mode
_LDX, _ST, _STX = 0x01, 0x02, 0x03


def kptr_field(rec, off: int):
    return next((f for f in rec.fields if f.off == off and f.kind in KPTR_KINDS), None)


# kernel: register_btf_id_dtor_kfuncs - the kernel types a referenced kptr may hold
# (kernel/bpf/helpers.c task_struct and cgroup, kernel/bpf/cpumask.c, net/bpf/test_run.c,
# kernel/bpf/crypto.c); without a destructor the field is invalid
KPTR_DTOR_TYPES = frozenset({"task_struct", "cgroup", "bpf_cpumask", "prog_test_ref_kfunc",
                             "prog_test_member", "bpf_crypto_ctx"})
# kernel/bpf/verifier.c rcu_protected_types: kptrs whose loads are RCU pointers
RCU_PROTECTED_TYPES = frozenset({"prog_test_ref_kfunc", "cgroup", "bpf_cpumask", "task_struct",
                                 "bpf_crypto_ctx"})


def kptr_target(env: Env, field) -> "LocalType | str":
    """The field's pointee (kernel: btf_parse_kptr): a kernel struct's name when the kernel
    BTF has one of that name, else a program-local type (a LocalType)."""
    kernel = env.inp.kernel_btf
    in_kernel = kernel is not None and kernel.btf.find_one(field.value, L.STRUCT) is not None
    if field.kind == "uptr" or field.kind == "percpu_kptr" and in_kernel:
        raise VerifierError(f"{field.kind} to struct {field.value} is not supported by this "
                            f"verifier", ENOTSUPP)
    if in_kernel:
        if field.kind == "kptr" and field.value not in KPTR_DTOR_TYPES:
            raise VerifierError(f"kptr to kernel struct {field.value} without a destructor is "
                                f"not supported by this verifier", ENOTSUPP)
        return field.value
    if field.value in KPTR_DTOR_TYPES:
        # a kernel type the mock kernel lacks: never a local type
        raise VerifierError(f"kptr to kernel struct {field.value}, which the mock kernel does "
                            f"not have, is not supported by this verifier", ENOTSUPP)
    return local_type(env, field.value_id)


def map_kptr_match_type(env: Env, field, reg: Reg, regno: int, off_check) -> None:
    """kernel: map_kptr_match_type (``off_check``: the caller's __check_ptr_off_reg,
    verifier.mem.check_ptr_off_reg)."""
    target = kptr_target(env, field)
    bad = T.base(reg.type) != T.PTR_TO_BTF_ID
    if not bad:
        local = isinstance(reg.map, LocalType) and bool(reg.type & T.MEM_ALLOC)
        perm = (T.PTR_MAYBE_NULL | T.MEM_ALLOC | (T.MEM_PERCPU if field.kind == "percpu_kptr"
                                                   else 0)) if local \
            else (T.PTR_MAYBE_NULL | T.PTR_TRUSTED | T.MEM_RCU
                  | (T.PTR_UNTRUSTED if field.kind == "kptr_untrusted" else 0))
        flags = reg.type & ~T.BASE_MASK
        bad = bool(flags & ~perm) or ((field.kind == "percpu_kptr") != bool(reg.type & T.MEM_PERCPU))
    if not bad:
        try:
            off_check(env, reg, regno, True)
        except VerifierError as e:
            raise VerifierError(e.message, EACCES, e.lines) from None
        # btf_struct_ids_match: the same type at offset 0 (a nested member at an offset is
        # not followed here: refused, never accepted)
        if isinstance(target, LocalType):
            bad = not (isinstance(reg.map, LocalType) and reg.map.btf_id == target.btf_id)
        else:
            bad = isinstance(reg.map, LocalType) or reg.btf_name != target
        bad = bad or reg.off != 0
    if bad:
        tail = (f" or {T.type_str(T.PTR_TO_BTF_ID | T.PTR_UNTRUSTED)}{field.value}"
                if field.kind == "kptr_untrusted" else "")
        name = reg.btf_name if T.base(reg.type) == T.PTR_TO_BTF_ID else ""
        raise VerifierError(f"invalid kptr access, R{regno} type={T.type_str(reg.type)}{name} "
                            f"expected={T.type_str(T.PTR_TO_BTF_ID)}{field.value}{tail}", EINVAL)


def in_rcu_cs(env: Env) -> bool:
    st = env.cur
    return bool(st.active_rcu_lock or st.active_locks or not st.in_sleepable)


def check_map_kptr_access(env: Env, regno: int, value_regno: int, insn, field,
                          off_check) -> None:
    """kernel: check_map_kptr_access (with btf_ld_kptr_type for loads)."""
    code = insn.code if insn is not None else _LDX | _MEM
    cls = code & 7
    if (code & 0xE0) != _MEM:
        raise VerifierError("kptr in map can only be accessed using BPF_MEM instruction mode",
                            EACCES)
    if cls != _LDX and field.kind in ("kptr", "percpu_kptr"):
        raise VerifierError("store to referenced kptr disallowed", EACCES)
    target = kptr_target(env, field)
    if cls == _LDX:
        # kernel: btf_ld_kptr_type
        local = isinstance(target, LocalType)
        t = T.PTR_TO_BTF_ID | T.PTR_MAYBE_NULL
        rcu_safe = field.kind == "percpu_kptr" or field.kind == "kptr" and (
            target.record.refcount_off >= 0 if local else target in RCU_PROTECTED_TYPES)
        if rcu_safe and in_rcu_cs(env):
            t |= T.MEM_RCU
            if field.kind == "percpu_kptr":
                t |= T.MEM_PERCPU
            elif local:
                t |= T.MEM_ALLOC
            if local and (target.record.has("bpf_list_node") or target.record.has("bpf_rb_node")):
                t |= T.NON_OWN_REF
        else:
            t |= T.PTR_UNTRUSTED
        env.set_reg(value_regno, Reg(t, Scalar.const(0), id=env.new_id(),
                                     btf_name=target.name if local else target,
                                     map=target if local else None))
    elif cls == _STX:
        val = env.reg(value_regno)
        if not (val.type == T.SCALAR and val.s.var_off.mask == 0 and val.s.var_off.value == 0):
            map_kptr_match_type(env, field, val, value_regno, off_check)
    elif cls == _ST:
        if insn.imm:
            raise VerifierError(f"BPF_ST imm must be 0 when storing to kptr at off={field.off}",
                                EACCES)
    else:
        raise VerifierError("kptr in map can only be accessed using BPF_LDX/BPF_STX/BPF_ST",
                            EACCES)


def check_kptr_access(env: Env, reg: Reg, off: int, size: int, direct: bool, field) -> None:
    """kernel: check_map_access's kptr case."""
    if not direct:
        raise VerifierError(f"{field.kind} cannot be accessed indirectly by helper")
    if reg.s.var_off.mask:
        raise VerifierError(f"{field.kind} access cannot have variable offset")
    if field.off != off + reg.s.var_off.value:
        raise VerifierError(f"{field.kind} access misaligned expected={field.off} "
                            f"off={off + reg.s.var_off.value}")
    if size != 8:
        raise VerifierError(f"{field.kind} access size must be BPF_DW")


__all__ = ["Field", "Record", "LocalType", "local_type", "map_record", "reg_record",
           "alloc_reg", "may_point_to_spin_lock", "local_access", "FIELD_SIZE", "graph_cache",
           "KPTR_KINDS", "kptr_field", "kptr_target", "map_kptr_match_type",
           "check_map_kptr_access", "check_kptr_access", "in_rcu_cs"]
