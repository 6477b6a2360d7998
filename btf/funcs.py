"""Subprogram argument info, after the kernel's ``btf_prepare_func_args``.

A subprogram is found through .BTF.ext func_info -> FUNC -> FUNC_PROTO.  Each
argument gets a kind (scalar, context pointer, pointer to sized memory,
pointer to a BTF struct, dynptr, arena, by-value struct) and its place in the
stack-argument ABI: arguments take one 8-byte slot, 9..16-byte values take
two; slots 0-4 are r1-r5, slot 5+k-1 is stack slot k (``*(R11-8k)`` at the
caller, ``r11+8k`` in the callee).  At most 12 arguments (7 stack slots).

A function with an argument the kernel cannot describe is returned with
``reliable=False`` and ``problem`` = the kernel's message; for a *global*
function the verifier must reject the program with it (``rejects``), a
*static* one is verified in its caller's context.  Argument and slot counts
are always filled in.  More than 12 arguments/slots, varargs and a missing
prototype raise BtfError.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from isa import stack_args as sa

from . import layout as L
from .errors import BtfError
from .ext import BtfExt
from .graph import Btf

LINKAGE = ("static", "global", "extern")
# struct types the kernel accepts as program context (btf_is_prog_ctx_type);
# the verifier may pass the exact set for a program type
DEFAULT_CTX_TYPES = frozenset({"__sk_buff", "xdp_md", "pt_regs", "bpf_user_pt_regs_t",
                               "bpf_sock_ops", "sk_msg_md", "bpf_sock", "bpf_sock_addr",
                               "bpf_perf_event_data", "bpf_raw_tracepoint_args",
                               "bpf_sysctl", "bpf_sockopt", "sk_reuseport_md", "bpf_sk_lookup",
                               "bpf_cgroup_dev_ctx", "bpf_nf_ctx"})
ARG_TAGS = ("ctx", "trusted", "untrusted", "nonnull", "nullable", "arena")


class ArgKind(str, Enum):
    SCALAR = "scalar"            # ARG_ANYTHING: int/enum
    CTX = "ctx"                  # ARG_PTR_TO_CTX
    MEM = "mem"                  # ARG_PTR_TO_MEM of mem_size bytes (pointee not a struct)
    STRUCT_PTR = "struct_ptr"    # pointer to a BTF struct/union: ARG_PTR_TO_MEM of its size,
                                 # or ARG_PTR_TO_BTF_ID when tagged arg:trusted/untrusted
    DYNPTR = "dynptr"            # struct bpf_dynptr *
    ARENA = "arena"              # arg:arena
    STRUCT = "struct"            # struct/union/__int128 passed by value (1 or 2 slots)
    UNSUPPORTED = "unsupported"  # static functions only: what the kernel marks unreliable


@dataclass(frozen=True)
class ArgSlot:
    """Where one 8-byte piece of an argument travels."""
    index: int          # 0-based over all argument slots

    @property
    def is_stack(self) -> bool:
        return self.index >= sa.MAX_REG_ARGS

    @property
    def stack_slot(self) -> int:
        """1-based stack slot k (caller *(R11-8k), callee r11+8k); 0 for a register."""
        return self.index - sa.MAX_REG_ARGS + 1 if self.is_stack else 0

    @property
    def name(self) -> str:
        """The verifier-log spelling: R1..R5 or *(R11-8k)."""
        if self.is_stack:
            return sa.slot_name(self.stack_slot)
        return f"R{self.index + 1}"


@dataclass(frozen=True)
class SubprogArg:
    index: int
    name: str
    type_id: int
    kind: ArgKind
    size: int                   # bytes of the value passed (8 for pointers)
    slots: tuple[ArgSlot, ...]  # one or two
    mem_size: int = 0           # MEM/STRUCT_PTR: bytes behind the pointer
    pointee_id: int = 0         # pointers: the resolved pointee type id
    nullable: bool = False
    trusted: bool = False
    tags: tuple[str, ...] = ()  # arg:<tag> decl tags, in BTF order

    @property
    def location(self) -> str:
        return self.slots[0].name


@dataclass(frozen=True)
class SubprogInfo:
    name: str
    func_id: int
    proto_id: int
    linkage: str                # static / global / extern
    args: tuple[SubprogArg, ...]
    ret_type_id: int
    section: str = ""
    insn: int = -1              # instruction index inside the section (from func_info)
    reliable: bool = True
    problem: str | None = None  # the kernel's message for what it cannot describe
    main: bool = False          # the program's entry function

    @property
    def is_global(self) -> bool:
        return self.linkage == "global"

    @property
    def rejects(self) -> bool:
        """True when the kernel would refuse this (global, non-main) function's BTF."""
        return self.is_global and not self.main and self.problem is not None

    @property
    def arg_cnt(self) -> int:
        return len(self.args)

    @property
    def nr_slots(self) -> int:
        return sum(len(a.slots) for a in self.args)

    @property
    def stack_arg_cnt(self) -> int:
        """Incoming stack-argument slots (the kernel's stack_arg_cnt for the callee)."""
        return sa.slots_for_args(self.nr_slots)


def _value_size(btf: Btf, tid: int) -> tuple[object, int]:
    t = btf.resolve(tid)
    if t.kind == L.PTR:
        return t, 8
    if t.kind in (L.INT, L.ENUM, L.ENUM64, L.STRUCT, L.UNION, L.FLOAT):
        return t, t.size
    return t, -1


def func_arg_info(btf: Btf, func_id: int, *, section: str = "", insn: int = -1,
                  ctx_types=DEFAULT_CTX_TYPES, main: bool = False) -> SubprogInfo:
    """Argument info for the FUNC ``func_id`` (the core of btf_prepare_func_args).

    ``main``: the program's entry function.  The kernel does not run these
    checks for it (R1 is the context by definition), so problems are recorded,
    not raised, and a pointer first argument is the context.
    """
    fn = btf.type(func_id)
    if fn.kind != L.FUNC:
        raise BtfError(f"BTF of type [{func_id}] doesn't point to KIND_FUNC")
    tname = fn.name
    proto = btf.types[fn.type]
    if proto.kind != L.FUNC_PROTO:
        raise BtfError(f"Invalid type of function {tname}()")
    linkage = LINKAGE[fn.vlen] if fn.vlen < 3 else "unknown"
    is_global = linkage == "global"
    params = proto.params
    nargs = len(params)
    if nargs > sa.MAX_ARGS:
        raise BtfError(f"function {tname}() with {nargs} > {sa.MAX_ARGS} args")
    problems: list[str] = []

    def unsupported(msg: str) -> None:
        # recorded, not raised: one odd function must not hide the others'
        # counts; the verifier rejects a global function that has a problem
        problems.append(msg)

    ret = btf.resolve(proto.type)
    if proto.type and ret.kind not in (L.INT, L.ENUM, L.ENUM64):
        unsupported(f"Global function {tname}() doesn't return scalar. Only those are supported.")

    args = []
    slot = 0
    for i, p in enumerate(params):
        if p.type == 0:
            raise BtfError(f"function {tname}() has variable arguments")
        tags = tuple(d.value[4:] for d in btf.decl_tags(func_id, i) if d.value.startswith("arg:"))
        for tag in tags:
            if not is_global:
                unsupported(f"arg#{i} type tag is not supported in static functions")
            elif tag not in ARG_TAGS:
                raise BtfError(f"arg#{i} has unsupported set of tags")
        t, size = _value_size(btf, p.type)
        if size <= 0:
            unsupported(f"Arg#{i} type {t.kind_name} in {tname}() is not supported yet.")
            size = 8
        nslots = 2 if size > 8 else 1
        if size > 16:
            raise BtfError(f"function {tname}() arg#{i} is a {size}-byte value; at most 16 bytes "
                           f"can be passed by value")
        slots = tuple(ArgSlot(slot + j) for j in range(nslots))
        slot += nslots
        kw = dict(index=i, name=p.name, type_id=p.type, size=size, slots=slots, tags=tags)
        if t.kind == L.PTR and main and i == 0:
            args.append(SubprogArg(kind=ArgKind.CTX, pointee_id=btf.resolve(t.type).id, **kw))
        elif t.kind == L.PTR:
            args.append(_pointer_arg(btf, t, i, tname, tags, is_global, ctx_types, kw, unsupported))
        elif tags:
            unsupported(f"arg#{i} has pointer tag, but is not a pointer type")
            args.append(SubprogArg(kind=ArgKind.UNSUPPORTED, **kw))
        elif t.kind in (L.INT, L.ENUM, L.ENUM64) and size <= 8:
            args.append(SubprogArg(kind=ArgKind.SCALAR, **kw))
        elif t.kind in (L.STRUCT, L.UNION, L.INT):
            # __int128 and small aggregates: legal for the stack-argument ABI
            # (two slots), but the kernel only knows scalars and pointers here
            unsupported(f"Arg#{i} type {t.kind_name} in {tname}() is not supported yet.")
            args.append(SubprogArg(kind=ArgKind.STRUCT, **kw))
        else:
            unsupported(f"Arg#{i} type {t.kind_name} in {tname}() is not supported yet.")
            args.append(SubprogArg(kind=ArgKind.UNSUPPORTED, **kw))
    if slot > sa.MAX_ARGS:
        raise BtfError(f"function {tname}() needs {slot} argument slots, more than "
                       f"{sa.MAX_ARGS} ({sa.MAX_SLOTS} stack args)")
    return SubprogInfo(tname, func_id, proto.id, linkage, tuple(args), proto.type, section, insn,
                       not problems, problems[0] if problems else None, main)


def _pointer_arg(btf, t, i, tname, tags, is_global, ctx_types, kw, unsupported) -> SubprogArg:
    target = btf.resolve(t.type)
    kw["pointee_id"] = target.id
    is_ctx = "ctx" in tags or (target.kind in (L.STRUCT, L.UNION, L.FWD) and target.name in ctx_types)
    if is_ctx:
        if set(tags) - {"ctx"}:
            raise BtfError(f"arg#{i} has invalid combination of tags")
        return SubprogArg(kind=ArgKind.CTX, **kw)
    if target.kind == L.STRUCT and target.name in ("bpf_dynptr", "bpf_dynptr_kern"):
        if tags:
            raise BtfError(f"arg#{i} has invalid combination of tags")
        return SubprogArg(kind=ArgKind.DYNPTR, **kw)
    if "trusted" in tags or "untrusted" in tags:
        return SubprogArg(kind=ArgKind.STRUCT_PTR, trusted="trusted" in tags,
                          nullable="nullable" in tags,
                          mem_size=target.size if target.kind in (L.STRUCT, L.UNION) else 0, **kw)
    if "arena" in tags:
        if set(tags) - {"arena"}:
            raise BtfError(f"arg#{i} arena cannot be combined with any other tags")
        return SubprogArg(kind=ArgKind.ARENA, **kw)
    if "nullable" in tags and is_global:
        raise BtfError(f"arg#{i} has invalid combination of tags")
    try:
        mem = btf.size_of(target.id) if target.id else -1
    except BtfError:
        mem = -1
    if mem < 0:
        unsupported(f"arg#{i} reference type('{target.kind_name} {target.name}') size cannot be "
                    f"determined")
        return SubprogArg(kind=ArgKind.UNSUPPORTED, **kw)
    kind = ArgKind.STRUCT_PTR if target.kind in (L.STRUCT, L.UNION) else ArgKind.MEM
    return SubprogArg(kind=kind, mem_size=mem, nullable="nonnull" not in tags, **kw)


def subprogs(btf: Btf, ext: BtfExt | None, section: str,
             ctx_types=DEFAULT_CTX_TYPES) -> list[SubprogInfo]:
    """Arg info for every subprogram of one code section, in func_info order."""
    if ext is None or section not in ext.func_info:
        raise BtfError(f"no func_info for section '{section}': subprogram prototypes are missing "
                       f"(object built without -g?)")
    return [func_arg_info(btf, fi.type_id, section=section, insn=fi.insn, ctx_types=ctx_types,
                          main=_is_main(section, fi.insn))
            for fi in ext.func_info[section]]


def _is_main(section: str, insn: int) -> bool:
    """The entry of a program section is its first instruction; .text holds only subprogs."""
    return insn == 0 and section != ".text"


def subprog_at(btf: Btf, ext: BtfExt | None, section: str, insn: int,
               ctx_types=DEFAULT_CTX_TYPES) -> SubprogInfo:
    """Arg info for the subprogram starting at instruction index ``insn`` of ``section``."""
    if ext is None or section not in ext.func_info:
        raise BtfError(f"no func_info for section '{section}': missing prototype for insn {insn}")
    fi = ext.func_info_at(section, insn)
    if fi is not None:
        return func_arg_info(btf, fi.type_id, section=section, insn=insn, ctx_types=ctx_types,
                             main=_is_main(section, insn))
    raise BtfError(f"missing prototype: no func_info for '{section}' insn {insn}")


def anonymous_param_problem(btf: Btf) -> str | None:
    """The kernel's BTF-load rejection for a FUNC whose prototype has an unnamed parameter
    (btf_func_check), in its log format, or None.  clang leaves naked functions' parameters
    unnamed; the selftest loader's ``__btf_func_path`` fix-up (tests/support/btf_fixup.py)
    supplies names from a companion object.  Extern FUNCs are
    skipped: libbpf rewrites those before loading.  Computed once per Btf (and again if
    types are added)."""
    memo = getattr(btf, "_anon_param_problem", None)
    if memo is not None and memo[0] == len(btf.types):
        return memo[1]
    problem = _anonymous_param_problem(btf)
    btf._anon_param_problem = (len(btf.types), problem)
    return problem


def _anonymous_param_problem(btf: Btf) -> str | None:
    for t in btf.types:
        if t.kind != L.FUNC or t.vlen == 2:
            continue
        for i, (name_off, ptype) in enumerate(btf.types[t.type].raw):
            if not name_off and ptype:
                return f"[{t.id}] FUNC {t.name} type_id={t.type} Invalid arg#{i + 1}"
    return None
