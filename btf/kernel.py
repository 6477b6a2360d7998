"""Kernel-side BTF: the mock kernel's kfunc prototypes, and ``.ksyms`` extern resolution.

The "kernel BTF" is an object compiled from a C file of kernel prototypes (as
vmlinux/module BTF is for the real kernel).  A program's extern FUNCs (those in
the ``.ksyms`` DATASEC, or any FUNC with extern linkage) are resolved by name
against it and their prototypes checked for compatibility the way libbpf does
(``bpf_core_types_are_compat``: modifiers and typedefs skipped, kinds must
agree, integers are compatible unless bitfield-like, pointers compared through,
prototypes parameter by parameter).  ``strict=True`` also requires equal
integer sizes, struct/union names and sizes: a size mismatch changes how the
stack-argument ABI passes a value.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import layout as L
from .errors import BtfError
from .graph import Btf
from .kfuncs import KfuncProto, classify
from .source import BtfObject, load

_SKIP = frozenset({L.TYPEDEF, L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG})


@dataclass
class KernelBtf:
    """Kernel BTF plus per-kfunc flags (KF_ACQUIRE, ...), registered by the mock kernel."""
    btf: Btf
    path: str = ""
    kfunc_flags: dict[str, frozenset[str]] | None = None

    def func(self, name: str):
        for t in self.btf.find(name, L.FUNC):
            return t
        return None

    def kfunc(self, name: str) -> KfuncProto:
        t = self.func(name)
        if t is None:
            raise BtfError(f"kernel has no function '{name}'")
        flags = (self.kfunc_flags or {}).get(name, frozenset())
        return classify(self.btf, t.id, flags)


@dataclass(frozen=True)
class ResolvedKsym:
    name: str
    prog_func_id: int          # the extern FUNC in the program's BTF
    kernel_func_id: int        # the FUNC in the kernel BTF
    kfunc: KfuncProto          # model + argument classes from the kernel prototype


def load_kernel_btf(path: str | Path, kfunc_flags: dict[str, frozenset[str]] | None = None) -> KernelBtf:
    obj = load(path)
    return KernelBtf(obj.btf, str(path), kfunc_flags)


def ksym_externs(btf: Btf) -> list:
    """Extern FUNCs of a program, in BTF order (those listed in .ksyms first)."""
    seen, out = set(), []
    for sec in btf.find(".ksyms", L.DATASEC):
        for vi in sec.secinfos:
            t = btf.types[vi.type]
            if t.kind == L.FUNC and t.id not in seen:
                seen.add(t.id)
                out.append(t)
    for t in btf.types:
        if t.kind == L.FUNC and t.vlen == 2 and t.id not in seen:
            seen.add(t.id)
            out.append(t)
    return out


def resolve_ksyms(prog: Btf | BtfObject, kernel: KernelBtf, strict: bool = False) -> dict[str, ResolvedKsym]:
    pbtf = prog.btf if isinstance(prog, BtfObject) else prog
    out = {}
    for ext in ksym_externs(pbtf):
        kfn = kernel.func(ext.name)
        if kfn is None:
            raise BtfError(f"extern (func ksym) '{ext.name}': not found in kernel BTF")
        check_compatible(pbtf, ext.id, kernel.btf, kfn.id, ext.name, strict)
        out[ext.name] = ResolvedKsym(ext.name, ext.id, kfn.id, kernel.kfunc(ext.name))
    return out


def check_compatible(local: Btf, local_func: int, targ: Btf, targ_func: int, name: str,
                     strict: bool = False) -> None:
    """BtfError naming the kfunc and the first differing parameter, if incompatible."""
    lp = local.func_proto(local_func)
    tp = targ.func_proto(targ_func)
    if lp.vlen != tp.vlen:
        raise BtfError(f"kfunc '{name}': program declares {lp.vlen} parameters, kernel has {tp.vlen}")
    why = _compat(local, lp.type, targ, tp.type, strict, 0)
    if why:
        raise BtfError(f"kfunc '{name}': return type differs: {why}")
    for i, (a, b) in enumerate(zip(lp.params, tp.params)):
        why = _compat(local, a.type, targ, b.type, strict, 0)
        if why:
            pname = b.name or a.name
            label = f"parameter {i + 1}" + (f" '{pname}'" if pname else "")
            raise BtfError(f"kfunc '{name}': {label} differs: {why}")


def _skip(btf: Btf, tid: int):
    t = btf.types[tid]
    while t.kind in _SKIP:
        t = btf.types[t.type]
    return t


def _desc(btf: Btf, t) -> str:
    return btf.type_name(t.id)


def _compat(lb: Btf, lid: int, tb: Btf, tid: int, strict: bool, depth: int) -> str | None:
    """None if compatible, else a short reason."""
    if depth > 32:
        return "type chain too deep"
    lt, tt = _skip(lb, lid), _skip(tb, tid)
    if lt.id == 0 or tt.id == 0:
        return None if lt.id == tt.id else f"{_desc(lb, lt)} vs {_desc(tb, tt)}"
    lk, tk = lt.kind, tt.kind
    enums = (L.ENUM, L.ENUM64)
    same = lk == tk or (lk in enums and tk in enums) or \
        ({lk, tk} <= {L.STRUCT, L.FWD} or {lk, tk} <= {L.UNION, L.FWD})
    if not same:
        return f"{_desc(lb, lt)} vs {_desc(tb, tt)}"
    if lk == L.INT:
        if lt.int_offset or tt.int_offset:
            return "bitfield-like integer"
        if strict and (lt.size != tt.size or (lt.int_encoding & 1) != (tt.int_encoding & 1)):
            return f"{_desc(lb, lt)} vs {_desc(tb, tt)}"
        return None
    if lk == L.PTR:
        return _compat(lb, lt.type, tb, tt.type, strict, depth + 1)
    if lk == L.FUNC_PROTO:
        if lt.vlen != tt.vlen:
            return f"function pointer with {lt.vlen} vs {tt.vlen} parameters"
        why = _compat(lb, lt.type, tb, tt.type, strict, depth + 1)
        if why:
            return why
        for a, b in zip(lt.raw, tt.raw):
            why = _compat(lb, a[1], tb, b[1], strict, depth + 1)
            if why:
                return why
        return None
    if lk == L.ARRAY:
        return _compat(lb, lt.extra[0], tb, tt.extra[0], strict, depth + 1)
    if strict and lk in (L.STRUCT, L.UNION, L.ENUM, L.ENUM64, L.FLOAT):
        if lt.name != tt.name or lt.size != tt.size:
            return f"{_desc(lb, lt)} vs {_desc(tb, tt)}"
    return None
