"""R0 after a helper call (kernel: ``check_helper_call``'s switch on the prototype's return
type, then ``do_refine_retval_range``).

An integer helper leaves an unknown scalar (bounded for the ``*_str`` reads, the stack
walkers and ``bpf_get_smp_processor_id``); a map lookup returns a map value, or what the
map holds (an inner map, an xsk socket, a socket of a sockmap/sockhash); socket lookups,
``bpf_ringbuf_reserve`` and the ``bpf_skc_to_*`` casts return pointers, with a fresh id
where they may be NULL (the NULL check then narrows every copy) and a reference where the
helper acquires one (:mod:`verifier.refs`).  Pointer casts (``is_ptr_cast_function``) keep
the reference of their argument.
"""

from __future__ import annotations

from verifier import helpers as H
from verifier import regtypes as T
from verifier.btf_access import helper_ret_reg
from verifier.errors import EINVAL, VerifierError
from verifier.helpers import func_name
from verifier.refs import acquire_reference
from verifier.scalar import Scalar
from verifier.state import NOT_INIT_REG, UNKNOWN_SCALAR, Reg

# kernel: is_ptr_cast_function (bpf_tcp_sock, bpf_sk_fullsock, bpf_skc_to_* but unix_sock)
PTR_CASTS = frozenset({95, 96, 136, 137, 138, 139, 140, 196})
# kernel: do_refine_retval_range - get_stack, get_task_stack and the *_str reads
REFINED_RET = frozenset({45, 67, 114, 115, 141})
# RET_INTEGER helpers whose R0 is more than an unknown scalar (the refined ones,
# bpf_get_smp_processor_id) or keeps a reference (pointer casts)
INT_SPECIAL = REFINED_RET | {8} | PTR_CASTS
_ZERO = Scalar.const(0)                # a pointer's offset part (Scalars are immutable)
_MAYBE_NULL = T.PTR_MAYBE_NULL


def return_reg(env, fn: H.Proto, func_id: int, meta: H.CallMeta, slice_of,
               insn_idx: int) -> Reg:
    """R0 after calling ``fn`` (helper ``func_id``) with the arguments ``meta`` recorded;
    ``slice_of``: bpf_dynptr_data's dynptr (verifier.dynptr_slots.info)."""
    ret = fn.ret
    if ret == H.RET_INTEGER:
        r0 = UNKNOWN_SCALAR
    elif ret == H.RET_VOID:
        r0 = NOT_INIT_REG
    elif ret == H.RET_PTR_TO_MAP_VALUE:
        return map_value_reg(env, fn, func_id, meta, insn_idx)
    elif ret == H.RET_PTR_TO_SOCKET:
        r0 = Reg(T.PTR_TO_SOCKET | (_MAYBE_NULL if fn.ret_flags & H.MAYBE_NULL else 0),
                 _ZERO)
    elif ret == H.RET_PTR_TO_SOCK_COMMON:
        r0 = Reg(T.PTR_TO_SOCK_COMMON | _MAYBE_NULL, _ZERO)
    elif ret == H.RET_PTR_TO_TCP_SOCK:
        r0 = Reg(T.PTR_TO_TCP_SOCK | _MAYBE_NULL, _ZERO)
    elif ret == H.RET_PTR_TO_BTF_ID:
        r0 = helper_ret_reg(env, fn, func_id)
    elif ret == H.RET_PTR_TO_MEM:
        t = T.PTR_TO_MEM
        if fn.ret_flags & H.MAYBE_NULL:
            t |= _MAYBE_NULL
        if fn.ret_flags & H.RINGBUF:
            t |= T.MEM_RINGBUF
        r0 = Reg(t, _ZERO, mem_size=meta.mem_size)
        if func_id == 203:
            # a slice of the dynptr: dies with it (and with its reference)
            r0 = r0.with_(dynptr_id=slice_of[0], ref_obj_id=slice_of[2])
    else:
        raise VerifierError(f"unknown return type {ret} of func {func_name(func_id)}#{func_id}",
                            EINVAL)
    if r0.type & _MAYBE_NULL:
        r0 = r0.with_(id=env.new_id())
    return _references(env, fn, func_id, meta, r0, insn_idx)


def map_value_reg(env, fn: H.Proto, func_id: int, meta: H.CallMeta, insn_idx: int) -> Reg:
    """RET_PTR_TO_MAP_VALUE: what the map holds, with an id where it may be NULL (or
    where the value has a bpf_spin_lock: the lock is tied to the pointer)."""
    flags = _MAYBE_NULL if fn.ret_flags & H.MAYBE_NULL else 0
    m = meta.map
    if (func_id == 1 and m.map_type in ("array", "percpu_array")
            and 0 <= meta.const_map_key < m.max_entries):
        flags = 0
    # the live kernel types what the lookup finds at the call (6.12 kept a map value
    # until the NULL check): the inner map of a map-in-map (an anonymous copy of its
    # template), an xsk socket, a socket of a sockmap/sockhash
    if m.inner is not None:
        t, held = T.CONST_PTR_TO_MAP, m.inner
    elif m.map_type == "xskmap":
        t, held = T.PTR_TO_XDP_SOCK, m
    elif m.map_type in ("sockmap", "sockhash"):
        t, held = T.PTR_TO_SOCKET, m
    else:
        t, held = T.PTR_TO_MAP_VALUE, m
    rid = env.new_id() if flags or m.field_off("bpf_spin_lock") >= 0 else 0
    r0 = Reg(t | flags, _ZERO, map=held, id=rid)
    if func_id in PTR_CASTS or fn.acquire or m.map_type in ("sockmap", "sockhash"):
        return _references(env, fn, func_id, meta, r0, insn_idx)
    return r0               # (_references has nothing to add)


def _references(env, fn: H.Proto, func_id: int, meta: H.CallMeta, r0: Reg,
                insn_idx: int) -> Reg:
    """The reference R0 carries, and the refined integer ranges."""
    if func_id in PTR_CASTS:        # pointer casts keep the reference
        r0 = r0.with_(ref_obj_id=meta.ref_obj_id)
    elif fn.acquire or (func_id == 1 and meta.map is not None
                        and meta.map.map_type in ("sockmap", "sockhash")):
        # a socket looked up in a sockmap/sockhash is held until bpf_sk_release
        rid = acquire_reference(env, insn_idx)
        r0 = r0.with_(id=rid, ref_obj_id=rid)
    if fn.ret == H.RET_INTEGER and func_id in REFINED_RET:
        r0 = Reg(T.SCALAR, Scalar.from_bounds(smax=meta.msize_max_value,
                                              s32_max=min(meta.msize_max_value, (1 << 31) - 1),
                                              smin=-4095, s32_min=-4095))
    elif fn.ret == H.RET_INTEGER and func_id == 8:
        ncpu = env.inp.nr_cpu_ids
        r0 = Reg(T.SCALAR, Scalar.from_bounds(umin=0, umax=ncpu - 1, smin=0, smax=ncpu - 1,
                                              u32_min=0, u32_max=ncpu - 1, s32_min=0,
                                              s32_max=ncpu - 1))
    return r0
