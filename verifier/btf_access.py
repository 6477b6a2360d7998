"""Loads through pointers to kernel objects (PTR_TO_BTF_ID), read by the kernel BTF.

A kfunc may return a pointer to a kernel struct; the program may then read its
members as the kernel BTF describes them (kernel: ``check_ptr_to_btf_access``
with the default ``btf_struct_access``).
"""

from __future__ import annotations

from btf import layout as L
from btf.errors import BtfError
from verifier import regtypes as T
from verifier.env import Env
from verifier.errors import EACCES, VerifierError
from verifier.scalar import Scalar
from verifier.state import UNKNOWN_SCALAR, Reg
from verifier.tnum import tnum_strn


def skip_mods(btf, tid: int):
    """The type ``tid`` names with typedefs and qualifiers skipped."""
    t = btf.types[tid]
    while t.kind in (L.TYPEDEF, L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG):
        t = btf.types[t.type]
    return t


def _gpl(lic: str) -> bool:
    return lic in ("GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL",
                   "Dual MIT/GPL", "Dual MPL/GPL")


def btf_id_access(env: Env, regno: int, off: int, size: int, write: bool,
                  value_regno: int) -> None:
    """kernel: check_ptr_to_btf_access with the default btf_struct_access.

    A PTR_TO_BTF_ID from a kfunc may be read
    through the kernel BTF of its struct; scalars load as unknown scalars,
    pointer members as untrusted PTR_TO_BTF_ID.  Writes are refused."""
    reg = env.reg(regno)
    tname = reg.btf_name
    kernel = env.inp.kernel_btf
    if kernel is None:
        raise VerifierError(f"R{regno} invalid mem access '{T.type_str(reg.type)}'")
    if not _gpl(env.inp.license):
        raise VerifierError(f"Cannot access kernel 'struct {tname}' from non-GPL compatible "
                            f"program", EACCES)
    if off < 0:
        raise VerifierError(f"R{regno} is ptr_{tname} invalid negative access: off={off}")
    if reg.s.var_off.mask or reg.s.var_off.value:
        raise VerifierError(f"R{regno} is ptr_{tname} invalid variable offset: off={off}, "
                            f"var_off={tnum_strn(reg.s.var_off)}")
    if write:
        raise VerifierError("only read is supported")
    kbtf = kernel.btf
    st = None
    for t in kbtf.find(tname):
        if t.kind in (L.STRUCT, L.UNION):
            st = t
            break
    if st is None:
        raise VerifierError(f"R{regno} invalid mem access '{T.type_str(reg.type)}'")
    if off + size > st.size:
        raise VerifierError(f"access beyond struct {tname} at off {off} size {size}")
    try:
        fa = kbtf.member_at(st.id, off, size)
    except BtfError:
        fa = None
    if fa is None:
        raise VerifierError(f"access beyond the end of member or padding of struct {tname} "
                            f"at off {off} size {size}", EACCES)
    mt = skip_mods(kbtf, fa.type_id)
    if value_regno < 0:
        return
    if mt.kind == L.PTR and size == 8 and fa.offset == 0:
        pt = skip_mods(kbtf, mt.type) if mt.type else kbtf.types[0]
        if pt.kind in (L.STRUCT, L.UNION):
            env.set_reg(value_regno, Reg(T.PTR_TO_BTF_ID | T.PTR_UNTRUSTED, Scalar.const(0),
                                         btf_name=pt.name))
            return
    env.set_reg(value_regno, UNKNOWN_SCALAR)
