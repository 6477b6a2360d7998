"""Helper calls: argument checks against the prototype, then the call's effects.

Mirrors the kernel's ``check_helper_call`` / ``check_func_arg``: each of
R1-R5 is checked against its argument kind (type compatibility with the
kernel's ``expected=...`` lists, map key/value sizes, memory+size pairs,
context pointers, releasable references), then the helper's effects are
applied: raw memory marked written, references released or acquired,
callbacks scheduled (bpf_loop, timers), caller-saved registers clobbered,
R0 set from the return type (:mod:`verifier.helper_ret`), the map checked against
the helper (:mod:`verifier.map_compat`), packet pointers invalidated when the helper
may move packet data.
"""

from __future__ import annotations

from isa.uapi import HELPER_IDS, PROG_TYPE_IDS
from verifier import calls as C
from verifier import graph
from verifier import helpers as H
from verifier import kptr, local_obj
from verifier import regtypes as T
from verifier.bprintf import format_ok
from verifier.btf_access import check_helper_btf_arg, check_helper_mem_btf
from verifier.call_args import (ANY_OFF, check_func_arg_reg_off, check_helper_mem_access,
                                check_timer, is_null)
from verifier.dynptr import check_release_arg, process_dynptr
from verifier.dynptr_slots import info as dynptr_info, unmark_slots
from verifier.env import BPF_MAX_VAR_SIZ, Env
from verifier.errors import EACCES, EINVAL, ENOTSUPP, VerifierError
from verifier.helper_ret import INT_SPECIAL, map_value_reg, return_reg
from verifier.helpers import func_name
from verifier.map_compat import MAP_FUNC_OK, check_map_func_compatibility
from verifier.mem import (check_map_access, check_mem_access, check_ptr_alignment,
                          may_access_direct_pkt_data)
from verifier.precision import Backtrack, mark_chain_precision, mark_chain_precision_batch
from verifier.precision_window import ends_in_window
from verifier.rcu import helper_regions
from verifier.refs import check_resource_leak, clear_all_pkt_pointers, release_reference
from verifier.sleepable import in_sleepable
from verifier.stack import check_stack_range_initialized
from verifier.state import NOT_INIT_REG, STACK_SPILL, STACK_ZERO, UNKNOWN_SCALAR, Ref, Reg

CALLER_SAVED = (0, 1, 2, 3, 4, 5)
BPF_FUNC_get_func_ip = HELPER_IDS["get_func_ip"]

_MEM_TYPES = (T.PTR_TO_STACK, T.PTR_TO_PACKET, T.PTR_TO_PACKET_META, T.PTR_TO_MAP_KEY,
              T.PTR_TO_MAP_VALUE, T.PTR_TO_MEM, T.PTR_TO_MEM | T.MEM_RINGBUF, T.PTR_TO_BUF,
              T.PTR_TO_BTF_ID | T.PTR_TRUSTED)
_SOCK_TYPES = (T.PTR_TO_SOCK_COMMON, T.PTR_TO_SOCKET, T.PTR_TO_TCP_SOCK, T.PTR_TO_XDP_SOCK)
_COMPATIBLE = {
    H.ARG_PTR_TO_MAP_KEY: _MEM_TYPES,
    H.ARG_PTR_TO_MAP_VALUE: _MEM_TYPES,
    H.ARG_CONST_SIZE: (T.SCALAR,),
    H.ARG_CONST_SIZE_OR_ZERO: (T.SCALAR,),
    H.ARG_CONST_ALLOC_SIZE_OR_ZERO: (T.SCALAR,),
    H.ARG_CONST_MAP_PTR: (T.CONST_PTR_TO_MAP,),
    H.ARG_PTR_TO_CTX: (T.PTR_TO_CTX,),
    H.ARG_PTR_TO_SOCK_COMMON: _SOCK_TYPES,
    H.ARG_PTR_TO_BTF_ID_SOCK_COMMON: _SOCK_TYPES + (T.PTR_TO_BTF_ID,
                                                    T.PTR_TO_BTF_ID | T.PTR_TRUSTED),
    H.ARG_PTR_TO_SOCKET: (T.PTR_TO_SOCKET,),
    H.ARG_PTR_TO_BTF_ID: (T.PTR_TO_BTF_ID, T.PTR_TO_BTF_ID | T.PTR_TRUSTED,
                          T.PTR_TO_BTF_ID | T.MEM_RCU),
    H.ARG_PTR_TO_MEM: _MEM_TYPES,
    H.ARG_PTR_TO_RINGBUF_MEM: (T.PTR_TO_MEM | T.MEM_RINGBUF,),
    H.ARG_PTR_TO_FUNC: (T.PTR_TO_FUNC,),
    H.ARG_PTR_TO_STACK: (T.PTR_TO_STACK,),
    H.ARG_PTR_TO_CONST_STR: (T.PTR_TO_MAP_VALUE,),
    H.ARG_PTR_TO_TIMER: (T.PTR_TO_MAP_VALUE,),
    H.ARG_PTR_TO_SPIN_LOCK: (T.PTR_TO_MAP_VALUE, T.PTR_TO_BTF_ID | T.MEM_ALLOC),
    H.ARG_PTR_TO_LONG: _MEM_TYPES,
    H.ARG_PTR_TO_INT: _MEM_TYPES,
    H.ARG_PTR_TO_DYNPTR: (T.PTR_TO_STACK, T.CONST_PTR_TO_DYNPTR),
}


_MEM_ARGS = (H.ARG_PTR_TO_MEM, H.ARG_PTR_TO_MAP_KEY, H.ARG_PTR_TO_MAP_VALUE, H.ARG_PTR_TO_LONG,
             H.ARG_PTR_TO_INT)
# membership tests of _check_reg_type (the tuples above keep the kernel's message order);
# an argument flagged RDONLY / MAYBE_NULL accepts the register type without that flag
# (the argument flags share their bit values with the register type flags)
_COMPATIBLE_SET = {base: frozenset(types) for base, types in _COMPATIBLE.items()}
assert H.RDONLY == T.MEM_RDONLY and H.MAYBE_NULL == T.PTR_MAYBE_NULL
_STRIP = H.RDONLY | H.MAYBE_NULL
# argument kinds with nothing to do after the common checks of _check_func_arg
_NO_TAIL = frozenset({H.ARG_PTR_TO_CTX, H.ARG_PTR_TO_SOCK_COMMON, H.ARG_PTR_TO_BTF_ID_SOCK_COMMON,
                      H.ARG_PTR_TO_SOCKET, H.ARG_PTR_TO_BTF_ID, H.ARG_PTR_TO_RINGBUF_MEM,
                      H.ARG_PTR_TO_STACK})
# map types whose lookup key may be a known constant index (kernel: get_constant_map_key)
_ARRAY_KEYED = frozenset({"array", "percpu_array", "prog_array", "array_of_maps"})
# bound once for the per-call paths
_ARG_BASE_MASK, _MAYBE_NULL, _BASE_MASK = H.ARG_BASE_MASK, H.MAYBE_NULL, T.BASE_MASK
_RELEASE, _SCALAR, _NOT_INIT = H.RELEASE, T.SCALAR, T.NOT_INIT
_ANYTHING, _DONTCARE = H.ARG_ANYTHING, H.ARG_DONTCARE
_CONST_MAP_PTR, _MAP_KEY, _MAP_VALUE = (H.ARG_CONST_MAP_PTR, H.ARG_PTR_TO_MAP_KEY,
                                        H.ARG_PTR_TO_MAP_VALUE)
_MEM, _CONST_SIZE, _CONST_SIZE_OR_ZERO = (H.ARG_PTR_TO_MEM, H.ARG_CONST_SIZE,
                                          H.ARG_CONST_SIZE_OR_ZERO)
_BTF_ID, _BTF_ID_SOCK_COMMON, _DYNPTR = (H.ARG_PTR_TO_BTF_ID, H.ARG_PTR_TO_BTF_ID_SOCK_COMMON,
                                         H.ARG_PTR_TO_DYNPTR)
_PKT_TYPES = (T.PTR_TO_PACKET, T.PTR_TO_PACKET_META)      # regtypes.is_pkt_pointer
_MAX_ID, _KPTR_XCHG = H.BPF_FUNC_MAX_ID, kptr.BPF_FUNC_kptr_xchg
_available, _CallMeta = H.available, H.CallMeta
_HELPERS, _TYPE_HELPERS = H.HELPERS, H.TYPE_HELPERS     # (dicts: tests may set items)
_NOT_INIT_CALLER_SAVED = (NOT_INIT_REG,) * len(CALLER_SAVED)
_CALLER_SAVED_MASK = sum(1 << r for r in CALLER_SAVED)
# helpers whose map the kernel's record_func_map checks
_MAP_FUNCS = frozenset({12, 1, 2, 3, 87, 88, 89, 164, 51, 195})
# helpers with checks of their own after the arguments (check_helper_call's special cases)
_SPECIAL = frozenset({12, 81, 165} | {i for i, p in H.HELPERS.items() if p.callback}
                     | {i for (_t, i), p in H.TYPE_HELPERS.items() if p.callback})
_RET_INTEGER, _RET_MAP_VALUE = H.RET_INTEGER, H.RET_PTR_TO_MAP_VALUE
# helpers with a case of their own after the arguments (map, dynptr, special, tail call)
_ARG_EFFECTS = _MAP_FUNCS | _SPECIAL | {197, 202, 203, 12}
_STACK, _MAP_PTR = T.PTR_TO_STACK, T.CONST_PTR_TO_MAP
# _check_func_arg's short cuts: argument kind -> the register type it takes there
_FAST_ARG = {H.ARG_CONST_MAP_PTR: _MAP_PTR, H.ARG_PTR_TO_CTX: T.PTR_TO_CTX,
             H.ARG_PTR_TO_MAP_KEY: _STACK}


def _update_loop_inline_state(env: Env, insn_idx: int, subprog: int) -> None:
    """kernel: update_loop_inline_state - a bpf_loop call site can be inlined while
    every path reaches it with flags == 0 and one callback; checking the flags
    makes r4 precise (the inlined loop relies on that 0)."""
    aux = env.aux[insn_idx]
    if aux.loop_inline is not None and not aux.loop_inline[0]:
        return
    zero = is_null(env.regs[4])
    if zero:
        mark_chain_precision(env, 4)
    if aux.loop_inline is None:
        aux.loop_inline = [zero, subprog]
    else:
        aux.loop_inline[0] = zero and aux.loop_inline[1] == subprog


def _check_reg_type(reg: Reg, regno: int, arg_type: int) -> None:
    if (reg.type & ~(arg_type & _STRIP)) in _COMPATIBLE_SET[arg_type & _ARG_BASE_MASK]:
        return
    exp = ", ".join(T.type_str(c) for c in _COMPATIBLE[arg_type & _ARG_BASE_MASK])
    raise VerifierError(f"R{regno} type={T.type_str(reg.type)} expected={exp}")


def _check_mem_size_reg(env: Env, regno: int, write: bool, zero_size_allowed: bool,
                        meta: H.CallMeta) -> None:
    reg = env.reg(regno)
    s = reg.s
    meta.msize_max_value = s.umax
    m = meta if s.var_off.mask == 0 else None
    if s.smin < 0:
        raise VerifierError(f"R{regno} min value is negative, either use unsigned or "
                            f"'var &= const'")
    if s.umin == 0 and not zero_size_allowed:
        raise VerifierError(f"R{regno} invalid zero-sized read: u64=[{s.umin},{s.umax}]")
    if s.umax >= BPF_MAX_VAR_SIZ:
        raise VerifierError(f"R{regno} unbounded memory access, use 'var &= const' or "
                            f"'if (var < const)'")
    check_helper_mem_access(env, regno - 1, s.umax, write, zero_size_allowed, m)
    mark_chain_precision(env, regno)


def _check_func_arg(env: Env, regno: int, reg: Reg, meta: H.CallMeta, fn: H.Proto,
                    arg_type: int) -> None:
    """kernel: check_func_arg for the argument ``reg`` in ``regno`` (R1-R5) of type
    ``arg_type``, neither ARG_DONTCARE nor ARG_ANYTHING (check_helper_call handles those
    inline)."""
    env.scratched_regs |= 1 << regno           # check_reg_arg_src, inlined
    rt = reg.type
    if rt == _FAST_ARG.get(arg_type) and not reg.ref_obj_id:
        # the common cases, where every check below but the last passes: a map pointer
        # or the context without an offset, a map key on the stack (any offset)
        s = reg.s.var_off
        if rt == _STACK:
            m = meta.map
            if m is None:
                raise VerifierError("invalid map_ptr to access map->key", EACCES)
            check_stack_range_initialized(env, regno, reg.off, m.key_size, False, False, None)
            if m.map_type in _ARRAY_KEYED:
                meta.const_map_key = _constant_map_key(env, reg, m.key_size)
            return
        if not (reg.off or s.mask or s.value):
            if rt == _MAP_PTR:
                if meta.map is not None and meta.map is not reg.map:
                    _timer_map_mismatch()
                meta.map = reg.map
            return
    if rt == _NOT_INIT:
        raise VerifierError(f"R{regno} !read_ok")
    base = arg_type & _ARG_BASE_MASK
    if (rt & _BASE_MASK) in _PKT_TYPES and not may_access_direct_pkt_data(env, meta, False):
        raise VerifierError("helper access to the packet is not allowed")
    if base == _MAP_VALUE and meta.map is not None:
        mt = meta.map.map_type
        if mt in ("sockmap", "sockhash"):
            arg_type = H.ARG_PTR_TO_BTF_ID_SOCK_COMMON
            base = arg_type
    # is_null, inlined
    null = rt == _SCALAR and reg.s.var_off.mask == 0 and reg.s.var_off.value == 0
    is_dynptr = base == _DYNPTR
    if not (null and arg_type & _MAYBE_NULL):
        if (rt & ~(arg_type & _STRIP)) not in _COMPATIBLE_SET[base]:
            _check_reg_type(reg, regno, arg_type)
        # check_func_arg_reg_off, where it can refuse: a pointer with an offset that is
        # passed to a release function or is not of a type allowed any offset
        if (reg.off or reg.s.var_off.mask or reg.s.var_off.value) and not (
                is_dynptr and rt == T.PTR_TO_STACK) and (
                arg_type & _RELEASE or (rt & _BASE_MASK) not in ANY_OFF):
            check_func_arg_reg_off(env, reg, regno, arg_type)
        if base == _BTF_ID or base == _BTF_ID_SOCK_COMMON:
            want = fn.arg_btf if base == _BTF_ID else "sock_common"
            check_helper_btf_arg(env, regno, want,
                                 bool(arg_type & H.RELEASE) and meta.func_id != 86)
        elif (rt & _BASE_MASK) == T.PTR_TO_BTF_ID and base in _MEM_ARGS:
            check_helper_mem_btf(env, regno, base, bool(arg_type & H.RDONLY), fn.name)
    if arg_type & _RELEASE:
        if is_dynptr:
            check_release_arg(env, reg, regno)
        elif not reg.ref_obj_id and not null:
            raise VerifierError(f"R{regno} must be referenced when passed to release function",
                                EINVAL)
        meta.release_regno = regno
    if reg.ref_obj_id:
        if meta.ref_obj_id:
            raise VerifierError(f"more than one arg with ref_obj_id R{regno} {reg.ref_obj_id} "
                                f"{meta.ref_obj_id}")
        meta.ref_obj_id = reg.ref_obj_id
    if base in _NO_TAIL:
        return
    if base == _CONST_MAP_PTR:
        if meta.map is not None and meta.map is not reg.map:
            _timer_map_mismatch()
        meta.map = reg.map
    elif base == _MAP_KEY:
        m = meta.map
        if m is None:
            raise VerifierError("invalid map_ptr to access map->key", EACCES)
        check_helper_mem_access(env, regno, m.key_size, False, False, None)
        if m.map_type in _ARRAY_KEYED:
            meta.const_map_key = _constant_map_key(env, reg, m.key_size)
    elif base == _MAP_VALUE:
        if arg_type & _MAYBE_NULL and null:
            return
        if meta.map is None:
            raise VerifierError("invalid map_ptr to access map->value", EACCES)
        meta.raw_mode = bool(arg_type & H.UNINIT)
        check_helper_mem_access(env, regno, meta.map.value_size, bool(arg_type & H.WRITE),
                                False, meta)
    elif base == _MEM:
        meta.raw_mode = bool(arg_type & H.UNINIT)
    elif base == _CONST_SIZE:
        _check_mem_size_reg(env, regno, bool(fn.args[regno - 2] & H.WRITE), False, meta)
    elif base == _CONST_SIZE_OR_ZERO:
        _check_mem_size_reg(env, regno, bool(fn.args[regno - 2] & H.WRITE), True, meta)
    elif base == H.ARG_PTR_TO_FUNC:
        meta.subprogno = reg.subprogno
    elif base == H.ARG_CONST_ALLOC_SIZE_OR_ZERO:
        if reg.s.var_off.mask != 0:
            raise VerifierError(f"R{regno} is not a known constant'")
        meta.mem_size = reg.s.var_off.value
        mark_chain_precision(env, regno)
    elif base in (H.ARG_PTR_TO_INT, H.ARG_PTR_TO_LONG):
        # kernel: ARG_PTR_TO_FIXED_SIZE_MEM | MEM_UNINIT | MEM_WRITE | MEM_ALIGNED - the
        # helper stores a value there: writable memory, aligned to its size
        size = 4 if base == H.ARG_PTR_TO_INT else 8
        check_helper_mem_access(env, regno, size, bool(arg_type & H.WRITE), False, meta)
        check_ptr_alignment(env, env.reg(regno), 0, size, True)
    elif base == H.ARG_PTR_TO_CONST_STR:
        _check_const_str(env, regno)
    elif base == H.ARG_PTR_TO_TIMER:
        check_timer(env, regno, meta)
    elif base == H.ARG_PTR_TO_SPIN_LOCK:
        _process_spin_lock(env, regno, meta.func_id == 93)
    elif is_dynptr:
        kind = ("local" if arg_type & H.DYNPTR_LOCAL else
                "ringbuf" if arg_type & H.DYNPTR_RINGBUF else None)
        process_dynptr(env, ("reg", regno), regno, meta.insn,
                       uninit=bool(arg_type & H.UNINIT), rdonly=bool(arg_type & H.RDONLY),
                       kind=kind)
        meta.dynptr_regno = regno


def _timer_map_mismatch() -> None:
    raise VerifierError("timer pointer in R1 map_uid=0 doesn't match map pointer in R2 "
                        "map_uid=0", EINVAL)


def _check_const_str(env: Env, regno: int) -> None:
    reg = env.reg(regno)
    m = reg.map
    if reg.s.var_off.mask != 0:
        raise VerifierError(f"R{regno} doesn't have constant offset. bpf_strncmp string must be "
                            f"at constant offset")
    if not (m.rdonly_prog and m.frozen):
        raise VerifierError(f"R{regno} does not point to a readonly map'")
    off = reg.off + reg.s.var_off.value
    check_map_access(env, regno, reg.off, 1, False, direct=False)
    data = (m.initial_value or b"").ljust(m.value_size, b"\0")
    if b"\0" not in data[off:]:
        raise VerifierError("string is not zero-terminated")


def _check_bpf_snprintf_call(env: Env) -> None:
    """kernel: check_bpf_snprintf_call - the constant format (R3) against the number of
    u64 arguments R5 says the data (R4) holds."""
    fmt_reg, data_len = env.reg(3), env.reg(5).s.var_off.value
    if data_len % 8:
        # the kernel refuses without a message of its own
        raise VerifierError("Invalid format string", EINVAL)
    m = fmt_reg.map
    off = fmt_reg.off + fmt_reg.s.var_off.value
    data = (m.initial_value or b"").ljust(m.value_size, b"\0")
    if not format_ok(data[off:], data_len // 8):
        raise VerifierError("Invalid format string", EINVAL)


def _process_spin_lock(env: Env, regno: int, is_lock: bool) -> None:
    """kernel: process_spin_lock."""
    if graph.in_rbtree_cb(env):
        raise VerifierError("can't spin_{lock,unlock} in rbtree cb", EACCES)
    reg = env.reg(regno)
    st = env.cur
    if reg.s.var_off.mask != 0:
        raise VerifierError(f"R{regno} doesn't have constant offset. bpf_spin_lock has to be at "
                            f"the constant offset", EINVAL)
    m = reg.map if reg.type == T.PTR_TO_MAP_VALUE else None
    if m is not None and not m.has_btf:
        raise VerifierError(f"map '{m.name}' has to have BTF in order to use bpf_spin_lock",
                            EINVAL)
    if m is not None:
        # the record of the value's BTF (verifier.graph) where the program BTF describes it
        off = local_obj.map_record(env, m).spin_lock_off if m.value_btf \
            else m.field_off("bpf_spin_lock")
        lock_ptr = m
    else:
        # a local object's lock (verifier.graph); the kernel's lock 'ptr' is then the btf
        rec = local_obj.reg_record(env, reg)
        off = rec.spin_lock_off if rec is not None else -1
        lock_ptr = env.inp.btf
    if off < 0:
        raise VerifierError(f"{'map' if m else 'local'} '{m.name if m else 'kptr'}' has no "
                            f"valid bpf_spin_lock", EINVAL)
    val = reg.s.var_off.value + reg.off
    if off != val:
        raise VerifierError(f"off {val} doesn't point to 'struct bpf_spin_lock' that is at {off}",
                            EINVAL)
    if is_lock:
        if any(r.kind == "lock" for r in st.refs):
            raise VerifierError("Locking two bpf_spin_locks are not allowed", EINVAL)
        st.refs.append(Ref(reg.id, env.insn_idx, "lock", lock_ptr))
        st.active_locks += 1
    else:
        if not st.active_locks:
            raise VerifierError("bpf_spin_unlock without taking a lock", EINVAL)
        for i, r in enumerate(st.refs):
            if r.kind == "lock" and r.id == reg.id and r.ptr is lock_ptr:
                del st.refs[i]
                st.active_locks -= 1
                graph.invalidate_non_owning_refs(env)
                return
        raise VerifierError("bpf_spin_unlock of different lock", EINVAL)


def _constant_map_key(env: Env, reg: Reg, key_size: int) -> int:
    """kernel: get_constant_map_key - a constant array index spilled on the stack, or
    zeroed stack bytes (0); -1 where the key is not a known constant."""
    if reg.type != T.PTR_TO_STACK or reg.s.var_off.mask != 0:
        return -1
    off = reg.off + reg.s.var_off.value
    f = env.func_of(reg)
    spi = (-off - 1) // 8
    if spi >= len(f.stack):
        return -1
    slot = f.stack[spi]
    types = slot.types
    if types[7] == STACK_SPILL and slot.spilled.type == T.SCALAR and off % 8 == 0:
        # (a slot holding a spill has no zeroed byte 7: the zero test below cannot pass)
        sp = slot.spilled
        if types.count(STACK_SPILL) != key_size or sp.s.var_off.mask != 0:
            return -1
        mark_stack_precise(env, reg.frameno, spi)
        return sp.s.var_off.value
    if key_size > 8:
        return -1
    slot_i = -off - 1
    for i in range(key_size):
        if types[(slot_i - i) % 8] != STACK_ZERO:
            return -1
    return 0


def mark_stack_precise(env: Env, frameno: int, spi: int) -> None:
    st = env.cur
    if not env.log.level2 and ends_in_window(env, st, -1, frameno | spi << 4):
        return              # (the backtrack would end in this state, marking nothing)
    bt = Backtrack(st.curframe)
    bt.stack_masks[frameno] |= 1 << spi
    mark_chain_precision_batch(env, st, bt)


def _record_func_key(env: Env, meta: H.CallMeta, func_id: int, insn_idx: int) -> None:
    if func_id != 12:
        return
    m = meta.map
    if m is None or m.map_type != "prog_array":
        # the kernel prints this one without a newline
        raise VerifierError("expected prog array map for tail call", EINVAL, newline=False)
    aux = env.aux[insn_idx]
    aux.map_ptr_state = m if aux.map_ptr_state in (None, m) else "poison"
    r3 = env.reg(3)
    if r3.s.var_off.mask == 0 and r3.s.var_off.value < m.max_entries:
        mark_chain_precision(env, 3)


# (program type, helper id, expected attach type, attach) -> whether the type may call the
# helper: a function of the constant tables in verifier.helpers_avail, filled as programs
# ask.  The prototype itself is read from verifier.helpers' tables at every call (a test
# may swap one in: tests/runtime/test_native.py injects an unsound one).
_AVAILABLE: dict[tuple, bool] = {}


def _resolve_available(prog_type: str, func_id: int, attach, target) -> bool:
    ok = _AVAILABLE[(prog_type, func_id, attach, target)] = _available(prog_type, func_id,
                                                                         attach, target)
    return ok


def check_helper_call(env: Env, insn, insn_idx: int) -> None:
    func_id = insn.imm
    if func_id < 0 or func_id >= _MAX_ID:
        raise VerifierError(f"invalid func {func_name(func_id)}#{func_id}", EINVAL)
    prog_type, inp = env.prog_type, env.inp
    key = (prog_type, func_id, inp.expected_attach_type, inp.attach)
    ok = _AVAILABLE.get(key)
    if ok is None:
        ok = _resolve_available(*key)
    if not ok:
        raise VerifierError(f"program of this type cannot use helper {func_name(func_id)}"
                            f"#{func_id}", EINVAL)
    if func_id == _KPTR_XCHG:
        # kptr fields and local objects (verifier.kptr)
        m = kptr.check_kptr_xchg(env, insn_idx)
        check_map_func_compatibility(env, m, func_id)
        return
    # H.proto inlined: the tables are read at every call (see _AVAILABLE)
    fn = _TYPE_HELPERS.get((prog_type, func_id)) or _HELPERS.get(func_id)
    if fn is None:
        # not modelled here: refuse rather than guess (never accept what we cannot check)
        raise VerifierError(f"helper {func_name(func_id)}#{func_id} is not supported by this "
                            f"verifier", 524)
    might_sleep = fn.might_sleep
    if might_sleep and not in_sleepable(env):
        raise VerifierError("helper call might sleep in a non-sleepable prog", EINVAL)
    if fn.gpl_only and not inp.gpl_compatible:
        raise VerifierError("cannot call GPL-restricted function from non-GPL compatible program",
                            EINVAL)
    if might_sleep:
        helper_regions(env, func_name(func_id), func_id, might_sleep)
    # the current frame's registers: the same list object until the call is done (the
    # argument checks and callbacks replace registers in it, never the list or the state)
    st = env.cur
    regs = st.frames[st.curframe].regs
    args = fn.args
    if not args and func_id not in _ARG_EFFECTS:
        # no argument (bpf_get_prandom_u32, bpf_ktime_get_ns, ...): nothing recorded, so
        # the general path below would release, record and check nothing
        regs[0:6] = _NOT_INIT_CALLER_SAVED          # CALLER_SAVED: r0-r5
        env.scratched_regs |= _CALLER_SAVED_MASK
        if fn.ret == _RET_INTEGER and func_id not in INT_SPECIAL and not fn.acquire:
            regs[0] = UNKNOWN_SCALAR
        else:
            regs[0] = return_reg(env, fn, func_id, _CallMeta(func_id, fn.pkt_access, insn),
                                 None, insn_idx)
        if func_id == BPF_FUNC_get_func_ip:
            _check_get_func_ip(env)
        if fn.changes_pkt_data:
            clear_all_pkt_pointers(env)
        return
    meta = _CallMeta(func_id, fn.pkt_access, insn)
    # R1..R5; past the prototype's arguments every one is ARG_DONTCARE (nothing to check)
    regno = 0
    for arg_type in args:
        regno += 1
        if arg_type == _ANYTHING:
            # check_reg_arg_src, inlined
            env.scratched_regs |= 1 << regno
            if regs[regno].type == _NOT_INIT:
                raise VerifierError(f"R{regno} !read_ok")
        elif arg_type != _DONTCARE:
            _check_func_arg(env, regno, regs[regno], meta, fn, arg_type)
    changes_data = fn.changes_pkt_data
    slice_of = None
    if func_id in _ARG_EFFECTS:
        # the helpers with a case of their own after the arguments
        _arg_effects(env, fn, func_id, meta, insn, insn_idx, regs)
        if func_id in (202, 203):
            # kernel: check_helper_call's dynptr cases (bpf_dynptr_data, bpf_dynptr_slice)
            slice_of = dynptr_info(env, regs[meta.dynptr_regno])
            changes_data = changes_data or (func_id == 202 and slice_of[1] == "skb")
        if func_id in _SPECIAL:
            _special(env, fn, func_id, meta, insn, insn_idx)
    elif meta.access_size or meta.release_regno:
        _arg_effects(env, fn, func_id, meta, insn, insn_idx, regs)
    regs[0:6] = _NOT_INIT_CALLER_SAVED          # CALLER_SAVED: r0-r5
    env.scratched_regs |= _CALLER_SAVED_MASK
    ret = fn.ret
    if ret == _RET_INTEGER and func_id not in INT_SPECIAL and not fn.acquire:
        # the common case: an unknown scalar, no reference, no refined range
        regs[0] = UNKNOWN_SCALAR
    elif ret == _RET_MAP_VALUE:
        regs[0] = map_value_reg(env, fn, func_id, meta, insn_idx)     # (return_reg's case)
    else:
        regs[0] = return_reg(env, fn, func_id, meta, slice_of, insn_idx)
    m = meta.map
    if m is not None and (m.map_type, func_id) not in MAP_FUNC_OK:
        check_map_func_compatibility(env, m, func_id)
    if func_id == BPF_FUNC_get_func_ip:
        _check_get_func_ip(env)
    if func_id == 12:
        return
    if changes_data:
        clear_all_pkt_pointers(env)


def _arg_effects(env: Env, fn: H.Proto, func_id: int, meta: H.CallMeta, insn, insn_idx: int,
                 regs: list) -> None:
    """check_helper_call after the arguments, before R0: the map the helper needs
    (record_func_map), the bytes a raw-memory argument wrote, the reference released,
    bpf_dynptr_from_mem's data."""
    if func_id in _MAP_FUNCS:
        # kernel: record_func_map
        m = meta.map
        if m is None:
            raise VerifierError("verifier internal error: expected map for helper call", 14)
        if func_id in (3, 2, 87, 88) and m.rdonly_prog:
            raise VerifierError("write into map forbidden")
        if func_id == 12:
            _record_func_key(env, meta, func_id, insn_idx)
    if meta.access_size:
        for i in range(meta.access_size):
            check_mem_access(env, meta.regno, i, 1, True, -1, False, False, insn)
    release_regno = meta.release_regno
    if release_regno and meta.dynptr_regno == release_regno:
        unmark_slots(env, regs[release_regno])
    elif release_regno:
        ok = False
        if meta.ref_obj_id:
            ok = release_reference(env, meta.ref_obj_id)
        elif is_null(regs[meta.release_regno]):
            ok = True
        if not ok:
            raise VerifierError(f"func {func_name(func_id)}#{func_id} reference has not been "
                                f"acquired before", EINVAL)
    if func_id == 197 and regs[1].type != T.PTR_TO_MAP_VALUE:
        # kernel: check_helper_call's dynptr case of bpf_dynptr_from_mem
        raise VerifierError(f"Unsupported reg type {T.type_str(regs[1].type)} for "
                            f"bpf_dynptr_from_mem data", EACCES)


def _special(env: Env, fn: H.Proto, func_id: int, meta: H.CallMeta, insn,
             insn_idx: int) -> None:
    """check_helper_call's special cases after the arguments: the tail call's leak check,
    bpf_get_local_storage's flags, bpf_snprintf's format, the callbacks."""
    if func_id == 12:
        check_resource_leak(env, False, True, "tail_call")
    elif func_id == 81:
        # bpf_get_local_storage cannot fail, so its flags must be a known 0
        if not is_null(env.regs[2]):
            raise VerifierError("get_local_storage() doesn't support non-zero flags", EINVAL)
        mark_chain_precision(env, 2)
    elif func_id == 165:
        _check_bpf_snprintf_call(env)
    elif fn.callback == "timer":
        C.push_callback_call(env, insn, insn_idx, meta.subprogno, "timer")
    elif fn.callback == "for_each":
        C.push_callback_call(env, insn, insn_idx, meta.subprogno, "for_each", meta.map)
    elif fn.callback == "loop":
        _update_loop_inline_state(env, insn_idx, meta.subprogno)
        mark_chain_precision(env, 1)
        regs = env.regs
        if env.frame.callback_depth < regs[1].s.umax:
            C.push_callback_call(env, insn, insn_idx, meta.subprogno, "loop")
        else:
            env.frame.callback_depth = 0
            if env.log.level2:
                env.log.line(f"frame{env.cur.curframe} bpf_loop iteration limit reached")


def _check_get_func_ip(env: Env) -> None:
    """kernel: check_get_func_ip - kprobes know their function's address, and so do
    trampoline-attached tracing programs (fentry/fexit/fmod_ret; not tp_btf or iter);
    tracepoint, raw_tp and perf_event programs have the prototype but no address."""
    fid = BPF_FUNC_get_func_ip
    if env.prog_type == "kprobe":
        return
    if env.prog_type == "tracing":
        if env.inp.expected_attach_type in (None, "trace_fentry", "trace_fexit", "modify_return"):
            return
        raise VerifierError(f"func {func_name(fid)}#{fid} supported only for "
                            f"fentry/fexit/fmod_ret programs", ENOTSUPP)
    raise VerifierError(f"func {func_name(fid)}#{fid} not supported for program type "
                        f"{PROG_TYPE_IDS.get(env.prog_type, 0)}", ENOTSUPP)
