"""bpf_testmod's kfuncs as Python: what they compute, their KF_* flags and program types.

Behaviour, flags and registration follow tools/testing/selftests/bpf/
test_kmods/bpf_testmod.c (bpf-next with the stack-argument series) as
summarised in reference/testmod_kfuncs.md §2; prototypes are in kfuncs.c
beside this file.  Every kfunc is pure except the iterator trio, which keep
their state in the program's 16-byte ``struct bpf_iter_testmod_seq``
(s64 value at 0, int cnt at 8), and the acquire kfunc, which hands out a
kernel-owned ``struct prog_test_ref_kfunc``.

Arguments arrive as unsigned 64-bit pieces (see pipeline/kernel/state.py);
an ``int`` parameter uses only its low 32 bits, hence the ``s32`` calls.
"""

from __future__ import annotations

import struct

from isa.uapi import EINVAL

from ..registry import KfuncSet
from ..state import U64, KernelState, load, load_s32, load_s64, read, s32, store

# register_btf_kfunc_id_set(BPF_PROG_TYPE_UNSPEC, &bpf_testmod_common_kfunc_set)
COMMON = KfuncSet("bpf_testmod_common_kfunc_ids", module="bpf_testmod", prog_types={"unspec"})
# ... and the same check set for SCHED_CLS, TRACING, SYSCALL and STRUCT_OPS (not SOCKET_FILTER)
CHECK = KfuncSet("bpf_testmod_check_kfunc_ids", module="bpf_testmod",
                 prog_types={"sched_cls", "tracing", "syscall", "struct_ops"})
KFUNC_SETS = [COMMON, CHECK]

# struct bpf_iter_testmod_seq (bpf_testmod.h)
ITER_VALUE, ITER_CNT = 0, 8
# struct bpf_dynptr_kern: u32 size at 8, length in its low 24 bits
DYNPTR_SIZE_OFF, DYNPTR_SIZE_MASK = 8, 0xFFFFFF
# struct prog_test_pass1: int x0 at 0, x1 (first anonymous level) at 4
PASS1_X0, PASS1_X1 = 0, 4
# struct prog_test_ref_kfunc: a, b, memb {m.a, c}, next, cnt (refcount_t)
REF_CNT = 24


def _sum(*vals: int) -> int:
    return sum(vals) & U64


# ---- bpf_testmod_common_kfunc_ids ------------------------------------------------

@COMMON.kfunc("KF_ITER_NEW")
def bpf_iter_testmod_seq_new(vm, it, value, cnt):
    cnt = s32(cnt)
    store(vm, it + ITER_CNT, 4, cnt)        # cnt is stored even when it is rejected
    if cnt < 0:
        return -EINVAL
    store(vm, it + ITER_VALUE, 8, value)
    return 0


@COMMON.kfunc("KF_ITER_NEXT", "KF_RET_NULL")
def bpf_iter_testmod_seq_next(vm, it):
    cnt = load_s32(vm, it + ITER_CNT)
    if cnt <= 0:
        return 0
    store(vm, it + ITER_CNT, 4, cnt - 1)
    return it + ITER_VALUE


@COMMON.kfunc()
def bpf_iter_testmod_seq_value(vm, val, it__iter):
    if load_s32(vm, it__iter + ITER_CNT) < 0:
        return 0
    return s32(val) + load_s64(vm, it__iter + ITER_VALUE)


@COMMON.kfunc("KF_ITER_DESTROY")
def bpf_iter_testmod_seq_destroy(vm, it):
    store(vm, it + ITER_CNT, 4, 0)


@COMMON.kfunc()
def bpf_kfunc_arena_stack_arg_test(vm, a, b, c, d, e, f__arena):
    return _sum(a, b, c, d, e, load(vm, f__arena, 8))


# ---- bpf_testmod_check_kfunc_ids: the stack-argument kfuncs (no flags) ------------

@CHECK.kfunc()
def bpf_kfunc_call_stack_arg(vm, a, b, c, d, e, f, g, h, i, j):
    return _sum(a, b, c, d, e, f, g, h, i, j)


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_ptr(vm, a, b, c, d, e, f, g, h, i, p):
    return _sum(a, b, c, d, e, f, g, h, i,
                load_s32(vm, p + PASS1_X0), load_s32(vm, p + PASS1_X1))


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_mix(vm, a, b, c, d, e, f, g, p, h, q):
    return _sum(a, b, c, d, e, f, g, load_s32(vm, p + PASS1_X0), h, load_s32(vm, q + PASS1_X1))


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_dynptr(vm, a, b, c, d, e, f, g, h, i, ptr):
    size = load(vm, ptr + DYNPTR_SIZE_OFF, 4) & DYNPTR_SIZE_MASK  # upper bits: type, rdonly
    return _sum(a, b, c, d, e, f, g, h, i, size)


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_mem(vm, a, b, c, d, e, mem, mem__sz):
    # `for (i = 0; i < mem__sz; i++) sum += ((unsigned char *)mem)[i]`: a
    # negative int size adds nothing
    return _sum(a, b, c, d, e, *read(vm, mem, max(0, s32(mem__sz))))


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_mem_r5(vm, a, b, c, d, mem, mem__sz):
    # not a bpf_testmod kfunc: _mem with the pair split between R5 and slot 1
    return _sum(a, b, c, d, *read(vm, mem, max(0, s32(mem__sz))))


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_iter(vm, a, b, c, d, e, f, g, h, i, it__iter):
    return _sum(a, b, c, d, e, f, g, h, i, load_s64(vm, it__iter + ITER_VALUE))


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_const_str(vm, a, b, c, d, e, f, g, h, i, str__str):
    return _sum(a, b, c, d, e, f, g, h, i)      # the string is only for the verifier


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_timer(vm, a, b, c, d, e, f, g, h, i, timer):
    return _sum(a, b, c, d, e, f, g, h, i)      # the timer is not touched


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_big(vm, a, b, c, d, e, s_a, s_b):
    # struct prog_test_big_arg by value: two pieces, .a then .b.  The verifier
    # rejects the call; the implementation exists for oracles that do not.
    return _sum(a, b, c, d, e, s_a, s_b)


# ---- reference tracking: the acquire half (release: core/kfuncs.py) --------------

def _prog_test_struct(addr: int) -> bytes:
    """bpf_testmod's static prog_test_struct: a = 42, b = 108, next = itself, cnt = 1."""
    return struct.pack("<iiiiQi4x", 42, 108, 0, 0, addr, 1)


def prog_test_struct(vm) -> int:
    """Address of the kernel's prog_test_struct in ``vm``'s memory (mapped on first use)."""
    return KernelState.of(vm).object("prog_test_struct", _prog_test_struct)


@CHECK.kfunc("KF_ACQUIRE", "KF_RET_NULL")
def bpf_kfunc_call_test_acquire(vm, scalar_ptr):
    p = prog_test_struct(vm)
    store(vm, p + REF_CNT, 4, load_s32(vm, p + REF_CNT) + 1)   # refcount_inc
    return p


__all__ = ["KFUNC_SETS", "prog_test_struct"]
