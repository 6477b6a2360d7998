"""The mock kernel's kfunc (and helper) registry: what the kernel's BTF id sets are.

A kfunc module (``pipeline/kernel/<module>/kfuncs.py``) declares its kfuncs in
:class:`KfuncSet` objects, one per kernel ``BTF_KFUNCS_START(...)`` set, with
the program types the set is registered for (``register_btf_kfunc_id_set``)
and each kfunc's ``KF_*`` flags (``BTF_ID_FLAGS``)::

    CHECK = KfuncSet("bpf_testmod_check_kfunc_ids", module="bpf_testmod",
                     prog_types={"sched_cls", "tracing", "syscall", "struct_ops"})

    @CHECK.kfunc()                      # or CHECK.kfunc("KF_ACQUIRE", "KF_RET_NULL")
    def bpf_kfunc_call_stack_arg(vm, a, b, c, d, e, f, g, h, i, j): ...

The function's name is the kfunc's name; its prototype lives in the module's
``kfuncs.c`` (compiled into the kernel BTF).  :func:`resolve` joins the two:
every registered kfunc must have a FUNC in the kernel BTF whose argument slot
count (``btf.kfuncs.distill``) equals the implementation's parameter count,
so a prototype and its implementation cannot drift apart silently.

Program types use the kernel's ``BPF_PROG_TYPE_*`` names in lower case
(``pipeline.prog_types``); ``"unspec"`` is the kernel's common hook: every
program type.
"""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable

from .. import prog_types
from .state import U64, KernelState, KfuncCall

if TYPE_CHECKING:       # annotations only: the BTF side is imported when a registry is built
    from btf.kernel import KernelBtf
    from btf.kfuncs import KfuncProto

    from .build import KernelBuild

# include/linux/btf.h
KF_FLAGS = frozenset({
    "KF_ACQUIRE", "KF_RELEASE", "KF_RET_NULL", "KF_TRUSTED_ARGS", "KF_SLEEPABLE",
    "KF_DESTRUCTIVE", "KF_RCU", "KF_ITER_NEW", "KF_ITER_NEXT", "KF_ITER_DESTROY",
    "KF_RCU_PROTECTED", "KF_FASTCALL", "KF_ARENA_RET", "KF_ARENA_ARG1", "KF_ARENA_ARG2",
    "KF_IMPLICIT_ARGS", "KF_SPINLOCK_SAFE",
})
ANY_PROG_TYPE = "unspec"   # BPF_PROG_TYPE_UNSPEC registration = BTF_KFUNC_HOOK_COMMON
# the type names libbpf's SEC() table produces (prog_types keeps it as data)
PROG_TYPES = frozenset(t for _, t in prog_types._ROWS) | {ANY_PROG_TYPE}

Impl = Callable[..., "int | None"]


class KernelError(Exception):
    """The mock kernel is inconsistent or was asked for something it does not have."""


@dataclass(frozen=True)
class KfuncDef:
    """One ``BTF_ID_FLAGS(func, name, flags)`` line plus its Python implementation."""
    name: str
    impl: Impl
    flags: frozenset[str]
    prog_types: frozenset[str]
    module: str          # "vmlinux" or the kernel module's name
    id_set: str          # the kernel's BTF id set, e.g. "bpf_testmod_check_kfunc_ids"


class KfuncSet:
    """A kernel BTF id set: kfuncs registered together for the same program types."""

    def __init__(self, name: str, *, module: str, prog_types):
        bad = set(prog_types) - PROG_TYPES
        if bad:
            raise KernelError(f"kfunc set {name}: unknown program type(s) {sorted(bad)}")
        self.name = name
        self.module = module
        self.prog_types = frozenset(prog_types)
        self.defs: list[KfuncDef] = []

    def kfunc(self, *flags: str) -> Callable[[Impl], Impl]:
        bad = set(flags) - KF_FLAGS
        if bad:
            raise KernelError(f"kfunc set {self.name}: unknown flag(s) {sorted(bad)}")

        def register(fn: Impl) -> Impl:
            self.defs.append(KfuncDef(fn.__name__, fn, frozenset(flags), self.prog_types,
                                      self.module, self.name))
            return fn
        return register


@dataclass(frozen=True)
class Kfunc:
    """A registered kfunc resolved against the kernel BTF; call it as ``kfunc(vm, *args)``."""
    name: str
    btf_id: int                 # FUNC id in the kernel BTF: the imm of its call instruction
    flags: frozenset[str]
    prog_types: frozenset[str]
    module: str
    id_set: str
    proto: KfuncProto           # btf.kfuncs.classify of the kernel prototype
    impl: Impl = field(repr=False, compare=False)

    @property
    def nr_slots(self) -> int:
        return self.proto.model.nr_slots

    def allowed_for(self, prog_type: str) -> bool:
        return ANY_PROG_TYPE in self.prog_types or prog_type in self.prog_types

    def __call__(self, vm, *args: int) -> int:
        """Run the implementation on the first ``nr_slots`` argument pieces.

        Executors pass r1-r5 and then every initialized outgoing stack slot;
        the kfunc takes what its BTF prototype says (a 16-byte struct is two
        pieces, low half first).  The result is cut to the BTF return size —
        a 32-bit result is zero-extended, as an x86-64 ``mov eax, ...`` leaves
        rax — and a void kfunc returns 0 (the verifier forbids reading it).
        """
        n = self.nr_slots
        if len(args) < n:
            raise KernelError(f"kfunc {self.name} takes {n} argument slots, "
                              f"the call provided {len(args)}")
        args = tuple(a & U64 for a in args[:n])
        ret = self.impl(vm, *args)
        size = self.proto.model.ret_size
        ret = 0 if size == 0 or ret is None else int(ret) & ((1 << (8 * size)) - 1)
        KernelState.of(vm).calls.append(KfuncCall(self.name, args, ret))
        return ret


@dataclass(frozen=True)
class Helper:
    """A BPF helper by UAPI id (``BPF_FUNC_*``); executors call ``impl(vm, r1..r5)``."""
    name: str
    id: int
    impl: Impl = field(repr=False, compare=False)
    prog_types: frozenset[str] = frozenset({ANY_PROG_TYPE})


@dataclass
class Registry:
    """Every kfunc of the mock kernel, by name and by kernel BTF id."""
    kernel: KernelBtf                       # with kfunc_flags filled in
    kfuncs: dict[str, Kfunc]
    helpers: dict[int, Helper] = field(default_factory=dict)
    build: "KernelBuild | None" = None      # where the kernel BTF object came from

    def kfunc(self, name: str) -> Kfunc:
        try:
            return self.kfuncs[name]
        except KeyError:
            raise KernelError(f"the mock kernel has no kfunc '{name}'") from None

    def by_btf_id(self, btf_id: int) -> Kfunc:
        for k in self.kfuncs.values():
            if k.btf_id == btf_id:
                return k
        raise KernelError(f"no kfunc has kernel BTF id {btf_id}")

    def kfunc_flags(self) -> dict[str, frozenset[str]]:
        return {n: k.flags for n, k in self.kfuncs.items()}

    def kfunc_prog_types(self) -> dict[str, frozenset[str]]:
        """Plain data for the verifier (which must not import this package)."""
        return {n: k.prog_types for n, k in self.kfuncs.items()}

    def allowed(self, name: str, prog_type: str) -> bool:
        return self.kfunc(name).allowed_for(prog_type)

    def kfunc_table(self) -> dict[int, Kfunc]:
        """``btf_id -> callable(vm, *args)``: the ``kfuncs`` table of pipeline.interp."""
        return {k.btf_id: k for k in self.kfuncs.values()}


def resolve(kernel: KernelBtf, defs: list[KfuncDef]) -> Registry:
    """Join kfunc definitions with their kernel BTF prototypes (KernelError on any mismatch)."""
    seen: dict[str, KfuncDef] = {}
    for d in defs:
        if d.name in seen:
            raise KernelError(f"kfunc {d.name} is registered twice "
                              f"({seen[d.name].id_set} and {d.id_set})")
        seen[d.name] = d
    kernel.kfunc_flags = {d.name: d.flags for d in defs}
    out: dict[str, Kfunc] = {}
    for d in defs:
        fn = kernel.func(d.name)
        if fn is None:
            raise KernelError(f"kfunc {d.name} ({d.module}) has no prototype in the kernel BTF "
                              f"{kernel.path}")
        proto = kernel.kfunc(d.name)
        want = _impl_arity(d.impl)
        if want is not None and want != proto.model.nr_slots:
            raise KernelError(f"kfunc {d.name}: the kernel prototype takes {proto.model.nr_slots} "
                              f"argument slots, the implementation {want}")
        out[d.name] = Kfunc(d.name, fn.id, d.flags, d.prog_types, d.module, d.id_set, proto, d.impl)
    return Registry(kernel, out)


def _impl_arity(fn: Impl) -> int | None:
    """Positional parameters after ``vm``; None if the function takes ``*args``."""
    params = list(inspect.signature(fn).parameters.values())[1:]
    if any(p.kind == p.VAR_POSITIONAL for p in params):
        return None
    return len(params)
