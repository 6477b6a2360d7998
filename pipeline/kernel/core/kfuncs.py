"""Core-kernel kfuncs as Python: dynptr, numeric iterator, test release; flags and program types.

Behaviour follows the kernel of the stack-argument series (bpf-next 2026):
net/core/filter.c (``bpf_dynptr_from_skb``), kernel/bpf/helpers.c
(``bpf_dynptr_size`` and the common kfunc set; ``bpf_throw`` of the generic set),
kernel/bpf/bpf_iter.c
(``bpf_iter_num_*``) and net/bpf/test_run.c (``bpf_kfunc_call_test_release``).
Prototypes are in kfuncs.c beside this file.

The skb context is the UAPI ``struct __sk_buff`` image the executor maps for
the program (``len`` at offset 0).  A dynptr is written in the kernel's
``struct bpf_dynptr_kern`` layout: ``data`` (for skb dynptrs the skb
itself, here the context's address), ``size`` = length | type << 28,
``offset``.
"""

from __future__ import annotations

import struct

from ..registry import KfuncSet
from ..state import KernelState, load, load_s32, s32, store

EINVAL, E2BIG = 22, 7
BPF_MAX_LOOPS = 8 * 1024 * 1024          # include/linux/bpf.h

DYNPTR_TYPE_SHIFT, DYNPTR_SIZE_MASK = 28, 0xFFFFFF
BPF_DYNPTR_TYPE_SKB = 3                  # enum bpf_dynptr_type
SKB_LEN = 0                              # struct __sk_buff: __u32 len
REF_CNT = 24                             # struct prog_test_ref_kfunc: refcount_t cnt

# kernel/bpf/helpers.c common_btf_ids, registered for BPF_PROG_TYPE_UNSPEC
COMMON = KfuncSet("common_btf_ids", module="vmlinux", prog_types={"unspec"})
# kernel/bpf/helpers.c generic_btf_ids (generic_kfunc_set), registered for these types:
# 6.12's six plus the cgroup, sock_ops, tracepoint and perf_event programs of the live
# kernel (6.18), which accepts a bpf_throw call from each of them
GENERIC = KfuncSet("generic_btf_ids", module="vmlinux",
                   prog_types={"tracing", "sched_cls", "xdp", "struct_ops", "syscall",
                               "cgroup_skb", "cgroup_sock", "cgroup_sock_addr",
                               "cgroup_sockopt", "cgroup_sysctl", "cgroup_device",
                               "sock_ops", "tracepoint", "perf_event"})
# net/core/filter.c bpf_kfunc_check_set_skb
SKB = KfuncSet("bpf_kfunc_check_set_skb", module="vmlinux",
               prog_types={"sched_cls", "sched_act", "sk_skb", "socket_filter", "cgroup_skb",
                           "lwt_out", "lwt_in", "lwt_xmit", "lwt_seg6local", "netfilter",
                           "tracing"})
# net/bpf/test_run.c test_sk_check_kfunc_ids
TEST_RUN = KfuncSet("test_sk_check_kfunc_ids", module="vmlinux",
                    prog_types={"sched_cls", "tracing", "syscall"})
KFUNC_SETS = [COMMON, GENERIC, SKB, TEST_RUN]


def _write_dynptr(vm, ptr: int, data: int, size_word: int) -> None:
    vm.memory.write(ptr, struct.pack("<QII", data, size_word, 0))


@SKB.kfunc("KF_TRUSTED_ARGS")
def bpf_dynptr_from_skb(vm, s, flags, ptr__uninit):
    if flags:
        _write_dynptr(vm, ptr__uninit, 0, 0)     # bpf_dynptr_set_null
        return -EINVAL
    length = load(vm, s + SKB_LEN, 4)
    _write_dynptr(vm, ptr__uninit, s,
                  (length & DYNPTR_SIZE_MASK) | BPF_DYNPTR_TYPE_SKB << DYNPTR_TYPE_SHIFT)
    return 0


@COMMON.kfunc()
def bpf_dynptr_size(vm, p):
    if not load(vm, p, 8):                       # NULL data: an invalid dynptr
        return -EINVAL
    return load(vm, p + 8, 4) & DYNPTR_SIZE_MASK


# struct bpf_iter_num_kern { int cur; int end; }: the kernel does this arithmetic in
# wrapping 32-bit ints (built with -fno-strict-overflow), so s32() after each step.

def _iter_num_set(vm, it, cur, end) -> None:
    store(vm, it, 4, cur)
    store(vm, it + 4, 4, end)


@COMMON.kfunc("KF_ITER_NEW")
def bpf_iter_num_new(vm, it, start, end):
    start, end = s32(start), s32(end)
    if start > end:
        _iter_num_set(vm, it, 0, 0)
        return -EINVAL
    if end - start > BPF_MAX_LOOPS:
        _iter_num_set(vm, it, 0, 0)
        return -E2BIG
    _iter_num_set(vm, it, s32(start - 1), end)   # next() pre-increments
    return 0


@COMMON.kfunc("KF_ITER_NEXT", "KF_RET_NULL")
def bpf_iter_num_next(vm, it):
    cur, end = load_s32(vm, it), load_s32(vm, it + 4)
    if s32(cur + 1) >= end:
        _iter_num_set(vm, it, 0, 0)
        return 0
    store(vm, it, 4, cur + 1)
    return it


@COMMON.kfunc("KF_ITER_DESTROY")
def bpf_iter_num_destroy(vm, it):
    _iter_num_set(vm, it, 0, 0)


@GENERIC.kfunc()
def bpf_throw(vm, cookie):
    """Unwind the whole program: it returns what its exception callback returns for
    ``cookie`` (``vm.exception_cb``: the callback's address, set by the executor for the
    program running; 0 = the default callback the verifier adds, which returns the cookie
    itself: kernel do_misc_fixups appends ``r0 = r1; exit``)."""
    from ...interp import Thrown
    cb = getattr(vm, "exception_cb", 0)
    raise Thrown(vm.call(cb, cookie) if cb else cookie)


@TEST_RUN.kfunc("KF_RELEASE")
def bpf_kfunc_call_test_release(vm, p):
    cnt = load_s32(vm, p + REF_CNT) - 1          # refcount_dec
    if cnt <= 0:
        KernelState.of(vm).warnings.append(
            f"refcount_t: decrement hit 0 in bpf_kfunc_call_test_release({p:#x})")
    store(vm, p + REF_CNT, 4, cnt)


__all__ = ["KFUNC_SETS"]
