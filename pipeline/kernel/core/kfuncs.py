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
from .sets import common_set, generic_set
from ..state import KernelState, load, load_s32, s32, store

EINVAL, E2BIG = 22, 7
BPF_MAX_LOOPS = 8 * 1024 * 1024          # include/linux/bpf.h

DYNPTR_TYPE_SHIFT, DYNPTR_SIZE_MASK = 28, 0xFFFFFF
BPF_DYNPTR_TYPE_SKB = 3                  # enum bpf_dynptr_type
SKB_LEN = 0                              # struct __sk_buff: __u32 len
REF_CNT = 24                             # struct prog_test_ref_kfunc: refcount_t cnt

COMMON, GENERIC = common_set(), generic_set()          # kernel/bpf/helpers.c (sets.py)
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
                  (length & DYNPTR_SIZE_MASK) | BPF_DYNPTR_TYPE_SKB << DYNPTR_TYPE_SHIFT
                  | _skb_rdonly(vm))
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
    from ...vm import Thrown
    cb = getattr(vm, "exception_cb", 0)
    raise Thrown(vm.call(cb, cookie) if cb else cookie)


@TEST_RUN.kfunc("KF_RELEASE")
def bpf_kfunc_call_test_release(vm, p):
    cnt = load_s32(vm, p + REF_CNT) - 1          # refcount_dec
    if cnt <= 0:
        KernelState.of(vm).warnings.append(
            f"refcount_t: decrement hit 0 in bpf_kfunc_call_test_release({p:#x})")
    store(vm, p + REF_CNT, 4, cnt)




# ---- dynptr kfuncs and the bits iterator (issue #12) -------------------------------------
# kernel/bpf/helpers.c (common_btf_ids: slices, adjust, is_null/is_rdonly, clone, bits
# iterator) and net/core/filter.c (bpf_kfunc_check_set_xdp: bpf_dynptr_from_xdp).  A dynptr's
# bytes: for local and ring-buffer dynptrs ``data`` is the memory itself; for skb/xdp
# dynptrs it is the context, whose ``data`` field (a 32-bit address in the test run's
# memory) locates the packet.

from isa.uapi import SKB_OFFSETS as _SKB_OFF, XDP_MD_OFFSETS as _XDP_OFF  # noqa: E402

ERANGE, EFAULT, ENOMEM = 34, 14, 12
DYNPTR_RDONLY_BIT = 1 << 31
BPF_DYNPTR_TYPE_LOCAL, BPF_DYNPTR_TYPE_RINGBUF, BPF_DYNPTR_TYPE_XDP = 1, 2, 4
BITS_ITER_NR_WORDS_MAX = 511
BPF_MEM_ALLOC_SIZE_MAX = 4096            # kernel/bpf/memalloc.c: the largest bucket

# program types whose skb dynptrs are writable (kernel: may_access_direct_pkt_data for
# BPF_WRITE); the verifier gives the others bpf_dynptr_from_skb_rdonly (fixup_kfunc_call)
SKB_WRITABLE = frozenset({"sched_cls", "sched_act", "lwt_xmit", "sk_skb"})


def _skb_rdonly(vm) -> int:
    prog_type = getattr(getattr(vm, "kernel_state", None), "prog_type", None)
    return DYNPTR_RDONLY_BIT if prog_type is not None and prog_type not in SKB_WRITABLE else 0


# net/core/filter.c bpf_kfunc_check_set_xdp
XDP = KfuncSet("bpf_kfunc_check_set_xdp", module="vmlinux", prog_types={"xdp"})
KFUNC_SETS.append(XDP)


def dynptr_fields(vm, p) -> tuple[int, int, int, int, bool]:
    """(data, type, size, offset, rdonly) of the struct bpf_dynptr_kern at ``p``."""
    data, word, offset = struct.unpack("<QII", vm.memory.read(p, 16))
    return (data, (word >> DYNPTR_TYPE_SHIFT) & 7, word & DYNPTR_SIZE_MASK, offset,
            bool(word & DYNPTR_RDONLY_BIT))


def dynptr_addr(vm, p, off: int, length: int) -> int | None:
    """The address of bytes [off, off + length) of the dynptr at ``p`` (kernel:
    bpf_dynptr_check_off_len then the type's data pointer), or None out of bounds."""
    data, kind, size, offset, _ = dynptr_fields(vm, p)
    if not data or off + length > size:
        return None
    if kind == BPF_DYNPTR_TYPE_SKB:
        data = load(vm, data + _SKB_OFF["data"], 4)
    elif kind == BPF_DYNPTR_TYPE_XDP:
        data = load(vm, data + _XDP_OFF["data"], 4)
    return data + offset + off


@XDP.kfunc()
def bpf_dynptr_from_xdp(vm, x, flags, ptr__uninit):
    if flags:
        _write_dynptr(vm, ptr__uninit, 0, 0)
        return -EINVAL
    length = load(vm, x + _XDP_OFF["data_end"], 4) - load(vm, x + _XDP_OFF["data"], 4)
    _write_dynptr(vm, ptr__uninit, x,
                  (length & DYNPTR_SIZE_MASK) | BPF_DYNPTR_TYPE_XDP << DYNPTR_TYPE_SHIFT)
    return 0


def _slice(vm, p, offset, buffer, size, rdwr: bool) -> int:
    data, kind, _, _, rdonly = dynptr_fields(vm, p)
    if not data or (rdwr and rdonly):
        return 0
    at = dynptr_addr(vm, p, offset & 0xFFFFFFFF, size & 0xFFFFFFFF)
    return at or 0       # the test run's packets are linear: never the buffer


@COMMON.kfunc("KF_RET_NULL")
def bpf_dynptr_slice(vm, p, offset, buffer__opt, buffer__szk):
    return _slice(vm, p, offset, buffer__opt, buffer__szk, False)


@COMMON.kfunc("KF_RET_NULL")
def bpf_dynptr_slice_rdwr(vm, p, offset, buffer__opt, buffer__szk):
    return _slice(vm, p, offset, buffer__opt, buffer__szk, True)


@COMMON.kfunc()
def bpf_dynptr_adjust(vm, p, start, end):
    data, _, size, offset, _ = dynptr_fields(vm, p)
    start, end = start & 0xFFFFFFFF, end & 0xFFFFFFFF
    if not data:
        return -EINVAL
    if start > end or end > size:
        return -ERANGE
    word = load(vm, p + 8, 4)
    store(vm, p + 8, 4, (word & ~DYNPTR_SIZE_MASK) | (end - start))
    store(vm, p + 12, 4, offset + start)
    return 0


@COMMON.kfunc()
def bpf_dynptr_is_null(vm, p):
    return int(not load(vm, p, 8))


@COMMON.kfunc()
def bpf_dynptr_is_rdonly(vm, p):
    data, _, _, _, rdonly = dynptr_fields(vm, p)
    return int(bool(data) and rdonly)


@COMMON.kfunc()
def bpf_dynptr_clone(vm, p, clone__uninit):
    if not load(vm, p, 8):
        _write_dynptr(vm, clone__uninit, 0, 0)
        return -EINVAL
    vm.memory.write(clone__uninit, vm.memory.read(p, 16))
    return 0


# struct bpf_iter_bits_kern { union { u64 *bits; u64 bits_copy; }; int nr_bits; int bit; }

def _bits_set(vm, it, bits, nr_bits, bit) -> None:
    vm.memory.write(it, struct.pack("<Qii", bits, nr_bits, bit))


@COMMON.kfunc("KF_ITER_NEW")
def bpf_iter_bits_new(vm, it, unsafe_ptr__ign, nr_words):
    nr_words &= 0xFFFFFFFF
    nr_bytes = (nr_words * 8) & 0xFFFFFFFF
    _bits_set(vm, it, 0, 0, -1)
    if not unsafe_ptr__ign or not nr_words:
        return -EINVAL
    if nr_words > BITS_ITER_NR_WORDS_MAX:
        return -E2BIG
    try:                                 # bpf_probe_read_kernel_common
        data = vm.memory.read(unsafe_ptr__ign & 0xFFFFFFFFFFFFFFFF, nr_bytes)
    except Exception:  # noqa: BLE001 - an unmapped address is a fault the kernel survives
        return -EFAULT
    if nr_bytes == 8:
        _bits_set(vm, it, struct.unpack("<Q", data)[0], 64, -1)
        return 0
    if nr_bytes > BPF_MEM_ALLOC_SIZE_MAX:
        return -E2BIG
    st = KernelState.of(vm)
    addr = st.object(f"bits_iter#{len(st.objects)}", bytes(data))
    _bits_set(vm, it, addr, nr_bytes * 8, -1)
    return 0


@COMMON.kfunc("KF_ITER_NEXT", "KF_RET_NULL")
def bpf_iter_bits_next(vm, it):
    bits, nr_bits, bit = struct.unpack("<Qii", vm.memory.read(it, 16))
    if not nr_bits or bit >= nr_bits:
        return 0
    words = bits.to_bytes(8, "little") if nr_bits == 64 else vm.memory.read(bits, nr_bits // 8)
    value = int.from_bytes(words, "little")
    nxt = bit + 1
    while nxt < nr_bits and not (value >> nxt) & 1:
        nxt += 1
    store(vm, it + 12, 4, nxt)           # find_next_bit: nr_bits when none is left
    return 0 if nxt >= nr_bits else it + 12


@COMMON.kfunc("KF_ITER_DESTROY")
def bpf_iter_bits_destroy(vm, it):
    return None                          # the copy is the run's: nothing to free


__all__ = ["KFUNC_SETS", "dynptr_fields", "dynptr_addr"]

# tasks, cgroups, cpumasks, RCU and preemption: a module of their own
from .task_kfuncs import KFUNC_SETS as _TASK_KFUNC_SETS  # noqa: E402

KFUNC_SETS += _TASK_KFUNC_SETS

# TCP congestion control (struct_ops): a module of its own
from .tcp_ca_kfuncs import KFUNC_SETS as _TCP_CA_KFUNC_SETS  # noqa: E402

KFUNC_SETS += _TCP_CA_KFUNC_SETS

# map/socket iterators and user memory: verified, never run
from .misc_kfuncs import KFUNC_SETS as _MISC_KFUNC_SETS  # noqa: E402

KFUNC_SETS += _MISC_KFUNC_SETS

__all__ = ["KFUNC_SETS"]

# local objects and BPF graphs (generic_btf_ids): a module of their own, graph.py
from .graph import KFUNC_SETS as _GRAPH_KFUNC_SETS  # noqa: E402

KFUNC_SETS += _GRAPH_KFUNC_SETS
