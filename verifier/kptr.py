"""``__kptr`` fields of map values and local objects: bpf_kptr_xchg and direct loads/stores.

Kernel counterparts (kernel/bpf/verifier.c): ``process_kptr_func`` (the
ARG_KPTR_XCHG_DEST argument), ``map_kptr_match_type``, the bpf_kptr_xchg cases
of ``check_reg_type`` / ``check_helper_call`` (release of the stored object,
a PTR_TO_BTF_ID_OR_NULL result that owns what was in the field),
``check_map_kptr_access`` with ``btf_ld_kptr_type`` (LDX/STX/ST of a kptr field)
and the kptr cases of ``check_map_access``.

Both kinds of kptr: to program-local types (``bpf_obj_new``'d objects; no kernel
struct has the name, so the kernel keeps the program BTF) and to kernel structs with a
registered destructor (verifier.local_obj.KPTR_DTOR_TYPES); others are refused by name.
"""

from __future__ import annotations

from verifier import helpers as H
from verifier import regtypes as T
from verifier.call_args import check_func_arg_reg_off, is_null
from verifier.env import Env, check_reg_arg_src
from verifier.errors import EACCES, EINVAL, VerifierError
from verifier.local_obj import (KPTR_KINDS, LocalType, in_rcu_cs, kptr_field, kptr_target,
                                map_kptr_match_type, map_record, reg_record)
from verifier.mem import check_ptr_off_reg
from verifier.refs import acquire_reference, for_each_reg, release_reference_nomark
from verifier.scalar import Scalar
from verifier.state import NOT_INIT_REG, UNKNOWN_SCALAR, Reg

BPF_FUNC_kptr_xchg = 194
_CALLER_SAVED = (0, 1, 2, 3, 4, 5)


# --- bpf_kptr_xchg ---------------------------------------------------------------------------

def _process_kptr_func(env: Env, reg: Reg) -> tuple:
    """kernel: process_kptr_func - R1 points at a referenced kptr field."""
    if T.base(reg.type) == T.PTR_TO_BTF_ID and reg.type & T.MEM_ALLOC:
        rec = reg_record(env, reg)
        m = None
    else:
        m = reg.map
        if not m.has_btf:
            raise VerifierError(f"map '{m.name}' has to have BTF in order to use bpf_kptr_xchg",
                                EINVAL)
        rec = map_record(env, m)
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
    target = kptr_target(env, field)
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
        map_kptr_match_type(env, field, r2, 2, check_ptr_off_reg)
        check_func_arg_reg_off(env, r2, 2, H.RELEASE)
        if not r2.ref_obj_id:
            raise VerifierError("R2 must be referenced when passed to release function", EINVAL)
    rid = r2.ref_obj_id
    if rid:
        in_rcu = in_rcu_cs(env)
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
    t = T.PTR_TO_BTF_ID | T.PTR_MAYBE_NULL
    local = isinstance(target, LocalType)
    if local:
        t |= T.MEM_ALLOC | (T.MEM_PERCPU if field.kind == "percpu_kptr" else 0)
    ref = acquire_reference(env, insn_idx)
    regs[0] = Reg(t, Scalar.const(0), id=ref, ref_obj_id=ref,
                  btf_name=target.name if local else target, map=target if local else None)
    return m


__all__ = ["check_kptr_xchg", "BPF_FUNC_kptr_xchg"]
