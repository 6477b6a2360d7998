"""The dynptr helpers of the mock kernel: ``bpf_dynptr_from_mem``, ``bpf_dynptr_read``,
``bpf_dynptr_write``, ``bpf_dynptr_data`` (kernel/bpf/helpers.c) and the ring-buffer dynptrs
``bpf_ringbuf_reserve_dynptr`` / ``_submit_dynptr`` / ``_discard_dynptr`` (kernel/bpf/ringbuf.c).

A dynptr is the kernel's ``struct bpf_dynptr_kern`` in the program's memory (layout and
address arithmetic: :func:`pipeline.kernel.core.kfuncs.dynptr_fields` / ``dynptr_addr``).
Errors are the kernel's: a NULL or read-only dynptr, flags where none are allowed -> -EINVAL;
``offset``/``len`` outside the dynptr -> -E2BIG (``bpf_dynptr_check_off_len``); a failed
reservation leaves a NULL dynptr and returns -EINVAL.  Packet dynptrs (skb, xdp) read and
write the test run's linear packet; ``bpf_dynptr_write`` to an skb with checksum/hash flags is
refused by name (the mock kernel keeps no checksums).
"""

from __future__ import annotations

import struct

from isa.ints import U32, U64
from isa.uapi import E2BIG, EINVAL

from .core.kfuncs import (BPF_DYNPTR_TYPE_LOCAL, BPF_DYNPTR_TYPE_RINGBUF, BPF_DYNPTR_TYPE_SKB,
                          DYNPTR_SIZE_MASK, DYNPTR_TYPE_SHIFT, dynptr_addr, dynptr_fields)

DYNPTR_MAX_SIZE = DYNPTR_SIZE_MASK       # include/linux/bpf.h


def _fault(msg: str) -> Exception:
    from .helpers import HelperFault
    return HelperFault(msg)


def _init(vm, ptr: int, data: int, kind: int, size: int) -> None:
    """kernel: bpf_dynptr_init (size 0 and data NULL: bpf_dynptr_set_null)."""
    vm.memory.write(ptr & U64, struct.pack("<QII", data & U64,
                                           (size | kind << DYNPTR_TYPE_SHIFT) if data else 0, 0))


def dynptr_from_mem(run, vm, data, size, flags, ptr, *_):
    size &= U32
    if flags & U64:
        _init(vm, ptr, 0, 0, 0)
        return -EINVAL
    if size > DYNPTR_MAX_SIZE:
        _init(vm, ptr, 0, 0, 0)
        return -E2BIG
    _init(vm, ptr, data, BPF_DYNPTR_TYPE_LOCAL, size)
    return 0


def ringbuf_reserve_dynptr(run, vm, mp, size, flags, ptr, *_):
    from .helpers import ringbuf_reserve
    size &= U32
    if flags & U64 or size > DYNPTR_MAX_SIZE:
        _init(vm, ptr, 0, 0, 0)
        return -EINVAL if flags & U64 else -E2BIG
    sample = ringbuf_reserve(run, vm, mp, size, 0)
    if not sample:
        _init(vm, ptr, 0, 0, 0)
        return -EINVAL
    _init(vm, ptr, sample, BPF_DYNPTR_TYPE_RINGBUF, size)
    return 0


def _commit_dynptr(run, vm, ptr, discard: bool) -> int:
    from .helpers import _ringbuf_commit
    data = vm.memory.load(ptr & U64, 8)
    if data:
        _ringbuf_commit(run, vm, data, discard)
        _init(vm, ptr, 0, 0, 0)
    return 0


def ringbuf_submit_dynptr(run, vm, ptr, flags, *_):
    return _commit_dynptr(run, vm, ptr, False)


def ringbuf_discard_dynptr(run, vm, ptr, flags, *_):
    return _commit_dynptr(run, vm, ptr, True)


def _off_len(vm, p, offset, length) -> int:
    """kernel: bpf_dynptr_check_off_len."""
    _, _, size, _, _ = dynptr_fields(vm, p & U64)
    if offset > size or length > size - offset:
        return -E2BIG
    return 0


def dynptr_read(run, vm, dst, length, src, offset, flags):
    length, offset = length & U32, offset & U32
    data, _, _, _, _ = dynptr_fields(vm, src & U64)
    if not data or flags & U64:
        return -EINVAL
    err = _off_len(vm, src, offset, length)
    if err:
        return err
    at = dynptr_addr(vm, src & U64, offset, length)
    vm.memory.write(dst & U64, vm.memory.read(at, length))
    return 0


def dynptr_write(run, vm, dst, offset, src, length, flags):
    length, offset = length & U32, offset & U32
    data, kind, _, _, rdonly = dynptr_fields(vm, dst & U64)
    if not data or rdonly:
        return -EINVAL
    err = _off_len(vm, dst, offset, length)
    if err:
        return err
    if flags & U64:
        if kind != BPF_DYNPTR_TYPE_SKB:
            return -EINVAL
        raise _fault("checksum/hash flags of an skb dynptr write are not modelled")
    at = dynptr_addr(vm, dst & U64, offset, length)
    vm.memory.write(at, vm.memory.read(src & U64, length))
    return 0


def dynptr_data(run, vm, ptr, offset, length, *_):
    offset, length = offset & U32, length & U32
    data, kind, _, _, rdonly = dynptr_fields(vm, ptr & U64)
    if not data or _off_len(vm, ptr, offset, length) or rdonly:
        return 0
    if kind not in (BPF_DYNPTR_TYPE_LOCAL, BPF_DYNPTR_TYPE_RINGBUF):
        return 0                         # skb/xdp data go through bpf_dynptr_slice
    return dynptr_addr(vm, ptr & U64, offset, length)


HELPERS = {197: "dynptr_from_mem", 198: "ringbuf_reserve_dynptr", 199: "ringbuf_submit_dynptr",
           200: "ringbuf_discard_dynptr", 201: "dynptr_read", 202: "dynptr_write",
           203: "dynptr_data"}
