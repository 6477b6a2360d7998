"""kfunc models, after the kernel's ``btf_distill_func_proto`` and the verifier's
argument classification (``get_kfunc_ptr_arg_type`` and the ``__suffix`` rules).

:func:`distill` gives the JIT-facing model (nr_args, per-argument size and
flags, return size, the slots each argument occupies); :func:`classify` gives
the verifier-facing class of every argument, decided from BTF alone: the
parameter name's suffix (``__sz``, ``__szk``, ``__k``, ``__ign``, ``__str``,
``__uninit``, ``__nullable``, ``__iter``, ``__arena``, ...) and special pointee
types (``struct bpf_dynptr``, ``struct bpf_timer``, list/rbtree nodes, ...).
Choices that need register state (PTR_TO_BTF_ID vs memory, a NULL for
``__nullable``) are left to the verifier, flagged here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from isa import stack_args as sa

from . import layout as L
from .errors import BtfError
from .funcs import ArgSlot
from .graph import Btf

BTF_FMODEL_STRUCT_ARG = 1 << 0
BTF_FMODEL_SIGNED_ARG = 1 << 1
KERNEL_PTR_SIZE = 8
# kernel btf_type_is_modifier() includes typedefs
_SKIP = frozenset({L.TYPEDEF, L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG})


@dataclass(frozen=True)
class FuncModel:
    """struct btf_func_model, plus where each argument travels."""
    name: str
    nr_args: int
    arg_size: tuple[int, ...]
    arg_flags: tuple[int, ...]
    ret_size: int
    ret_flags: int
    arg_slots: tuple[tuple[ArgSlot, ...], ...]

    @property
    def nr_slots(self) -> int:
        return sum(len(s) for s in self.arg_slots)

    @property
    def stack_arg_cnt(self) -> int:
        return sa.slots_for_args(self.nr_slots)


def _skip(btf: Btf, tid: int):
    t = btf.types[tid]
    while t.kind in _SKIP:
        t = btf.types[t.type]
    return t


def _type_size(btf: Btf, tid: int):
    """(__get_type_size) -> (size or -1, resolved type)."""
    if tid == 0:
        return 0, btf.types[0]
    t = _skip(btf, tid)
    if t.kind == L.PTR:
        return KERNEL_PTR_SIZE, t
    if t.kind in (L.INT, L.ENUM, L.ENUM64, L.STRUCT, L.UNION):
        return t.size, t
    return -1, t


def _fmodel_flags(t) -> int:
    flags = 0
    if t.kind in (L.STRUCT, L.UNION):
        flags |= BTF_FMODEL_STRUCT_ARG
    if t.kind == L.INT and t.int_encoding & 1:
        flags |= BTF_FMODEL_SIGNED_ARG
    return flags


def _kind_str(t) -> str:
    return L.KIND_NAMES[t.kind] if t.id else "void"


def distill(btf: Btf, func_or_proto_id: int, name: str | None = None) -> FuncModel:
    """btf_distill_func_proto: BtfError with the kernel's wording on unsupported protos."""
    t = btf.type(func_or_proto_id)
    if t.kind == L.FUNC:
        name = name or t.name
        t = btf.types[t.type]
    if t.kind != L.FUNC_PROTO:
        raise BtfError(f"type [{func_or_proto_id}] is not a function prototype")
    name = name or "(anon)"
    params = t.raw
    nargs = len(params)
    if nargs > sa.MAX_ARGS:
        raise BtfError(f"The function {name} has {nargs} arguments. Too many.")
    ret, rt = _type_size(btf, t.type)
    if ret < 0 or rt.kind in (L.STRUCT, L.UNION):
        raise BtfError(f"The function {name} return type {_kind_str(rt)} is unsupported.")
    sizes, flags, slots = [], [], []
    slot = 0
    for i, (_, pt) in enumerate(params):
        if i == nargs - 1 and pt == 0:
            raise BtfError(f"The function {name} with variable args is unsupported.")
        size, at = _type_size(btf, pt)
        if size < 0 or size > 16:
            raise BtfError(f"The function {name} arg{i} type {_kind_str(at)} is unsupported.")
        if size == 0:
            raise BtfError(f"The function {name} has malformed void argument.")
        sizes.append(size)
        flags.append(_fmodel_flags(at))
        n = 2 if size > 8 else 1
        slots.append(tuple(ArgSlot(slot + j) for j in range(n)))
        slot += n
    if slot > sa.MAX_ARGS:
        raise BtfError(f"The function {name} needs {slot} argument slots. Too many.")
    return FuncModel(name, nargs, tuple(sizes), tuple(flags), ret, _fmodel_flags(rt), tuple(slots))


# ---- verifier argument classes ------------------------------------------------------

class KfArg(str, Enum):
    SCALAR = "scalar"
    CONST_SCALAR = "const_scalar"        # __k: must be a known constant
    MEM_SIZE = "mem_size"                # __sz: size of the previous memory argument
    CONST_MEM_SIZE = "const_mem_size"    # __szk: constant size of the previous argument
    IGNORE = "ignore"                    # __ign: not checked
    STRUCT_BY_VALUE = "struct_by_value"  # not a kernel-accepted kfunc argument
    CTX = "ctx"
    DYNPTR = "dynptr"
    ITER = "iter"
    LIST_HEAD = "list_head"
    LIST_NODE = "list_node"
    RB_ROOT = "rb_root"
    RB_NODE = "rb_node"
    CONST_STR = "const_str"              # __str
    MAP = "map"                          # __map
    WORKQUEUE = "workqueue"
    TIMER = "timer"
    IRQ_FLAG = "irq_flag"
    RES_SPIN_LOCK = "res_spin_lock"
    ALLOC_OBJ = "alloc_obj"              # __alloc
    REFCOUNTED_KPTR = "refcounted_kptr"  # __refcounted_kptr
    CALLBACK = "callback"                # pointer to a function prototype
    BTF_ID_OR_MEM = "btf_id_or_mem"      # pointer to a struct: BTF_ID if the register is, else memory
    MEM = "mem"                          # pointer to scalar(s)
    MEM_WITH_SIZE = "mem_with_size"      # memory whose size is the next (__sz/__szk) argument
    ARENA = "arena"                      # __arena


SPECIAL_STRUCTS = {
    "bpf_dynptr": KfArg.DYNPTR, "bpf_dynptr_kern": KfArg.DYNPTR,
    "bpf_list_head": KfArg.LIST_HEAD, "bpf_list_node": KfArg.LIST_NODE,
    "bpf_rb_root": KfArg.RB_ROOT, "bpf_rb_node": KfArg.RB_NODE,
    "bpf_wq": KfArg.WORKQUEUE, "bpf_timer": KfArg.TIMER,
    "bpf_res_spin_lock": KfArg.RES_SPIN_LOCK,
}
SUFFIXES = ("__sz", "__szk", "__k", "__ign", "__str", "__uninit", "__nullable", "__iter",
            "__arena", "__opt", "__map", "__alloc", "__refcounted_kptr", "__irq_flag", "__prog")


@dataclass(frozen=True)
class KfuncArg:
    index: int
    name: str
    type_id: int
    cls: KfArg
    size: int
    flags: int
    slots: tuple[ArgSlot, ...]
    suffixes: frozenset[str] = field(default_factory=frozenset)
    pointee_id: int = 0

    @property
    def location(self) -> str:
        return self.slots[0].name

    @property
    def nullable(self) -> bool:
        return "__nullable" in self.suffixes

    @property
    def uninit(self) -> bool:
        return "__uninit" in self.suffixes


@dataclass(frozen=True)
class KfuncProto:
    model: FuncModel
    args: tuple[KfuncArg, ...]
    func_id: int
    ret_type_id: int
    kflags: frozenset[str] = frozenset()   # KF_ACQUIRE, KF_RELEASE, KF_RET_NULL, KF_ITER_NEW, ...

    @property
    def name(self) -> str:
        return self.model.name


def _match_suffix(name: str, suffix: str) -> bool:
    return len(name) > len(suffix) and name.endswith(suffix)


def _suffixes(name: str) -> frozenset[str]:
    return frozenset(s for s in SUFFIXES if _match_suffix(name, s))


def classify(btf: Btf, func_id: int, kflags=frozenset(),
             ctx_types=None) -> KfuncProto:
    """Model and per-argument classes of the kfunc FUNC ``func_id``."""
    from .funcs import DEFAULT_CTX_TYPES
    ctx_types = DEFAULT_CTX_TYPES if ctx_types is None else ctx_types
    fn = btf.type(func_id)
    if fn.kind != L.FUNC:
        raise BtfError(f"type [{func_id}] is not a FUNC")
    model = distill(btf, func_id)
    proto = btf.types[fn.type]
    params = proto.params
    kflags = frozenset(kflags)
    iter_kfunc = bool(kflags & {"KF_ITER_NEW", "KF_ITER_NEXT", "KF_ITER_DESTROY"})
    out = []
    for i, p in enumerate(params):
        sfx = _suffixes(p.name)
        t = _skip(btf, p.type)
        common = dict(index=i, name=p.name, type_id=p.type, size=model.arg_size[i],
                      flags=model.arg_flags[i], slots=model.arg_slots[i], suffixes=sfx)
        if "__ign" in sfx:
            out.append(KfuncArg(cls=KfArg.IGNORE, **common))
            continue
        if t.kind != L.PTR:
            if t.kind in (L.STRUCT, L.UNION):
                cls = KfArg.STRUCT_BY_VALUE
            elif "__szk" in sfx:
                cls = KfArg.CONST_MEM_SIZE
            elif "__sz" in sfx:
                cls = KfArg.MEM_SIZE
            elif "__k" in sfx:
                cls = KfArg.CONST_SCALAR
            else:
                cls = KfArg.SCALAR
            out.append(KfuncArg(cls=cls, **common))
            continue
        ref = _skip(btf, t.type)
        common["pointee_id"] = ref.id
        out.append(KfuncArg(cls=_ptr_class(btf, i, params, sfx, ref, iter_kfunc, ctx_types), **common))
    return KfuncProto(model, tuple(out), func_id, proto.type, kflags)


def _ptr_class(btf, i, params, sfx, ref, iter_kfunc, ctx_types) -> KfArg:
    name = ref.name if ref.kind in (L.STRUCT, L.UNION, L.FWD) else ""
    if name in ctx_types:
        return KfArg.CTX
    if "__alloc" in sfx:
        return KfArg.ALLOC_OBJ
    if "__refcounted_kptr" in sfx:
        return KfArg.REFCOUNTED_KPTR
    if name in ("bpf_dynptr", "bpf_dynptr_kern"):
        return KfArg.DYNPTR
    if (i == 0 if iter_kfunc else "__iter" in sfx):
        return KfArg.ITER
    if name in SPECIAL_STRUCTS and SPECIAL_STRUCTS[name] not in (KfArg.DYNPTR, KfArg.TIMER,
                                                                 KfArg.WORKQUEUE, KfArg.RES_SPIN_LOCK):
        return SPECIAL_STRUCTS[name]
    if "__str" in sfx:
        return KfArg.CONST_STR
    if "__map" in sfx:
        return KfArg.MAP
    if name in SPECIAL_STRUCTS:
        return SPECIAL_STRUCTS[name]
    if "__irq_flag" in sfx:
        return KfArg.IRQ_FLAG
    if "__arena" in sfx:
        return KfArg.ARENA
    if ref.kind == L.FUNC_PROTO:
        return KfArg.CALLBACK
    nxt = _suffixes(params[i + 1].name) if i + 1 < len(params) else frozenset()
    if nxt & {"__sz", "__szk"} and _skip(btf, params[i + 1].type).kind != L.PTR:
        return KfArg.MEM_WITH_SIZE
    if ref.kind in (L.STRUCT, L.UNION, L.FWD):
        return KfArg.BTF_ID_OR_MEM
    return KfArg.MEM
