"""The mock kernel's BPF helpers, registered by UAPI id (``BPF_FUNC_*``) like kfuncs.

Each implementation is ``impl(run, vm, r1, r2, r3, r4, r5)``: ``run`` is the per-run kernel
(:class:`pipeline.testrun.TestRun`: maps, packet, clock, trace), ``vm`` the executor whose
``memory`` the program sees.  A call the kernel would have refused at load time raises
:class:`HelperFault`, which the executor reports as a runtime fault naming the helper.
Kernel counterparts: the ``bpf_*`` helper implementations under kernel/bpf and net/core.
"""

from __future__ import annotations

import errno as _errno
import struct

from isa.ints import U32, U64, s32 as _s32
from isa.uapi import E2BIG, EAGAIN, EEXIST, EFAULT, EINVAL, ENOENT

from .layout import ETH_HLEN, XDP_DATA, XDP_DATA_END, XDP_DATA_META, XDP_FRAME_SIZE
from .printk import MAX_BPRINTF_VARARGS, bprintf
from .registry import Helper
from .maps import (BPF_EXIST, BPF_NOEXIST, MAP_IN_MAP, RINGBUF_BUSY, RINGBUF_DISCARD,
                   RINGBUF_HDR)
from .maps import round_up as _round
from .timers import free_in as _free_fields
from . import helpers_dynptr, helpers_maps, helpers_net, helpers_str, timers
from .helpers_net import ROOT_CGROUP_ID, SKB_HASH


class HelperFault(Exception):
    """A helper was called with arguments the kernel would have rejected at load time."""


def map_lookup_elem(run, vm, mp, key, *_):
    m = run.map_at(mp)
    if m.map_type in MAP_IN_MAP:
        # the inner map libbpf put in the slot (its handle is what the program then passes
        # as a map), or NULL for an empty slot
        slots = getattr(run, "inner_maps", {}).get(m.name, {})
        inner = slots.get(vm.memory.load(key, 4)) if m.key_size == 4 else None
        return inner.handle if inner is not None else 0
    if m.is_array:
        idx = vm.memory.load(key, 4)
        if idx >= max(m.max_entries, 1) or m.map_type == "prog_array":
            return 0
        return m.values + idx * (m.elem_size if m.kind != "data" else 0)
    if m.is_hash:
        k = vm.memory.read(key, m.key_size)
        slot = m.slots.get(k)
        if slot is None:
            return 0
        if m.map_type.startswith("lru"):       # most recently used goes last
            m.slots[k] = m.slots.pop(k)
        return m.values + slot * m.elem_size
    return 0

def map_update_elem(run, vm, mp, key, value, flags, *_):
    m = run.map_at(mp)
    flags &= U64
    if flags > BPF_EXIST:
        return -EINVAL
    data = vm.memory.read(value, m.value_size)
    if m.is_array:
        if m.map_type == "prog_array":
            return -EINVAL
        idx = vm.memory.load(key, 4)
        if idx >= max(m.max_entries, 1):
            return -E2BIG
        if flags == BPF_NOEXIST:
            return -EEXIST
        vm.memory.write(m.values + idx * m.elem_size, data)
        _free_fields(run, vm, m.values + idx * m.elem_size, m.value_size)
        return 0
    if m.is_hash:
        k = vm.memory.read(key, m.key_size)
        slot = m.slots.get(k)
        if slot is None:
            if flags == BPF_EXIST:
                return -ENOENT
            if not m.free:
                if not m.map_type.startswith("lru"):
                    return -E2BIG
                oldest = next(iter(m.slots))   # evict the least recently used
                m.free.append(m.slots.pop(oldest))
            slot = m.free.pop(0)
            m.slots[k] = slot
        elif flags == BPF_NOEXIST:
            return -EEXIST
        vm.memory.write(m.values + slot * m.elem_size, data)
        _free_fields(run, vm, m.values + slot * m.elem_size, m.value_size)
        return 0
    return -EINVAL

def map_delete_elem(run, vm, mp, key, *_):
    m = run.map_at(mp)
    if not m.is_hash:
        return -EINVAL
    k = vm.memory.read(key, m.key_size)
    slot = m.slots.pop(k, None)
    if slot is None:
        return -ENOENT
    _free_fields(run, vm, m.values + slot * m.elem_size, m.value_size)
    m.free.append(slot)
    return 0

def ktime_get_ns(run, vm, *_):
    run.clock += 1000       # a deterministic clock that always moves forward
    return run.clock


def jiffies64(run, vm, *_):
    return 4_294_967_296 + run.clock // 4_000_000

def get_prandom_u32(run, vm, *_):
    x = run.rand               # xorshift32: deterministic, never 0
    x ^= (x << 13) & U32
    x ^= x >> 17
    x ^= (x << 5) & U32
    run.rand = x
    return x

TAI_OFFSET_NS = 1_700_000_037_000_000_000   # a fixed wall-clock epoch (+37 s of TAI)


def ktime_get_tai_ns(run, vm, *_):
    run.clock += 1000       # the same deterministic clock, on a wall-clock epoch
    return TAI_OFFSET_NS + run.clock


def get_current_cgroup_id(run, vm, *_):
    return ROOT_CGROUP_ID


def get_current_ancestor_cgroup_id(run, vm, level, *_):
    return ROOT_CGROUP_ID if level & U64 == 0 else 0


def map_lookup_percpu_elem(run, vm, mp, key, cpu, *_):
    """One CPU (bpf_get_smp_processor_id is 0): CPU 0's element, NULL for any other."""
    return map_lookup_elem(run, vm, mp, key) if cpu & U32 == 0 else 0


def get_smp_processor_id(run, vm, *_):
    return 0

def get_numa_node_id(run, vm, *_):
    return 0

def get_current_pid_tgid(run, vm, *_):
    return (4242 << 32) | 4242

def get_current_uid_gid(run, vm, *_):
    return 0

def get_current_comm(run, vm, buf, size, *_):
    if size:
        name = b"stackargs\0"[:size]
        vm.memory.write(buf, name.ljust(size, b"\0"))
    return 0

def trace_printk(run, vm, fmt, size, a1, a2, a3):
    """``bpf_trace_printk``: three arguments; the formatted length, or -EINVAL."""
    line = bprintf(vm, vm.memory.read(fmt, size & U32), [a1, a2, a3])
    if isinstance(line, int):
        return line
    run.trace.append(line.rstrip("\n"))
    return len(line)

MAX_TAIL_CALL_CNT = 33      # include/linux/bpf.h
BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP = 1, 2
BPF_F_INDEX_MASK = BPF_F_CURRENT_CPU = 0xFFFFFFFF
BPF_F_CTXLEN_MASK = 0xFFFFF << 32



def trace_vprintk(run, vm, fmt, size, data, data_len, *_):
    """``bpf_trace_vprintk``: bpf_printk with more than 3 arguments (an array of u64)."""
    data_len &= U32
    if data_len % 8 or data_len > 8 * MAX_BPRINTF_VARARGS or (data_len and not data):
        return -EINVAL
    args = list(struct.unpack(f"<{data_len // 8}Q", vm.memory.read(data, data_len))) \
        if data_len else []
    line = bprintf(vm, vm.memory.read(fmt, size & U32), args)
    if isinstance(line, int):
        return line
    run.trace.append(line.rstrip("\n"))
    return len(line)


def snprintf(run, vm, out, out_size, fmt, data, data_len):
    """``bpf_snprintf``: the formatted text into ``out`` (cut to ``out_size - 1`` bytes and
    a NUL); the full length plus one, or -EINVAL.  (The verifier checks ``fmt`` at load.)"""
    out_size &= U32
    data_len &= U32
    if data_len % 8 or data_len > 8 * MAX_BPRINTF_VARARGS or (data_len and not data):
        return -EINVAL
    args = list(struct.unpack(f"<{data_len // 8}Q", vm.memory.read(data, data_len))) \
        if data_len else []
    fmt_bytes = bytearray()
    while not fmt_bytes.endswith(b"\0"):        # a NUL-terminated constant string
        fmt_bytes += vm.memory.read(fmt + len(fmt_bytes), 1)
    text = bprintf(vm, bytes(fmt_bytes), args, limit=None)
    if isinstance(text, int):
        return text
    raw = text.encode("latin-1")
    if out_size:
        vm.memory.write(out, raw[:out_size - 1] + b"\0")
    return len(raw) + 1


def tail_call(run, vm, ctx, mp, index, *_):
    """Run the program in ``mp[index]`` and make the calling function return its result
    (:class:`pipeline.vm.TailCallReturn`); an index out of range, an empty slot or the
    34th tail call of a run falls through (see :mod:`pipeline.prog_arrays`).  A target
    that throws (``bpf_throw``) ends there, with its own exception callback's result."""
    from ..vm import TailCallReturn, Thrown
    m = run.map_at(mp)
    if m.map_type != "prog_array":
        raise HelperFault(f"map {m.name} is not a prog array")
    idx = index & U32
    slots = getattr(run, "prog_arrays", {}).get(m.name, {})
    target = slots.get(idx) if idx < m.max_entries else None
    if target is None or run.tail_calls >= MAX_TAIL_CALL_CNT:
        return -ENOENT
    entry = getattr(vm, "programs", {}).get(target)
    if entry is None:
        raise HelperFault(f"program {target} of {m.name}[{idx}] is not loaded by this engine")
    run.tail_calls += 1
    outer_cb = getattr(vm, "exception_cb", 0)
    vm.exception_cb = getattr(vm, "exception_cbs", {}).get(target, 0)
    try:
        value = vm.call(entry, ctx, tail=True)
    except Thrown as e:
        value = e.value
    finally:
        vm.exception_cb = outer_cb
    raise TailCallReturn(value)

def _skb_span(run, vm, ctx, off, size) -> int | None:
    if run.packet is None:
        raise HelperFault("this program type has no packet")
    _, start, end = run.packet
    off = _s32(off)
    size = _s32(size)
    if off < 0 or size < 0 or start + off + size > end:
        return None
    return start + off

def skb_load_bytes(run, vm, ctx, off, to, size, *_):
    at = _skb_span(run, vm, ctx, off, size)
    if at is None:
        vm.memory.write(to, bytes(size & U32))
        return -EFAULT
    vm.memory.write(to, vm.memory.read(at, size & U32))
    return 0

def skb_store_bytes(run, vm, ctx, off, frm, size, flags):
    at = _skb_span(run, vm, ctx, off, size)
    if at is None:
        return -EFAULT
    vm.memory.write(at, vm.memory.read(frm, size & U32))
    return 0

def _csum_add(a: int, b: int) -> int:
    """Ones' complement 32-bit addition with end-around carry (kernel: csum_add)."""
    s = (a & U32) + (b & U32)
    return (s & U32) + (s >> 32)


def csum_partial(data: bytes, seed: int) -> int:
    """The 32-bit ones' complement sum of ``data`` (little-endian words, as the CPU loads
    them) and ``seed`` (kernel: csum_partial): 0 only when everything summed is 0."""
    total = (seed & U32) + sum(struct.unpack(f"<{len(data) // 4}I", data[:len(data) & ~3]))
    if len(data) & 3:
        total += int.from_bytes(data[len(data) & ~3:], "little")
    return 0 if total == 0 else (total - 1) % U32 + 1


def csum_from32to16(x: int) -> int:
    """Fold a 32-bit ones' complement sum to 16 bits (kernel: csum_from32to16)."""
    x &= U32
    x = (x + ((x >> 16) | (x << 16))) & U32
    return x >> 16


def csum_diff(run, vm, frm, from_size, to, to_size, seed):
    """``bpf_csum_diff``: the 16-bit folded checksum of ``to`` minus ``from`` plus ``seed``
    (from_size 0: pushing data; to_size 0: pulling data).  Any sizes, as the kernel (6.18)
    takes them
    (the verifier bounds them by the memory they describe)."""
    from_size &= U32
    to_size &= U32
    seed &= U32
    if from_size and to_size:
        got = _csum_add(csum_partial(vm.memory.read(to, to_size), seed),
                        ~csum_partial(vm.memory.read(frm, from_size), 0))
    elif to_size:
        got = csum_partial(vm.memory.read(to, to_size), seed)
    elif from_size:
        got = ~csum_partial(vm.memory.read(frm, from_size), ~seed)
    else:
        got = seed
    return csum_from32to16(got)

def get_hash_recalc(run, vm, ctx, *_):
    """A software hash set by bpf_set_hash stays; else a flow hash of the packet (the
    kernel's is keyed by a random secret, so any stable value is as good), kept in
    skb->hash as the kernel keeps it."""
    if getattr(run, "skb_sw_hash", False):
        return vm.memory.load(ctx + SKB_HASH, 4)
    if run.packet is None:
        return 0
    pkt, start, end = run.packet
    h = 0x811C9DC5             # FNV-1a of the packet: some stable non-zero flow hash
    for b in vm.memory.read(pkt.base, end - pkt.base):
        h = ((h ^ b) * 0x01000193) & U32
    vm.memory.store(ctx + SKB_HASH, 4, h or 1)
    return h or 1

def xdp_adjust_head(run, vm, md, delta, *_):
    if run.prog_type != "xdp" or run.packet is None:
        raise HelperFault("bpf_xdp_adjust_head outside an XDP program")
    pkt = run.packet[0]
    data = vm.memory.load(md + XDP_DATA, 4)
    end = vm.memory.load(md + XDP_DATA_END, 4)
    meta = vm.memory.load(md + XDP_DATA_META, 4)
    new = data + _s32(delta)
    if new < pkt.base + XDP_FRAME_SIZE or new > end - ETH_HLEN:
        return -EINVAL
    vm.memory.store(md + XDP_DATA, 4, new)
    vm.memory.store(md + XDP_DATA_META, 4, meta + _s32(delta))
    return 0

def spin_lock(run, vm, *_):
    return 0


def sk_lookup_tcp(run, vm, *_):
    return 0                    # no sockets in a test run


def sk_release(run, vm, *_):
    return 0

def ringbuf_reserve(run, vm, mp, size, flags, *_):
    """kernel/bpf/ringbuf.c: a record of ``size`` bytes behind an 8-byte header marked
    BUSY, or NULL (flags, or no room: the ring keeps at most its size - 1 bytes)."""
    m = run.map_at(mp)
    if m.map_type != "ringbuf" or flags:
        return 0
    size &= U64
    need = _round(size + RINGBUF_HDR, 8)
    cap = m.storage_size()
    if need > cap or m.rb_head + need > cap - 1:
        return 0
    hdr = m.values + m.rb_head
    vm.memory.write(hdr, struct.pack("<II", size | RINGBUF_BUSY, 0))   # pg_off: unused here
    m.rb_head += need
    return hdr + RINGBUF_HDR


def _ringbuf_commit(run, vm, sample, discard: bool) -> None:
    hdr = (sample & U64) - RINGBUF_HDR
    if not any(m.map_type == "ringbuf" and m.values <= hdr < m.values + m.rb_head
               for m in run.maps):
        raise HelperFault(f"{sample & U64:#x} is not a reserved ring buffer record")
    length = vm.memory.load(hdr, 4) & ~RINGBUF_BUSY
    vm.memory.store(hdr, 4, length | (RINGBUF_DISCARD if discard else 0))


def ringbuf_submit(run, vm, sample, flags, *_):
    _ringbuf_commit(run, vm, sample, False)
    return 0


def ringbuf_discard(run, vm, sample, flags, *_):
    _ringbuf_commit(run, vm, sample, True)
    return 0


def ringbuf_output(run, vm, mp, data, size, flags, *_):
    if flags & U64 & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP):
        return -EINVAL
    at = ringbuf_reserve(run, vm, mp, size, 0)
    if not at:
        return -EAGAIN
    vm.memory.write(at, vm.memory.read(data, size & U32))
    _ringbuf_commit(run, vm, at, False)
    return 0


def perf_event_output(run, vm, ctx, mp, flags, data, size):
    """bpf_perf_event_output (bpf_skb_event_output / bpf_xdp_event_output for packet
    programs: the upper 32 bits of ``flags`` append that many packet bytes).  Every slot
    holds a BPF-output event, slot i on CPU i, as libbpf's perf_buffer sets up; the run is
    on CPU 0.  The record (``data`` then the packet bytes) goes to ``run.perf_events``."""
    m = run.map_at(mp)
    flags &= U64
    pkt_len = (flags & BPF_F_CTXLEN_MASK) >> 32
    allowed = BPF_F_INDEX_MASK | (BPF_F_CTXLEN_MASK if run.packet is not None else 0)
    if flags & ~allowed:
        return -EINVAL
    extra = b""
    if pkt_len:
        start = vm.memory.load(ctx + XDP_DATA, 4) if run.prog_type == "xdp" \
            else run.packet[1]
        end = vm.memory.load(ctx + XDP_DATA_END, 4) if run.prog_type == "xdp" \
            else run.packet[2]
        if pkt_len > end - start:
            return -EFAULT
        extra = vm.memory.read(start, pkt_len)
    if m.map_type != "perf_event_array":
        return -EINVAL
    index = flags & BPF_F_INDEX_MASK
    cpu = 0                                   # get_smp_processor_id
    if index == BPF_F_CURRENT_CPU:
        index = cpu
    if index >= (m.max_entries or 1):        # libbpf sizes an unsized array to the CPUs
        return -E2BIG
    if index != cpu:
        return -_errno.EOPNOTSUPP             # the slot's event is on another CPU
    record = (vm.memory.read(data, size & U64) if size & U64 else b"") + extra
    run.perf_events.append({"map": m.name, "cpu": cpu, "data": record})
    return 0

def loop(run, vm, nr, cb, ctx, flags, *_):
    if flags:
        return -EINVAL
    if nr > 1 << 23:
        return -E2BIG
    call = vm.call
    for i in range(nr):
        if call(cb, i, ctx) & U64:
            return i + 1
    return nr

def for_each_map_elem(run, vm, mp, cb, ctx, flags, *_):
    if flags:
        return -EINVAL
    m = run.map_at(mp)
    call = vm.call
    if m.is_array:
        keys = [i.to_bytes(4, "little") for i in range(max(m.max_entries, 1))]
        addrs = [m.values + i * m.elem_size for i in range(len(keys))]
    elif m.is_hash:
        keys = list(m.slots)
        addrs = [m.values + m.slots[k] * m.elem_size for k in keys]
    else:
        return -EINVAL
    n = 0
    for k, v in zip(keys, addrs):
        vm.memory.write(run.key_scratch, k)
        n += 1
        if call(cb, mp, run.key_scratch, v, ctx) & U64:
            break
    return n


ktime_get_boot_ns = ktime_get_ns
ktime_get_coarse_ns = ktime_get_ns
spin_unlock = spin_lock
sk_lookup_udp = sk_lookup_tcp
skc_lookup_tcp = sk_lookup_tcp


HELPERS = {1: "map_lookup_elem", 2: "map_update_elem", 3: "map_delete_elem", 4: "probe_read",
           5: "ktime_get_ns", 6: "trace_printk", 7: "get_prandom_u32", 8: "get_smp_processor_id",
           9: "skb_store_bytes", 10: "l3_csum_replace", 11: "l4_csum_replace", 12: "tail_call",
           13: "clone_redirect", 14: "get_current_pid_tgid", 15: "get_current_uid_gid",
           16: "get_current_comm", 17: "get_cgroup_classid", 23: "redirect", 24: "get_route_realm",
           25: "perf_event_output", 26: "skb_load_bytes", 28: "csum_diff", 32: "skb_change_type",
           34: "get_hash_recalc", 39: "skb_pull_data", 40: "csum_update", 41: "set_hash_invalid",
           42: "get_numa_node_id", 44: "xdp_adjust_head", 45: "probe_read_str",
           47: "get_socket_uid", 48: "set_hash", 51: "redirect_map", 54: "xdp_adjust_meta",
           65: "xdp_adjust_tail", 68: "skb_load_bytes_relative", 79: "skb_cgroup_id",
           80: "get_current_cgroup_id", 83: "skb_ancestor_cgroup_id", 84: "sk_lookup_tcp",
           85: "sk_lookup_udp", 86: "sk_release", 87: "map_push_elem", 88: "map_pop_elem",
           89: "map_peek_elem", 93: "spin_lock", 94: "spin_unlock", 95: "sk_fullsock",
           96: "tcp_sock", 97: "skb_ecn_set_ce", 98: "get_listener_sock", 99: "skc_lookup_tcp",
           100: "tcp_check_syncookie", 105: "strtol", 106: "strtoul", 110: "tcp_gen_syncookie",
           113: "probe_read_kernel", 115: "probe_read_kernel_str", 118: "jiffies64",
           123: "get_current_ancestor_cgroup_id", 125: "ktime_get_boot_ns", 128: "sk_cgroup_id",
           129: "sk_ancestor_cgroup_id", 130: "ringbuf_output", 131: "ringbuf_reserve",
           132: "ringbuf_submit", 133: "ringbuf_discard", 135: "csum_level",
           151: "skb_cgroup_classid", 152: "redirect_neigh", 155: "redirect_peer",
           160: "ktime_get_coarse_ns", 163: "check_mtu", 164: "for_each_map_elem", 165: "snprintf",
           169: "timer_init", 170: "timer_set_callback", 171: "timer_start", 172: "timer_cancel",
           177: "trace_vprintk", 181: "loop", 182: "strncmp", 188: "xdp_get_buff_len",
           189: "xdp_load_bytes", 190: "xdp_store_bytes", 195: "map_lookup_percpu_elem",
           208: "ktime_get_tai_ns", **helpers_dynptr.HELPERS}


# Helpers the verifier accepts for some program type that a test run cannot give the
# kernel's answer for: refused before the run, with the reason (the rest of the verifier's
# tables is implemented above; tests/runtime/test_helper_coverage.py holds the two together).
NOT_MODELLED = {
    "bpf_probe_read_user": "a test run has no user memory",
    "bpf_probe_read_user_str": "a test run has no user memory",
    "bpf_copy_from_user": "a test run has no user memory",
    "bpf_get_current_task": "the mock kernel has no task_struct to point to",
    "bpf_fib_lookup": "its answer depends on the host's routes and sysctls",
    "bpf_get_socket_cookie": "the test run's socket cookie is not deterministic",
    "bpf_send_signal": "it would signal the process running the test",
    "bpf_send_signal_thread": "it would signal the process running the test",
    "bpf_get_stackid": "a test run has no stack traces",
    "bpf_get_stack": "a test run has no stack traces",
    "bpf_get_func_ip": "a test run is not attached to a function",
    "bpf_get_attach_cookie": "a test run has no attachment",
    "bpf_perf_event_read": "a test run has no perf events",
    "bpf_perf_event_read_value": "a test run has no perf events",
    "bpf_perf_prog_read_value": "a test run has no perf events",
    "bpf_skb_change_tail": "the mock kernel does not resize the test run's packet",
    "bpf_skb_change_head": "the mock kernel does not resize the test run's packet",
    "bpf_skb_adjust_room": "the mock kernel does not resize the test run's packet",
    "bpf_skb_vlan_push": "the mock kernel does not resize the test run's packet",
    "bpf_skb_vlan_pop": "the mock kernel does not resize the test run's packet",
    "bpf_skb_change_proto": "the mock kernel does not resize the test run's packet",
}


def unimplemented_calls(insns, seen=None) -> list[tuple[int, int]]:
    """``(insn index, helper id)`` of each helper call the mock kernel does not implement,
    among the instructions verification reached (``seen``: the verdict's ``seen_insns``;
    ``None``: all of them)."""
    from isa import opcodes as op
    out = []
    for i, insn in enumerate(insns):
        if insn.code == op.CALL_OP and insn.src == op.CALL_HELPER and insn.imm not in HELPERS \
                and (seen is None or (i < len(seen) and seen[i])):
            out.append((i, insn.imm))
    return out


def why_not(helper_id: int) -> str:
    """The reason a helper is refused before a run, for its error message."""
    from isa.uapi import helper_name
    name = helper_name(helper_id)
    if name is None:
        return f"helper {helper_id} does not exist"
    return NOT_MODELLED.get(name, "the mock kernel does not implement it")


_HOMES = (helpers_net, helpers_str, helpers_maps, timers, helpers_dynptr)   # besides this module


def _impl(name: str):
    fn = globals().get(name)
    for mod in _HOMES:
        if fn is not None:
            break
        fn = getattr(mod, name, None)
    return fn


def table() -> dict[int, Helper]:
    """Every implemented helper by id (defined here or in a module of :data:`_HOMES`)."""
    return {hid: Helper(f"bpf_{name}", hid, _impl(name)) for hid, name in HELPERS.items()}


def bind(helpers: dict[int, Helper], run) -> dict:
    """The executors' helper table for one run: ``id -> fn(vm, *args)``; a HelperFault
    becomes a runtime fault naming the helper."""
    from ..vm import HelperError

    def one(h: Helper):
        def call(vm, *args):
            try:
                return h.impl(run, vm, *args)
            except HelperFault as e:
                raise HelperError(f"{h.name}: {e}") from None
        call.__name__ = h.name
        return call
    return {hid: one(h) for hid, h in helpers.items()}
