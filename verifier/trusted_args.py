"""Global-function arguments tagged ``__arg_trusted``: kernel objects passed between frames.

Kernel counterparts: ``btf_prepare_func_args`` / ``btf_get_ptr_to_btf_id`` (btf.c: the
argument becomes ``ARG_PTR_TO_BTF_ID | PTR_TRUSTED`` [``| PTR_MAYBE_NULL`` with
``__arg_nullable``], its type the kernel struct the program's type names, by CO-RE candidate
matching: the name without a ``___flavor`` suffix) and the ``ARG_PTR_TO_BTF_ID`` case of
``btf_check_func_arg_match`` (verifier.c: as the live 6.18 kernel does it, the pointer must
be referenced or trusted first, then ``check_reg_type`` against ``ptr_``, ``trusted_ptr_``,
``rcu_ptr_`` and ``btf_struct_ids_match``, then ``check_func_arg_reg_off``).

The callee sees a trusted pointer typed in the target BTF (the kernel the program is loaded
for) when that has the struct, else in the mock kernel's BTF; a caller must pass such a
pointer (or NULL where nullable), else ``Caller passes invalid args into func#N``.
"""

from __future__ import annotations

from btf import layout as L
from isa.ints import s64
from verifier import regtypes as T
from verifier.btf_access import (btf_ptr, is_trusted_reg, reg_btf_type, skip_mods,
                                 struct_ids_match)
from verifier.errors import EINVAL, VerifierError
from verifier.state import Reg
from verifier.tnum import tnum_strn

# check_reg_type's btf_ptr_types, in the kernel's order (for its message)
_COMPATIBLE = (T.PTR_TO_BTF_ID, T.PTR_TO_BTF_ID | T.PTR_TRUSTED, T.PTR_TO_BTF_ID | T.MEM_RCU)


def _kernel_struct(env, arg):
    """(btf, struct type) the argument's pointee names in the kernel: the target BTF first,
    then the mock kernel's; VerifierError as btf_get_ptr_to_btf_id when there is none."""
    pbtf = env.inp.btf
    t = skip_mods(pbtf, arg.pointee_id) if pbtf is not None and arg.pointee_id else None
    name = t.name.split("___")[0] if t is not None else ""
    kind = t.kind if t is not None and t.kind != L.FWD else L.STRUCT
    for btf in (env.inp.target_btf,
                env.inp.kernel_btf.btf if env.inp.kernel_btf is not None else None):
        if btf is None or not name:
            continue
        found = [x for x in btf.find(name) if x.kind == kind]
        if len(found) == 1:
            return btf, found[0]
    what = f"{L.KIND_NAMES[t.kind]} {t.name}" if t is not None else "UNKNOWN "
    raise VerifierError(f"arg#{arg.index} reference type('{what}') has no matches", EINVAL)


def callee_reg(env, arg, new_id) -> Reg:
    """The register a global function starts with for a trusted struct-pointer argument."""
    btf, t = _kernel_struct(env, arg)
    r = btf_ptr(btf, t.id, T.PTR_TRUSTED | (T.PTR_MAYBE_NULL if arg.nullable else 0))
    return r.with_(id=new_id()) if arg.nullable else r


def check_caller_reg(env, reg: Reg, name: str, arg) -> str | None:
    """The reason a caller's ``reg`` (named ``name``: R1, *(R11-8)) may not be passed for
    the trusted argument ``arg``, or None."""
    if arg.nullable and reg.type == T.SCALAR and reg.s.var_off.mask == 0 \
            and reg.s.var_off.value == 0:
        return None
    if not is_trusted_reg(reg):
        return f"{name} must be referenced or trusted"      # (6.18: before the type check)
    t = reg.type & ~T.PTR_MAYBE_NULL if arg.nullable else reg.type
    if t not in _COMPATIBLE:
        return (f"{name} type={T.type_str(reg.type)} expected="
                + ", ".join(T.type_str(x) for x in _COMPATIBLE))
    kbtf, want = _kernel_struct(env, arg)
    btf, have = reg_btf_type(env, reg)
    if not struct_ids_match(btf, have, reg.off, want.name):
        return (f"{name} is of type {have.name if have is not None else reg.btf_name} "
                f"but {want.name} is expected")
    if reg.s.var_off.mask or reg.s.var_off.value:
        return (f"variable {T.type_str(reg.type)} access var_off="
                f"{tnum_strn(reg.s.var_off)} disallowed")
    if reg.off < 0:
        return f"negative offset {T.type_str(reg.type)} ptr {name} off={s64(reg.off)} disallowed"
    return None


__all__ = ["callee_reg", "check_caller_reg"]
