"""Map helpers for the map types beyond arrays and hashes: ``bpf_map_push_elem``,
``bpf_map_pop_elem``, ``bpf_map_peek_elem`` on queue, stack and bloom-filter maps
(kernel/bpf/queue_stack_maps.c, bloom_filter.c) and ``bpf_redirect_map`` on XDP's
redirect maps (net/core/filter.c).

A bloom filter here is an exact set: ``peek`` finds exactly the values pushed (the kernel's
may also report a value never pushed, at a rate set by ``nr_hash_funcs``).  Redirect maps
(devmap, devmap_hash, cpumap, xskmap) are empty in a test run, as a freshly created map is:
``bpf_redirect_map`` returns the fallback action in the flags' low bits, or XDP_REDIRECT for
a devmap broadcast.
"""

from __future__ import annotations

from isa.ints import U32, U64
from isa.uapi import E2BIG, EINVAL, ENOENT

from .maps import BPF_EXIST, BPF_NOEXIST

BPF_F_ACTION_MASK = 3            # XDP_ABORTED | XDP_DROP | XDP_PASS | XDP_TX
BPF_F_BROADCAST, BPF_F_EXCLUDE_INGRESS = 1 << 3, 1 << 4
XDP_ABORTED, XDP_REDIRECT = 0, 4


def _fault(msg):
    from .helpers import HelperFault
    return HelperFault(msg)


def map_push_elem(run, vm, mp, value, flags, *_):
    m = run.map_at(mp)
    flags &= U64
    data = vm.memory.read(value, m.value_size)
    if m.map_type == "bloom_filter":
        if flags:
            return -EINVAL
        m.slots[data] = 0
        return 0
    if m.map_type not in ("queue", "stack"):
        raise _fault(f"map {m.name} ({m.map_type}) has no push")
    if flags & BPF_NOEXIST or flags > BPF_EXIST:
        return -EINVAL
    if len(m.slots) >= max(m.max_entries, 1):
        if not flags & BPF_EXIST:
            return -E2BIG
        m.free.append(m.slots.pop(next(iter(m.slots))))     # overwrite the oldest
    slot = m.free.pop(0)
    m.slots[m.rb_head] = slot
    m.rb_head += 1
    vm.memory.write(m.values + slot * m.elem_size, data)
    return 0


def _take(run, vm, mp, value, remove: bool) -> int:
    m = run.map_at(mp)
    if m.map_type == "bloom_filter":
        return 0 if vm.memory.read(value, m.value_size) in m.slots else -ENOENT
    if m.map_type not in ("queue", "stack"):
        raise _fault(f"map {m.name} ({m.map_type}) has no pop/peek")
    if not m.slots:
        vm.memory.write(value, bytes(m.value_size))
        return -ENOENT
    key = next(iter(m.slots)) if m.map_type == "queue" else next(reversed(m.slots))
    slot = m.slots[key]
    vm.memory.write(value, vm.memory.read(m.values + slot * m.elem_size, m.value_size))
    if remove:
        del m.slots[key]
        m.free.append(slot)
    return 0


def map_pop_elem(run, vm, mp, value, *_):
    return _take(run, vm, mp, value, True)


def map_peek_elem(run, vm, mp, value, *_):
    return _take(run, vm, mp, value, False)


def redirect_map(run, vm, mp, key, flags, *_):
    m = run.map_at(mp)
    flags &= U64
    extra = BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS if m.map_type.startswith("devmap") else 0
    if flags & ~(BPF_F_ACTION_MASK | extra):
        return XDP_ABORTED
    if flags & BPF_F_BROADCAST:
        return XDP_REDIRECT
    key &= U32                   # every redirect map is empty: the lookup fails
    return flags & BPF_F_ACTION_MASK
