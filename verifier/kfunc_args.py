"""kfunc argument checks (kernel: check_kfunc_args and its helpers).

Every argument of a kfunc call is checked against the kernel-side BTF
prototype (classified by :func:`btf.kfuncs.classify`), wherever it travels:
in R1-R5 or in an outgoing stack-argument slot ``*(R11-8k)``.  Messages
name the argument the way the kernel does (``R3``, ``*(R11-16)``, or
``arg#N`` where the kernel counts arguments).

An argument is addressed by its *location* (:mod:`verifier.call_args`):
``("reg", regno)`` or ``("slot", k)``.  The checks shared with helper calls
(:mod:`verifier.call_args`, :mod:`verifier.mem`, :mod:`verifier.stack`)
work on register numbers, so a slot's register state is lent to them as a
scratch register 11 of the current frame for the duration of one check
(:func:`verifier.call_args.lend`) - always given back, also when the check fails, and with
``R11`` in any message renamed to the slot's name.  (The four bugs of the
v1 review are what this module is careful about: each argument is read
from its own location, the lent state is restored on every path, and a
mem/size pair is looked up by argument, not by ``regno + 1``.)

Special arguments: dynptrs (``struct bpf_dynptr *``, ``__uninit`` to
create one), open-coded iterators (``KF_ITER_*`` first argument or
``__iter``), ``struct bpf_timer *`` in a map value, ``__str`` constant
strings in a frozen read-only map, ``__k`` constants, ``__nullable``,
mem + ``__sz``/``__szk`` pairs, PTR_TO_BTF_ID objects (acquire/release).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from btf import layout as L
from btf.kfuncs import KfArg
from isa.ints import s64
from verifier import graph
from verifier import helpers as H
from verifier import regtypes as T
from verifier.btf_access import reg_btf_type, skip_mods, struct_ids_match
from verifier.call_args import (check_func_arg_reg_off, check_mem_reg_at, check_rw_access_at,
                                check_timer, is_null, lend, loc_name, location, reg_at)
from verifier.env import BPF_MAX_VAR_SIZ, Env
from verifier.errors import EACCES, EFAULT, EINVAL, ENOTSUPP, VerifierError
from verifier.mem import check_map_access, check_mem_access
from verifier.precision import mark_chain_precision, mark_stack_arg_precision
from verifier.refs import acquire_reference, release_reference
from verifier.scalar import Scalar
from verifier.state import BPF_REG_SIZE, EMPTY_SLOT, ITER_ACTIVE, STACK_ITER, Reg, Slot
from verifier import dynptr
from verifier.dynptr_slots import info as dynptr_info, stack_obj_spi

# register types the kernel maps to a BTF struct (reg2btf_ids)
REG2BTF = {T.PTR_TO_SOCKET: "sock", T.PTR_TO_SOCK_COMMON: "sock_common",
           T.PTR_TO_TCP_SOCK: "tcp_sock", T.CONST_PTR_TO_MAP: "bpf_map"}
_UNSUPPORTED = {KfArg.WORKQUEUE, KfArg.IRQ_FLAG, KfArg.RES_SPIN_LOCK}
# local objects and graphs (verifier.graph): the argument class -> the kernel's field name
_GRAPH = {KfArg.LIST_HEAD: "bpf_list_head", KfArg.LIST_NODE: "bpf_list_node",
          KfArg.RB_ROOT: "bpf_rb_root", KfArg.RB_NODE: "bpf_rb_node"}


@dataclass
class CallMeta:
    """kernel: bpf_kfunc_call_arg_meta (what the argument loop found out)."""
    name: str
    btf_id: int
    flags: frozenset
    kernel_btf: object                 # btf.graph.Btf of the kernel
    ref_obj_id: int = 0
    release_loc: tuple | None = None
    arg_constant: int | None = None
    r0_size: int = 0
    r0_rdonly: bool = False
    iter_loc: tuple | None = None       # (frameno, spi) of the iterator argument
    dynptr_type: str | None = None
    map: object = None
    extra: dict = field(default_factory=dict)

    @property
    def release(self) -> bool:
        return "KF_RELEASE" in self.flags

    @property
    def acquire(self) -> bool:
        return "KF_ACQUIRE" in self.flags

    def iter_kind(self) -> str | None:
        for f in ("KF_ITER_NEW", "KF_ITER_NEXT", "KF_ITER_DESTROY"):
            if f in self.flags:
                return f
        return None


# --- locations ------------------------------------------------------------------------------


# --- small predicates -------------------------------------------------------------------------


def _unsafe(t: int) -> bool:
    return bool(t & (T.PTR_UNTRUSTED | T.MEM_USER | T.MEM_PERCPU))


def is_trusted(r: Reg) -> bool:
    """kernel: is_trusted_reg."""
    if r.ref_obj_id:
        return True
    if T.base(r.type) in REG2BTF and not _unsafe(r.type):
        return True
    return bool(r.type & (T.PTR_TRUSTED | T.MEM_ALLOC)) and not _unsafe(r.type)


def _is_scalar_type(t) -> bool:
    return t.kind in (L.INT, L.ENUM, L.ENUM64)


def _scalar_struct(env: Env, btf, t, rec: int) -> bool:
    """kernel: __btf_type_is_scalar_struct."""
    if t.kind not in (L.STRUCT, L.UNION):
        return False
    for m in t.members:
        mt = skip_mods(btf, m.type)
        if mt.kind in (L.STRUCT, L.UNION):
            if rec >= 3:
                return False
            if not _scalar_struct(env, btf, mt, rec + 1):
                return False
            continue
        if mt.kind == L.ARRAY:
            et, _, n = mt.array
            if not n or not _is_scalar_type(skip_mods(btf, et)):
                return False
            continue
        if not _is_scalar_type(mt):
            return False
    return True


def _optional(arg) -> bool:
    """``__nullable``, or ``__opt`` (kernel: is_kfunc_arg_optional - a buffer the kfunc
    may go without, as bpf_dynptr_slice's)."""
    return arg.nullable or "__opt" in arg.suffixes


def _kind_str(t) -> str:
    return L.KIND_NAMES[t.kind] if t.id else "void"


# --- memory through a pointer ----------------------------------------------------------------


def _check_mem_size(env: Env, mem_loc: tuple, size_loc: tuple) -> None:
    """kernel: check_kfunc_mem_size_reg / check_mem_size_reg (zero size
    allowed), read then write, with each half at its own location."""
    size = reg_at(env, size_loc)
    sname = loc_name(size_loc)
    s = size.s
    if size.type != T.SCALAR:
        raise VerifierError(f"{sname} is not a scalar", EINVAL)
    if s.smin < 0:
        raise VerifierError(f"{sname} min value is negative, either use unsigned or "
                            f"'var &= const'")
    if s.umax >= BPF_MAX_VAR_SIZ:
        raise VerifierError(f"{sname} unbounded memory access, use 'var &= const' or "
                            f"'if (var < const)'")
    check_rw_access_at(env, mem_loc, s.umax)
    _mark_precise(env, size_loc)


def _mark_precise(env: Env, loc: tuple) -> None:
    """The scalar at ``loc`` is used for its value (kernel: mark_chain_precision
    / mark_stack_arg_precision)."""
    if loc[0] == "reg":
        mark_chain_precision(env, loc[1])
    else:
        mark_stack_arg_precision(env, loc[1])


# --- stack objects: dynptrs and iterators -------------------------------------------------------

def _stack_obj_spi(env: Env, reg: Reg, kind: str, nr_slots: int) -> int:
    return stack_obj_spi(env, reg, kind, nr_slots)


def _live_read(env: Env, frameno: int, spi: int) -> None:
    if env.liveness is not None:
        env.liveness.mark_read(env, frameno, spi)


def _stack_writes(env: Env, loc: tuple, nbytes: int, insn) -> None:
    """The object's bytes are written (kernel: check_mem_access BPF_DW writes)."""
    with lend(env, loc) as regno:
        for i in range(0, nbytes, BPF_REG_SIZE):
            check_mem_access(env, regno, i, BPF_REG_SIZE, True, -1, False, False, insn)


def process_dynptr(env: Env, loc: tuple, argno: int, uninit: bool, meta: CallMeta,
                   insn) -> None:
    """kernel: the KF_ARG_PTR_TO_DYNPTR case of check_kfunc_args (verifier.dynptr): the
    constructors name the type they make, a clone takes its parent's type and reference."""
    reg = reg_at(env, loc)
    kind, clone_ref = None, 0
    if uninit and meta is not None:
        kind = meta.dynptr_type
        parent = meta.extra.get("dynptr")
        if meta.name == "bpf_dynptr_clone" and parent is not None:
            kind, clone_ref = parent[1], parent[2]
    dynptr.process_dynptr(env, loc, argno + 1, insn, uninit=uninit,
                          rdonly=reg.type == T.CONST_PTR_TO_DYNPTR, kind=kind,
                          clone_ref_obj_id=clone_ref)
    if not uninit and meta is not None:
        meta.extra["dynptr"] = dynptr_info(env, reg_at(env, loc))


def _iter_name(tname: str) -> str:
    return tname[len("bpf_iter_"):] if tname.startswith("bpf_iter_") else tname


def iter_slot(env: Env, reg: Reg, nr_slots: int):
    f = env.func_of(reg)
    spi = _stack_obj_spi(env, reg, "iter", nr_slots)
    return f, spi


def process_iter(env: Env, loc: tuple, argno: int, arg, meta: CallMeta, insn) -> None:
    """kernel: process_iter_arg."""
    reg = reg_at(env, loc)
    if reg.type != T.PTR_TO_STACK:
        raise VerifierError(f"arg#{argno} expected pointer to an iterator on stack", EINVAL)
    kbtf = meta.kernel_btf
    it = skip_mods(kbtf, arg.pointee_id) if arg.pointee_id else None
    if it is None or it.kind != L.STRUCT or not it.size or it.size % BPF_REG_SIZE:
        raise VerifierError(f"arg#{argno} expected valid iterator", EINVAL)
    tname = it.name
    nr_slots = it.size // BPF_REG_SIZE
    if meta.iter_kind() == "KF_ITER_NEW":
        ok = True
        try:
            spi = _stack_obj_spi(env, reg, "iter", nr_slots)
        except VerifierError as e:
            raise VerifierError(f"expected uninitialized iter_{_iter_name(tname)} as arg "
                                f"#{argno}", EINVAL, (e.message,)) from None
        if spi >= 0:
            f = env.func_of(reg)
            for i in range(nr_slots):
                if STACK_ITER in f.stack[spi - i].types:
                    ok = False
        if not ok:
            raise VerifierError(f"expected uninitialized iter_{_iter_name(tname)} as arg "
                                f"#{argno}", EINVAL)
        _stack_writes(env, loc, 8 * nr_slots, insn)
        reg = reg_at(env, loc)
        f = env.func_of(reg)
        spi = _stack_obj_spi(env, reg, "iter", nr_slots)
        rid = acquire_reference(env, env.insn_idx)
        for i in range(nr_slots):
            fake = Reg(T.PTR_TO_STACK, Scalar.const(0), btf_name=tname, range=ITER_ACTIVE,
                       id=rid if i == 0 else 0, ref_obj_id=rid if i == 0 else 0,
                       frameno=f.frameno)
            f.stack[spi - i] = Slot((STACK_ITER,) * BPF_REG_SIZE, fake)
            env.scratch_stack(spi - i)
            _live_read(env, f.frameno, spi - i)
        return
    bad = VerifierError(f"expected an initialized iter_{_iter_name(tname)} as arg #{argno}",
                        EINVAL)
    try:
        spi = _stack_obj_spi(env, reg, "iter", nr_slots)
    except VerifierError:
        raise bad from None
    if spi < 0:
        raise bad
    f = env.func_of(reg)
    for i in range(nr_slots):
        s = f.stack[spi - i]
        sp = s.spilled
        if s.types != (STACK_ITER,) * BPF_REG_SIZE or sp.btf_name != tname:
            raise bad
        if (i == 0) != bool(sp.ref_obj_id):
            raise bad
    for i in range(nr_slots):
        _live_read(env, f.frameno, spi - i)
        env.scratch_stack(spi - i)
    meta.iter_loc = (f.frameno, spi, nr_slots)
    meta.ref_obj_id = f.stack[spi].spilled.ref_obj_id
    if meta.iter_kind() == "KF_ITER_DESTROY":
        release_reference(env, f.stack[spi].spilled.ref_obj_id)
        for i in range(nr_slots):
            f.stack[spi - i] = EMPTY_SLOT


# --- const strings -------------------------------------------------------------------------------

def check_const_str(env: Env, loc: tuple) -> None:
    """kernel: check_reg_const_str."""
    reg = reg_at(env, loc)
    name = loc_name(loc)
    m = reg.map
    if not (m.rdonly_prog and m.frozen):
        raise VerifierError(f"{name} does not point to a readonly map'")
    if reg.s.var_off.mask != 0:
        raise VerifierError(f"{name} is not a constant address'")
    if m.map_type != "array":
        raise VerifierError("no direct value access support for this map type")
    with lend(env, loc) as regno:
        check_map_access(env, regno, reg.off, m.value_size - reg.off, False, direct=False)
    off = reg.off + s64(reg.s.var_off.value)
    data = (m.initial_value or b"").ljust(m.value_size, b"\0")
    if b"\0" not in data[off:m.value_size]:
        raise VerifierError("string is not zero-terminated", EINVAL)


# --- the argument loop --------------------------------------------------------------------------

def _ptr_arg_type(env: Env, meta: CallMeta, arg, reg: Reg, i: int) -> str:
    """kernel: get_kfunc_ptr_arg_type (after the class BTF alone decides)."""
    c = arg.cls
    kbtf = meta.kernel_btf
    ref = skip_mods(kbtf, arg.pointee_id) if arg.pointee_id else kbtf.types[0]
    if c == KfArg.CTX and (env.ctx is None or ref.name == env.ctx.struct):
        return "ctx"
    if c == KfArg.CTX:
        # another program type's context (btf_is_prog_ctx_type says no): an
        # ordinary struct pointer from here on
        c = KfArg.BTF_ID_OR_MEM
    if arg.nullable and is_null(reg):
        return "null"
    if c == KfArg.ALLOC_OBJ:
        return "alloc_obj"
    if c == KfArg.REFCOUNTED_KPTR:
        return "refcounted_kptr"
    if c == KfArg.DYNPTR:
        return "dynptr"
    if c == KfArg.ITER:
        return "iter"
    if c in _GRAPH:
        return "graph"
    if c == KfArg.CALLBACK and meta.name == "bpf_rbtree_add_impl":
        return "callback"          # the only callback-taking kfunc modelled (verifier.graph)
    if c in _UNSUPPORTED or c == KfArg.CALLBACK:
        raise VerifierError(f"kernel function {meta.name} arg#{i}: {c.value} arguments are not "
                            f"supported by this verifier", ENOTSUPP)
    if c == KfArg.CONST_STR:
        return "const_str"
    if c == KfArg.MAP:
        return "map"
    if c == KfArg.TIMER:
        return "timer"
    if c == KfArg.ARENA:
        return "arena"
    if T.base(reg.type) == T.PTR_TO_BTF_ID or T.base(reg.type) in REG2BTF:
        if ref.kind not in (L.STRUCT, L.UNION):
            raise VerifierError(f"kernel function {meta.name} args#{i} pointer type "
                                f"{_kind_str(ref)} {ref.name} is not supported", EINVAL)
        return "btf_id"
    pair = c == KfArg.MEM_WITH_SIZE
    void = ref.id == 0
    if not _is_scalar_type(ref) and not _scalar_struct(env, kbtf, ref, 0) and not (pair and void):
        raise VerifierError(f"arg#{i} pointer type {_kind_str(ref)} {ref.name} must point to "
                            f"{'void, ' if pair else ''}scalar, or struct with scalar", EINVAL)
    return "mem_size" if pair else "mem"


def check_kfunc_args(env: Env, proto, meta: CallMeta, insn) -> None:
    """kernel: check_kfunc_args - every argument at its own location."""
    args = proto.args
    nargs = len(args)
    i = 0
    while i < nargs:
        arg = args[i]
        loc = location(arg)
        name = loc_name(loc)
        c = arg.cls
        if c == KfArg.IGNORE or "__prog" in arg.suffixes:
            i += 1
            continue
        reg = reg_at(env, loc)
        if reg.type == T.NOT_INIT:
            # slots were checked for the whole call already (callee expects ...)
            raise VerifierError(f"{name} !read_ok")
        if c in (KfArg.SCALAR, KfArg.CONST_SCALAR, KfArg.MEM_SIZE, KfArg.CONST_MEM_SIZE):
            if reg.type != T.SCALAR:
                raise VerifierError(f"{name} is not a scalar", EINVAL)
            if c == KfArg.CONST_SCALAR:
                if reg.s.var_off.mask != 0:
                    raise VerifierError(f"{name} must be a known constant", EINVAL)
                _mark_precise(env, loc)
                meta.arg_constant = reg.s.var_off.value
                if arg.name in ("rdonly_buf_size", "rdwr_buf_size"):
                    meta.r0_size = reg.s.var_off.value
                    meta.r0_rdonly = arg.name == "rdonly_buf_size"
            i += 1
            continue
        if c == KfArg.STRUCT_BY_VALUE:
            t = skip_mods(meta.kernel_btf, arg.type_id)
            raise VerifierError(f"Unrecognized {name} type {_kind_str(t)}", EINVAL)
        if c == KfArg.ARENA and loc[0] == "slot":
            raise VerifierError("arena pointer cannot be a stack argument", EINVAL)
        if (is_null(reg) or reg.type & T.PTR_MAYBE_NULL) and not _optional(arg):
            raise VerifierError(f"Possibly NULL pointer passed to trusted arg{i}", EACCES)
        if reg.ref_obj_id:
            if meta.release and meta.ref_obj_id:
                raise VerifierError(f"verifier internal error: more than one arg with "
                                    f"ref_obj_id {name} {reg.ref_obj_id} {meta.ref_obj_id}",
                                    EFAULT)
            meta.ref_obj_id = reg.ref_obj_id
            if meta.release:
                meta.release_loc = loc
        kt = _ptr_arg_type(env, meta, arg, reg, i)
        if kt == "null":
            i += 1
            continue
        if kt in ("btf_id", "alloc_obj") and not is_trusted(reg):
            if "KF_RCU" not in meta.flags:
                raise VerifierError(f"{name} must be referenced or trusted", EINVAL)
            if not reg.type & T.MEM_RCU:
                raise VerifierError(f"{name} must be a rcu pointer", EINVAL)
        arg_type = H.RELEASE if (meta.release and reg.ref_obj_id) else 0
        if kt != "arena":
            with lend(env, loc) as regno:
                check_func_arg_reg_off(env, reg, regno, arg_type)
        if kt == "ctx":
            if reg.type != T.PTR_TO_CTX:
                raise VerifierError(f"arg#{i} expected pointer to ctx, but got "
                                    f"{T.type_str(reg.type)}", EINVAL)
        elif kt == "dynptr":
            process_dynptr(env, loc, i, arg.uninit, meta, insn)
        elif kt == "iter":
            process_iter(env, loc, i, arg, meta, insn)
        elif kt == "btf_id":
            _check_btf_id(env, meta, arg, reg, loc, i)
        elif kt == "alloc_obj":
            graph.arg_alloc_obj(env, meta, reg, i)
        elif kt == "refcounted_kptr":
            graph.arg_refcounted_kptr(env, meta, reg, i)
        elif kt == "callback":
            graph.arg_callback(env, meta, reg, i)
        elif kt == "graph":
            kind = _GRAPH[c]
            if kind in ("bpf_list_head", "bpf_rb_root"):
                graph.arg_graph_root(env, meta, reg, loc, i, kind)
            else:
                graph.arg_graph_node(env, meta, reg, loc, i, kind)
        elif kt == "mem":
            kbtf = meta.kernel_btf
            try:
                size = kbtf.size_of(arg.pointee_id)
            except Exception as e:  # noqa: BLE001 - unsized pointee
                ref = skip_mods(kbtf, arg.pointee_id)
                raise VerifierError(f"arg#{i} reference type('{_kind_str(ref)} {ref.name}') "
                                    f"size cannot be determined: -22", EINVAL) from e
            check_mem_reg_at(env, loc, size)
        elif kt == "mem_size":
            if i + 1 >= nargs:
                raise VerifierError(f"arg#{i} memory without a size argument", EINVAL)
            size_arg = args[i + 1]
            size_loc = location(size_arg)
            size_reg = reg_at(env, size_loc)
            if not (is_null(reg) and _optional(arg)):
                try:
                    _check_mem_size(env, loc, size_loc)
                except VerifierError as e:
                    raise VerifierError(f"arg#{i} arg#{i + 1} memory, len pair leads to invalid "
                                        f"memory access", e.errno,
                                        (*e.lines, e.message)) from None
            if size_arg.cls == KfArg.CONST_MEM_SIZE:
                if size_reg.s.var_off.mask != 0:
                    raise VerifierError(f"{loc_name(size_loc)} must be a known constant",
                                        EINVAL)
                meta.arg_constant = size_reg.s.var_off.value
            i += 1          # the size argument is done
        elif kt == "const_str":
            if reg.type != T.PTR_TO_MAP_VALUE:
                raise VerifierError(f"arg#{i} doesn't point to a const string", EINVAL)
            check_const_str(env, loc)
        elif kt == "timer":
            if reg.type != T.PTR_TO_MAP_VALUE:
                raise VerifierError(f"arg#{i} doesn't point to a map value", EINVAL)
            with lend(env, loc) as regno:
                check_timer(env, regno, meta)
        elif kt == "map":
            if reg.type != T.CONST_PTR_TO_MAP or reg.map is None:
                raise VerifierError(f"pointer in {name} isn't map pointer", EINVAL)
            meta.map = reg.map
        elif kt == "arena":
            if reg.type not in (T.PTR_TO_ARENA, T.SCALAR):
                raise VerifierError(f"arg#{i} expected pointer to arena, but got "
                                    f"{T.type_str(reg.type)}", EINVAL)
        i += 1
    if meta.release and meta.release_loc is None:
        raise VerifierError(f"release kernel function {meta.name} expects refcounted "
                            f"PTR_TO_BTF_ID", EINVAL)


def _check_btf_id(env: Env, meta: CallMeta, arg, reg: Reg, loc: tuple, i: int) -> None:
    """kernel: the KF_ARG_PTR_TO_BTF_ID case and process_kf_arg_ptr_to_btf_id."""
    b = T.base(reg.type)
    if (b != T.PTR_TO_BTF_ID or (_unsafe(reg.type) and not reg.type & T.MEM_RCU)) \
            and b not in REG2BTF:
        want = T.type_str(b | (reg.type & (T.PTR_TRUSTED | T.MEM_ALLOC)))
        raise VerifierError(f"arg#{i} is {T.type_str(reg.type)} expected {want} or socket",
                            EINVAL)
    kbtf = meta.kernel_btf
    ref = skip_mods(kbtf, arg.pointee_id)
    have = REG2BTF.get(b) or reg.btf_name
    if b in REG2BTF:
        btf, t = kbtf, next((x for x in kbtf.find(have) if x.kind == L.STRUCT), None)
    else:
        btf, t = reg_btf_type(env, reg)
    strict = meta.release and bool(reg.ref_obj_id)
    if not struct_ids_match(btf, t, reg.off, ref.name, strict):
        raise VerifierError(f"kernel function {meta.name} args#{i} expected pointer to "
                            f"{_kind_str(ref)} {ref.name} but {loc_name(loc)} has a pointer to "
                            f"STRUCT {have}", EINVAL)


__all__ = ["CallMeta", "check_kfunc_args", "process_dynptr", "process_iter", "check_const_str"]
