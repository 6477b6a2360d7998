"""``__kptr`` fields of map values and local objects: bpf_kptr_xchg and direct loads/stores.

Kernel counterparts (kernel/bpf/verifier.c): ``process_kptr_func`` (the
ARG_KPTR_XCHG_DEST argument), ``map_kptr_match_type``, the bpf_kptr_xchg cases
of ``check_reg_type`` / ``check_helper_call`` (release of the stored object,
a PTR_TO_BTF_ID_OR_NULL result that owns what was in the field),
``check_map_kptr_access`` with ``btf_ld_kptr_type`` (LDX/STX/ST of a kptr field)
and the kptr cases of ``check_map_access``.

Modelled: kptrs to program-local types (``bpf_obj_new``'d objects; the field's
type is not a kernel struct, so the kernel keeps it in the program BTF).  A
kptr to a kernel type needs the kernel's destructor table for its type and is
refused by name.
"""

from __future__ import annotations

from btf import layout as L
from verifier import graph
from verifier import regtypes as T
from verifier.call_args import check_func_arg_reg_off, is_null
from verifier.env import Env, check_reg_arg_src
from verifier.errors import EACCES, EINVAL, ENOTSUPP, VerifierError
from verifier.refs import acquire_reference, for_each_reg, release_reference_nomark
from verifier.scalar import Scalar
from verifier.state import NOT_INIT_REG, UNKNOWN_SCALAR, Reg

BPF_FUNC_kptr_xchg = 194
KPTR_KINDS = ("kptr", "kptr_untrusted", "percpu_kptr", "uptr")
_CALLER_SAVED = (0, 1, 2, 3, 4, 5)
_MEM = 0x60          # BPF_MEM mode
_LDX, _ST, _STX = 0x01, 0x02, 0x03


def kptr_field(rec, off: int):
    return next((f for f in rec.fields if f.off == off and f.kind in KPTR_KINDS), None)


def _local(env: Env, field) -> graph.LocalType:
    """The field's pointee as a program-local type (kernel: btf_parse_kptr, which keeps the
    program BTF when no kernel struct has the name); kernel types are refused."""
    kernel = env.inp.kernel_btf
    if field.kind == "uptr" or (kernel is not None
                                and kernel.btf.find_one(field.value, L.STRUCT) is not None):
        raise VerifierError(f"{field.kind} to kernel type struct {field.value} is not supported "
                            f"by this verifier", ENOTSUPP)
    return graph.local_type(env, field.value_id)


def _type_str(reg: Reg) -> str:
    s = T.type_str(reg.type)
    return s + reg.btf_name if T.base(reg.type) == T.PTR_TO_BTF_ID else s


def map_kptr_match_type(env: Env, field, reg: Reg, regno: int) -> None:
    """kernel: map_kptr_match_type for a program-local kptr."""
    lt = _local(env, field)
    bad = T.base(reg.type) != T.PTR_TO_BTF_ID
    if not bad:
        local = isinstance(reg.map, graph.LocalType) and bool(reg.type & T.MEM_ALLOC)
        perm = (T.PTR_MAYBE_NULL | T.MEM_ALLOC | (T.MEM_PERCPU if field.kind == "percpu_kptr"
                                                   else 0)) if local \
            else (T.PTR_MAYBE_NULL | T.PTR_TRUSTED | T.MEM_RCU
                  | (T.PTR_UNTRUSTED if field.kind == "kptr_untrusted" else 0))
        flags = reg.type & ~T.BASE_MASK
        bad = bool(flags & ~perm) or ((field.kind == "percpu_kptr") != bool(reg.type & T.MEM_PERCPU))
    if not bad:
        from verifier.call_args import check_ptr_off_reg
        try:
            check_ptr_off_reg(env, reg, regno, True)
        except VerifierError as e:
            raise VerifierError(e.message, EACCES, e.lines) from None
        # btf_struct_ids_match, strict for referenced kptrs: the same local type at off 0
        strict = field.kind != "kptr_untrusted"
        bad = not (isinstance(reg.map, graph.LocalType) and reg.map.btf_id == lt.btf_id
                   and (reg.off == 0 or not strict))
    if bad:
        tail = (f" or {T.type_str(T.PTR_TO_BTF_ID | T.PTR_UNTRUSTED)}{field.value}"
                if field.kind == "kptr_untrusted" else "")
        name = reg.btf_name if T.base(reg.type) == T.PTR_TO_BTF_ID else ""
        raise VerifierError(f"invalid kptr access, R{regno} type={T.type_str(reg.type)}{name} "
                            f"expected={T.type_str(T.PTR_TO_BTF_ID)}{field.value}{tail}", EINVAL)


def _in_rcu_cs(env: Env) -> bool:
    st = env.cur
    return bool(st.active_rcu_lock or st.active_locks or not st.in_sleepable)


def check_map_kptr_access(env: Env, regno: int, value_regno: int, insn, field) -> None:
    """kernel: check_map_kptr_access (with btf_ld_kptr_type for loads)."""
    code = insn.code if insn is not None else _LDX | _MEM
    cls = code & 7
    if (code & 0xE0) != _MEM:
        raise VerifierError("kptr in map can only be accessed using BPF_MEM instruction mode",
                            EACCES)
    if cls != _LDX and field.kind in ("kptr", "percpu_kptr"):
        raise VerifierError("store to referenced kptr disallowed", EACCES)
    lt = _local(env, field)
    if cls == _LDX:
        t = T.PTR_TO_BTF_ID | T.PTR_MAYBE_NULL
        rcu_safe = field.kind == "percpu_kptr" or (field.kind == "kptr"
                                                   and lt.record.refcount_off >= 0)
        if rcu_safe and _in_rcu_cs(env):
            t |= T.MEM_RCU | (T.MEM_PERCPU if field.kind == "percpu_kptr" else T.MEM_ALLOC)
            if lt.record.has("bpf_list_node") or lt.record.has("bpf_rb_node"):
                t |= T.NON_OWN_REF
        else:
            t |= T.PTR_UNTRUSTED
        env.set_reg(value_regno, Reg(t, Scalar.const(0), id=env.new_id(), btf_name=lt.name,
                                     map=lt))
    elif cls == _STX:
        val = env.reg(value_regno)
        if not is_null(val):
            map_kptr_match_type(env, field, val, value_regno)
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


# --- bpf_kptr_xchg ---------------------------------------------------------------------------

def _process_kptr_func(env: Env, reg: Reg) -> tuple:
    """kernel: process_kptr_func - R1 points at a referenced kptr field."""
    if T.base(reg.type) == T.PTR_TO_BTF_ID and reg.type & T.MEM_ALLOC:
        rec = graph.reg_record(env, reg)
        m = None
    else:
        m = reg.map
        if not m.has_btf:
            raise VerifierError(f"map '{m.name}' has to have BTF in order to use bpf_kptr_xchg",
                                EINVAL)
        rec = graph.map_record(env, m)
    if reg.s.var_off.mask:
        raise VerifierError("R1 doesn't have constant offset. kptr has to be at the constant "
                            "offset", EINVAL)
    if rec is None or not any(f.kind in KPTR_KINDS for f in rec.fields):
        raise VerifierError("R1 has no valid kptr", EINVAL)
    off = reg.off + reg.s.var_off.value
    field = kptr_field(rec, off)
    if field is None:
        raise VerifierError(f"off={off} doesn't point to kptr", EACCES)
    if field.kind not in ("kptr", "percpu_kptr"):
        raise VerifierError(f"off={off} kptr isn't referenced kptr", EACCES)
    return field, m


def check_kptr_xchg(env: Env, insn_idx: int) -> Reg:
    """kernel: check_helper_call for bpf_kptr_xchg(dst, ptr): the argument checks, the
    release of ``ptr``'s reference and R0 (owning what the field held, or NULL).  Returns
    the map R1 points into (or None) for the map compatibility check."""
    fid = BPF_FUNC_kptr_xchg
    check_reg_arg_src(env, 1)
    r1 = env.reg(1)
    if r1.type not in (T.PTR_TO_MAP_VALUE, T.PTR_TO_BTF_ID | T.MEM_ALLOC):
        raise VerifierError(f"R1 type={T.type_str(r1.type)} expected=map_value, ptr_", EACCES)
    check_func_arg_reg_off(env, r1, 1, 0)
    field, m = _process_kptr_func(env, r1)
    lt = _local(env, field)
    check_reg_arg_src(env, 2)
    r2 = env.reg(2)
    if not is_null(r2):
        t = r2.type & ~T.PTR_MAYBE_NULL
        if t & T.MEM_ALLOC:
            t &= ~(T.MEM_ALLOC | T.MEM_PERCPU)
        if t not in (T.PTR_TO_BTF_ID, T.PTR_TO_BTF_ID | T.PTR_TRUSTED,
                     T.PTR_TO_BTF_ID | T.MEM_RCU):
            raise VerifierError(f"R2 type={T.type_str(r2.type)} expected=ptr_, trusted_ptr_, "
                                f"rcu_ptr_", EACCES)
        if r2.type & T.PTR_MAYBE_NULL:
            if r2.type & T.MEM_ALLOC:
                raise VerifierError("verifier internal error: invalid PTR_TO_BTF_ID register "
                                    "for type match", 14)
            raise VerifierError("Possibly NULL pointer passed to helper arg2", EACCES)
        map_kptr_match_type(env, field, r2, 2)
        from verifier import helpers as H
        check_func_arg_reg_off(env, r2, 2, H.RELEASE)
        if not r2.ref_obj_id:
            raise VerifierError("R2 must be referenced when passed to release function", EINVAL)
    rid = r2.ref_obj_id
    if rid:
        in_rcu = _in_rcu_cs(env)
        if not release_reference_nomark(env.cur, rid):
            raise VerifierError(f"func bpf_kptr_xchg#{fid} reference has not been acquired "
                                f"before", EINVAL)

        def inv(r: Reg):
            if r.ref_obj_id != rid:
                return None
            if in_rcu and r.type & T.MEM_ALLOC and r.type & T.MEM_PERCPU:
                return r.with_(ref_obj_id=0, type=(r.type & ~T.MEM_ALLOC) | T.MEM_RCU)
            return UNKNOWN_SCALAR
        for_each_reg(env.cur, inv)
    regs = env.regs
    for r in _CALLER_SAVED:
        regs[r] = NOT_INIT_REG
        env.scratch_reg(r)
    t = T.PTR_TO_BTF_ID | T.PTR_MAYBE_NULL | T.MEM_ALLOC
    if field.kind == "percpu_kptr":
        t |= T.MEM_PERCPU
    ref = acquire_reference(env, insn_idx)
    regs[0] = Reg(t, Scalar.const(0), id=ref, ref_obj_id=ref, btf_name=lt.name, map=lt)
    return m


__all__ = ["check_kptr_xchg", "check_map_kptr_access", "check_kptr_access", "kptr_field",
           "map_kptr_match_type", "BPF_FUNC_kptr_xchg", "KPTR_KINDS"]
