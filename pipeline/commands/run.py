"""``python -m pipeline run FILE [--prog NAME] [--set GLOBAL=VALUE]... [--data HEX|@FILE]
[--engine unicorn|interp|native] [--repeat N] [--no-verify] [--json]``.

Load, verify (a rejection is exit 1 with the verifier's message), JIT and run
one program, the way ``BPF_PROG_TEST_RUN`` runs it in the kernel:

* the **context** depends on the program type: ``struct __sk_buff`` for skb
  programs (the packet starts at the Ethernet header for tc, at the network
  header for socket filters, cgroup_skb and lwt, as the kernel's test run
  does), ``struct xdp_md`` for XDP (256 bytes of headroom), and for every
  other type the ``--data`` bytes themselves (zero-filled to 512 bytes).
  Packet and ctx live below 4 GiB, so the 32-bit ``data``/``data_end``
  fields hold real pointers;
* **maps** (BTF-defined ``.maps``: array, percpu array with one CPU, hash,
  LRU hash, ring buffer, prog array — always empty, so tail calls fall
  through) and **globals** (``.data``/``.bss``/``.rodata`` as libbpf's
  skeleton maps them; ``--set`` writes a global before the run, like
  ``skel->bss->x = v`` / ``skel->rodata->x = v`` before load) are memory
  regions of the run; every global is reported afterwards;
* **helpers** by id (:data:`HELPERS`) and the mock kernel's **kfuncs**
  (``pipeline.kernel``), with the kfunc call trace reported.

Engines: ``unicorn`` (default) runs the JIT's x86-64 image
(:mod:`pipeline.exec_unicorn`); ``interp`` the reference interpreter on the
same memory layout.  ``--repeat N`` runs N times (maps and globals persist
between runs, as in the kernel's repeat) and reports the last result.

``--no-verify`` skips the verifier (stack-argument programs and kfunc calls
are verified like any other program; the flag is an escape hatch for
experiments).  The JIT then takes its facts from the object: function starts
from the link table, incoming slot counts from BTF, outgoing slots by
scanning r11 stores.

JSON: ``{"prog", "retval" (u32, as BPF_PROG_TEST_RUN reports it), "r0" (full
64 bits), "engine", "repeat", "duration_ns", "globals": {name: value},
"verifier": {"processed_insns", ...} | {"skipped": true}, "kfunc_calls":
[{"name", "args", "ret"}], "trace": [trace_printk lines]}``.  Runtime faults
are ``{"error": {"kind": "runtime", ...}}`` with exit 1.
"""

from __future__ import annotations

import json
import struct
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from isa import opcodes as op

from ..errors import BAD_INPUT, REJECTED, UserError

U32, U64 = (1 << 32) - 1, (1 << 64) - 1
PAGE = 0x1000
EPERM, ENOENT, EFAULT, EEXIST, EINVAL, E2BIG, ENOSPC = 1, 2, 14, 17, 22, 7, 28
BPF_ANY, BPF_NOEXIST, BPF_EXIST = 0, 1, 2
ETH_HLEN = 14
SKF_NET_OFF, SKF_LL_OFF = -0x100000, -0x200000   # LD_ABS bases (include/uapi/linux/filter.h)
XDP_HEADROOM = 256
XDP_FRAME_SIZE = 40            # sizeof(struct xdp_frame): adjust_head may not go below it
SKB_SIZE = 192                 # sizeof(struct __sk_buff)
XDP_MD_SIZE = 24
DEFAULT_CTX_SIZE = 512
DEFAULT_PACKET = bytes(64)     # what the selftests' RUN_TESTS loader passes

# struct __sk_buff field offsets (include/uapi/linux/bpf.h)
SKB_LEN, SKB_PKT_TYPE, SKB_PROTOCOL, SKB_IFINDEX, SKB_INGRESS_IFINDEX = 0, 4, 16, 40, 36
SKB_DATA, SKB_DATA_END, SKB_DATA_META = 76, 80, 140
# struct xdp_md
XDP_DATA, XDP_DATA_END, XDP_DATA_META, XDP_INGRESS_IFINDEX = 0, 4, 8, 12

SKB_TYPES = {"socket_filter", "sched_cls", "sched_act", "cgroup_skb", "sk_skb", "lwt_in",
             "lwt_out", "lwt_xmit", "lwt_seg6local", "flow_dissector"}
L2_TYPES = {"sched_cls", "sched_act", "sk_skb", "flow_dissector"}  # is_l2 in test_run_skb


def _round(n: int, to: int) -> int:
    return (n + to - 1) // to * to


def _s64(v: int) -> int:
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def _s32(v: int) -> int:
    v &= U32
    return v - (1 << 32) if v >> 31 else v


class HelperFault(Exception):
    """A helper was called with arguments the kernel would have rejected at load time."""


# =====================================================================================
# maps
# =====================================================================================

@dataclass
class MapObj:
    """One map of the run: a handle address (what LD_IMM64 of the map yields) and storage."""
    name: str
    map_type: str
    key_size: int
    value_size: int
    max_entries: int
    flags: int = 0
    handle: int = 0
    values: int = 0          # base address of the value storage
    kind: str = "map"        # "map" or "data" (a global-data section)
    slots: dict = field(default_factory=dict)   # hash: key bytes -> slot index (insertion order)
    free: list = field(default_factory=list)
    rb_head: int = 0         # ring buffer: bytes reserved so far

    @property
    def elem_size(self) -> int:
        return _round(max(self.value_size, 1), 8)

    @property
    def is_array(self) -> bool:
        return self.map_type in ("array", "percpu_array", "prog_array", "cgroup_array",
                                 "array_of_maps", "perf_event_array") or self.kind == "data"

    @property
    def is_hash(self) -> bool:
        return self.map_type in ("hash", "percpu_hash", "lru_hash", "lru_percpu_hash",
                                 "hash_of_maps")

    def storage_size(self) -> int:
        if self.kind == "data":
            return self.value_size
        if self.map_type == "ringbuf":
            return max(self.max_entries, PAGE)
        if self.is_array or self.is_hash:
            return self.elem_size * max(self.max_entries, 1)
        return 0


# =====================================================================================
# the environment: memory layout, resolution of map/global addresses, helpers
# =====================================================================================

@dataclass
class Region:
    name: str
    base: int
    data: bytearray
    writable: bool = True


class RunEnv:
    """Everything a run needs besides the code; engine independent.

    Regions are placed from :data:`pipeline.exec_unicorn.DATA_BASE` upward, a
    guard page apart; both engines map them at the same addresses, so the
    same program sees the same pointers under the JIT and the interpreter.
    """

    def __init__(self, obj, prog, data: bytes | None, sets: dict[str, str] | None = None,
                 btf_obj=None):
        from ..exec_unicorn import DATA_BASE
        self.obj, self.prog = obj, prog
        self.prog_type = prog.type or "socket_filter"
        self.regions: list[Region] = []
        self._next = DATA_BASE
        self.maps: list[MapObj] = []
        self.by_handle: dict[int, MapObj] = {}
        self.trace: list[str] = []
        self.clock = 1_000_000_000
        self.rand = 0x5EED1234
        self.btf_obj = btf_obj
        self.globals = self._global_symbols()
        self._setup_ctx(DEFAULT_PACKET if data is None else data)
        self._setup_maps(sets or {})

    # -- layout ------------------------------------------------------------------------
    def add_region(self, name: str, data: bytes | bytearray, writable: bool = True) -> Region:
        r = Region(name, self._next, bytearray(data), writable)
        self._next += _round(max(len(data), 1), PAGE) + PAGE       # one guard page between
        self.regions.append(r)
        return r

    def _setup_ctx(self, data: bytes) -> None:
        t = self.prog_type
        self.packet = None
        if t in SKB_TYPES:
            l2 = t in L2_TYPES
            if len(data) < ETH_HLEN:
                raise UserError("usage", f"--data: an skb test run needs at least {ETH_HLEN} "
                                         f"bytes, got {len(data)}", None, BAD_INPUT)
            pkt = self.add_region("packet", data)
            start = pkt.base + (0 if l2 else ETH_HLEN)
            self.packet = (pkt, start, pkt.base + len(data))
            skb = bytearray(SKB_SIZE)
            struct.pack_into("<I", skb, SKB_LEN, pkt.base + len(data) - start)
            struct.pack_into("<I", skb, SKB_PROTOCOL, int.from_bytes(data[12:14], "little"))
            struct.pack_into("<I", skb, SKB_IFINDEX, 1)             # the test run uses lo
            struct.pack_into("<I", skb, SKB_DATA, start)
            struct.pack_into("<I", skb, SKB_DATA_END, pkt.base + len(data))
            struct.pack_into("<I", skb, SKB_DATA_META, start)
            self.ctx = self.add_region("ctx", skb)
        elif t == "xdp":
            pkt = self.add_region("packet", bytes(XDP_HEADROOM) + data)
            start = pkt.base + XDP_HEADROOM
            self.packet = (pkt, start, start + len(data))
            md = bytearray(XDP_MD_SIZE)
            struct.pack_into("<III", md, XDP_DATA, start, start + len(data), start)
            struct.pack_into("<I", md, XDP_INGRESS_IFINDEX, 1)
            self.ctx = self.add_region("ctx", md)
        else:
            self.ctx = self.add_region("ctx", data.ljust(DEFAULT_CTX_SIZE, b"\0"))

    def _global_symbols(self) -> dict[str, tuple[str, int, int]]:
        """Global variable name -> (data section, offset, size).

        Like a libbpf skeleton: non-static variables only (static ones, such as
        bpf_printk's format strings, are not part of the skeleton's interface).
        """
        out = {}
        for d in self.obj.data_sections:
            for s in d.symbols:
                if s.name and s.size and s.bind in ("GLOBAL", "WEAK"):
                    out[s.name] = (d.name, s.value, s.size)
        return out

    def _setup_maps(self, sets: dict[str, str]) -> None:
        from .verify import map_descs
        btf = self.btf_obj[0] if self.btf_obj else None
        descs = map_descs(self.obj, btf)
        init = {d.name: bytearray(d.data if d.data is not None else bytes(d.size))
                for d in self.obj.data_sections}
        for name, text in sets.items():
            if name not in self.globals:
                known = ", ".join(sorted(self.globals)) or "none"
                raise UserError("usage", f"--set: no global variable '{name}' (globals: {known})",
                                None, BAD_INPUT)
            sec, off, size = self.globals[name]
            init[sec][off:off + size] = _parse_value(name, text, size)
        self.initial = {k: bytes(v) for k, v in init.items()}   # what the verifier sees
        for ref, desc in zip(self.obj.map_table, descs):
            m = MapObj(desc.name, desc.map_type, desc.key_size, desc.value_size,
                       desc.max_entries, desc.flags, kind=ref.kind if ref.kind == "data" else "map")
            m.handle = self.add_region(f"map:{m.name}", bytes(64), writable=False).base
            if m.kind == "data":
                sec = next(d for d in self.obj.data_sections if d.name == ref.name)
                m.values = self.add_region(ref.name, init[ref.name],
                                           writable=sec.kind != "rodata").base
            elif m.storage_size():
                m.values = self.add_region(f"values:{m.name}", bytes(m.storage_size())).base
                m.free = list(range(max(m.max_entries, 1)))
            self.maps.append(m)
            self.by_handle[m.handle] = m
        self.key_scratch = self.add_region("keys", bytes(64)).base   # for_each_map_elem keys

    # -- addresses the code refers to --------------------------------------------------
    def resolve(self, target) -> int:
        from jit import LinkError
        if target.kind in ("map", "map_value"):
            if not 0 <= target.ident < len(self.maps):
                raise LinkError(f"map index {target.ident} is not in the object's map table")
            m = self.maps[target.ident]
            if target.kind == "map":
                return m.handle
            if not m.values:
                raise LinkError(f"map {m.name} has no directly addressable value")
            return m.values + target.addend
        raise LinkError(f"{target.describe()} is not supported by this runner")

    def ld_imm64(self, insn, second, pc):
        """The interpreter's LD_IMM64 resolver: same addresses as :meth:`resolve`."""
        from jit import Target
        from ..interp import InterpError
        kinds = {op.PSEUDO_MAP_IDX: "map", op.PSEUDO_MAP_FD: "map",
                 op.PSEUDO_MAP_IDX_VALUE: "map_value", op.PSEUDO_MAP_VALUE: "map_value"}
        kind = kinds.get(insn.src)
        if kind is None:
            raise InterpError(f"LD_IMM64 with pseudo source {insn.src} is not supported", pc)
        try:
            return self.resolve(Target(kind, insn.imm, second.imm & U32))
        except Exception as e:  # noqa: BLE001 - LinkError: a fault of this run
            raise InterpError(str(e), pc) from None

    def map_at(self, handle: int) -> MapObj:
        m = self.by_handle.get(handle & U64)
        if m is None:
            raise HelperFault(f"{handle:#x} is not a map")
        return m

    # -- LD_ABS / LD_IND -----------------------------------------------------------------
    def ld_abs(self, vm, ctx: int, off: int, size: int) -> int | None:
        """The value (network byte order) or None: the program then returns 0.

        Offsets count from skb->data; the kernel's negative bases reach the
        network header (``SKF_NET_OFF``) and the link-layer header (``SKF_LL_OFF``).
        """
        if self.packet is None:
            return None
        pkt, start, end = self.packet
        off = _s32(off)
        if off < 0:
            if off >= SKF_NET_OFF:
                start, off = pkt.base + ETH_HLEN, off - SKF_NET_OFF
            elif off >= SKF_LL_OFF:
                start, off = pkt.base, off - SKF_LL_OFF
            else:
                return None
        if start + off + size > end:
            return None
        return int.from_bytes(vm.memory.read(start + off, size), "big")

    # -- helpers -------------------------------------------------------------------------
    def helper_table(self) -> dict:
        table = {}
        for hid, name in HELPERS.items():
            fn = getattr(self, f"h_{name}")
            table[hid] = _named(fn, name)
        return table

    def h_map_lookup_elem(self, vm, mp, key, *_):
        m = self.map_at(mp)
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

    def h_map_update_elem(self, vm, mp, key, value, flags, *_):
        m = self.map_at(mp)
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
            return 0
        return -EINVAL

    def h_map_delete_elem(self, vm, mp, key, *_):
        m = self.map_at(mp)
        if not m.is_hash:
            return -EINVAL
        k = vm.memory.read(key, m.key_size)
        slot = m.slots.pop(k, None)
        if slot is None:
            return -ENOENT
        m.free.append(slot)
        return 0

    def h_ktime_get_ns(self, vm, *_):
        self.clock += 1000       # a deterministic clock that always moves forward
        return self.clock

    h_ktime_get_boot_ns = h_ktime_get_ns
    h_ktime_get_coarse_ns = h_ktime_get_ns

    def h_jiffies64(self, vm, *_):
        return 4_294_967_296 + self.clock // 4_000_000

    def h_get_prandom_u32(self, vm, *_):
        x = self.rand               # xorshift32: deterministic, never 0
        x ^= (x << 13) & U32
        x ^= x >> 17
        x ^= (x << 5) & U32
        self.rand = x
        return x

    def h_get_smp_processor_id(self, vm, *_):
        return 0

    def h_get_numa_node_id(self, vm, *_):
        return 0

    def h_get_current_pid_tgid(self, vm, *_):
        return (4242 << 32) | 4242

    def h_get_current_uid_gid(self, vm, *_):
        return 0

    def h_get_current_comm(self, vm, buf, size, *_):
        if size:
            name = b"stackargs\0"[:size]
            vm.memory.write(buf, name.ljust(size, b"\0"))
        return 0

    def h_trace_printk(self, vm, fmt, size, a1, a2, a3):
        text = vm.memory.read(fmt, size).split(b"\0", 1)[0].decode("latin-1")
        line = _printk(vm, text, [a1, a2, a3])
        self.trace.append(line.rstrip("\n"))
        return len(line)

    def h_tail_call(self, vm, ctx, mp, index, *_):
        self.map_at(mp)
        return -ENOENT          # every prog array of a test run is empty: fall through

    def _skb_span(self, vm, ctx, off, size) -> int | None:
        if self.packet is None:
            raise HelperFault("this program type has no packet")
        _, start, end = self.packet
        off = _s32(off)
        size = _s32(size)
        if off < 0 or size < 0 or start + off + size > end:
            return None
        return start + off

    def h_skb_load_bytes(self, vm, ctx, off, to, size, *_):
        at = self._skb_span(vm, ctx, off, size)
        if at is None:
            vm.memory.write(to, bytes(size & U32))
            return -EFAULT
        vm.memory.write(to, vm.memory.read(at, size & U32))
        return 0

    def h_skb_store_bytes(self, vm, ctx, off, frm, size, flags):
        at = self._skb_span(vm, ctx, off, size)
        if at is None:
            return -EFAULT
        vm.memory.write(at, vm.memory.read(frm, size & U32))
        return 0

    def h_csum_diff(self, vm, frm, from_size, to, to_size, seed):
        if from_size % 4 or to_size % 4 or from_size > 512 or to_size > 512:
            return -EINVAL
        words = [~w & U32 for w in struct.unpack(f"<{from_size // 4}I", vm.memory.read(
            frm, from_size))] if from_size else []
        words += list(struct.unpack(f"<{to_size // 4}I", vm.memory.read(to, to_size))) \
            if to_size else []
        total = seed & U32
        for w in words:           # ones' complement sum with end-around carry
            total += w
            total = (total & U32) + (total >> 32)
        return total & U32

    def h_get_hash_recalc(self, vm, ctx, *_):
        if self.packet is None:
            return 0
        pkt, start, end = self.packet
        h = 0x811C9DC5             # FNV-1a of the packet: some stable non-zero flow hash
        for b in vm.memory.read(pkt.base, end - pkt.base):
            h = ((h ^ b) * 0x01000193) & U32
        return h or 1

    def h_xdp_adjust_head(self, vm, md, delta, *_):
        if self.prog_type != "xdp" or self.packet is None:
            raise HelperFault("bpf_xdp_adjust_head outside an XDP program")
        pkt = self.packet[0]
        data = vm.memory.load(md + XDP_DATA, 4)
        end = vm.memory.load(md + XDP_DATA_END, 4)
        meta = vm.memory.load(md + XDP_DATA_META, 4)
        new = data + _s32(delta)
        if new < pkt.base + XDP_FRAME_SIZE or new > end - ETH_HLEN:
            return -EINVAL
        vm.memory.store(md + XDP_DATA, 4, new)
        vm.memory.store(md + XDP_DATA_META, 4, meta + _s32(delta))
        return 0

    def h_spin_lock(self, vm, *_):
        return 0

    h_spin_unlock = h_spin_lock

    def h_sk_lookup_tcp(self, vm, *_):
        return 0                    # no sockets in a test run

    h_sk_lookup_udp = h_sk_lookup_tcp
    h_skc_lookup_tcp = h_sk_lookup_tcp

    def h_sk_release(self, vm, *_):
        return 0

    def h_ringbuf_reserve(self, vm, mp, size, flags, *_):
        m = self.map_at(mp)
        if m.map_type != "ringbuf" or flags:
            return 0
        need = 8 + _round(size & U32, 8)      # an 8-byte record header, as the kernel's
        if m.rb_head + need > m.storage_size():
            return 0
        at = m.values + m.rb_head + 8
        m.rb_head += need
        return at

    def h_ringbuf_submit(self, vm, *_):
        return 0

    h_ringbuf_discard = h_ringbuf_submit

    def h_ringbuf_output(self, vm, mp, data, size, flags, *_):
        at = self.h_ringbuf_reserve(vm, mp, size, flags)
        if not at:
            return -EAGAIN
        vm.memory.write(at, vm.memory.read(data, size & U32))
        return 0

    def h_probe_read_kernel(self, vm, dst, size, src, *_):
        try:
            data = vm.memory.read(src, size & U32)
        except Exception:  # noqa: BLE001 - an unreadable source is -EFAULT, not a fault
            vm.memory.write(dst, bytes(size & U32))
            return -EFAULT
        vm.memory.write(dst, data)
        return 0

    def h_timer_init(self, vm, *_):
        return 0                    # timers never fire during a test run

    h_timer_set_callback = h_timer_init
    h_timer_start = h_timer_init
    h_timer_cancel = h_timer_init

    def h_loop(self, vm, nr, cb, ctx, flags, *_):
        if flags:
            return -EINVAL
        if nr > 1 << 23:
            return -E2BIG
        call = getattr(vm, "call", None)
        if call is None:
            raise HelperFault("callbacks need the unicorn engine")
        for i in range(nr):
            if call(cb, i, ctx) & U64:
                return i + 1
        return nr

    def h_for_each_map_elem(self, vm, mp, cb, ctx, flags, *_):
        if flags:
            return -EINVAL
        m = self.map_at(mp)
        call = getattr(vm, "call", None)
        if call is None:
            raise HelperFault("callbacks need the unicorn engine")
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
            vm.memory.write(self.key_scratch, k)
            n += 1
            if call(cb, mp, self.key_scratch, v, ctx) & U64:
                break
        return n

    # -- after the run -------------------------------------------------------------------
    def global_values(self, read) -> dict:
        """Every global variable's value, from ``read(section) -> bytes``."""
        signed = self._signed_globals()
        cache: dict[str, bytes] = {}
        out = {}
        for name, (sec, off, size) in sorted(self.globals.items(), key=lambda kv: kv[1]):
            if sec not in cache:
                cache[sec] = read(sec)
            raw = cache[sec][off:off + size]
            if size in (1, 2, 4, 8):
                v = int.from_bytes(raw, "little")
                if name in signed and v >> (8 * size - 1):
                    v -= 1 << (8 * size)
                out[name] = v
            else:
                out[name] = raw.hex()
        return out

    def _signed_globals(self) -> set[str]:
        if not self.btf_obj:
            return set()
        from btf import kinds as L
        btf = self.btf_obj[0]
        out = set()
        for t in btf.types:
            if t is None or t.kind != L.VAR:
                continue
            r = btf.resolve(t.type)
            if (r.kind == L.INT and r.int_encoding & 1) or (r.kind in (L.ENUM, L.ENUM64)
                                                              and r.kflag):
                out.add(t.name)
        return out


EAGAIN = 11

# helper id -> RunEnv method suffix (ids: include/uapi/linux/bpf.h, ___BPF_FUNC_MAPPER)
HELPERS = {1: "map_lookup_elem", 2: "map_update_elem", 3: "map_delete_elem",
           5: "ktime_get_ns", 6: "trace_printk", 7: "get_prandom_u32",
           8: "get_smp_processor_id", 9: "skb_store_bytes", 12: "tail_call",
           14: "get_current_pid_tgid", 15: "get_current_uid_gid", 16: "get_current_comm",
           26: "skb_load_bytes", 28: "csum_diff", 34: "get_hash_recalc", 42: "get_numa_node_id",
           44: "xdp_adjust_head", 84: "sk_lookup_tcp", 85: "sk_lookup_udp", 86: "sk_release",
           93: "spin_lock", 94: "spin_unlock", 99: "skc_lookup_tcp", 113: "probe_read_kernel",
           118: "jiffies64", 125: "ktime_get_boot_ns", 130: "ringbuf_output",
           131: "ringbuf_reserve", 132: "ringbuf_submit", 133: "ringbuf_discard",
           160: "ktime_get_coarse_ns", 164: "for_each_map_elem", 169: "timer_init",
           170: "timer_set_callback", 171: "timer_start", 172: "timer_cancel", 181: "loop"}


def _named(fn, name):
    """Wrap a helper so a HelperFault becomes a runtime fault naming the helper."""
    from ..interp import HelperError

    def helper(vm, *args):
        try:
            return fn(vm, *args)
        except HelperFault as e:
            raise HelperError(f"bpf_{name}: {e}") from None
    helper.__name__ = f"bpf_{name}"
    return helper


def _printk(vm, fmt: str, args: list[int]) -> str:
    """The kernel's bpf_trace_printk subset: %d %i %u %x %X %p %s %c with l/ll modifiers."""
    out, i, n = [], 0, 0
    while i < len(fmt):
        c = fmt[i]
        if c != "%":
            out.append(c)
            i += 1
            continue
        j = i + 1
        while j < len(fmt) and fmt[j] in "-+ 0#123456789":
            j += 1
        width = fmt[i + 1:j]
        longs = 0
        while j < len(fmt) and fmt[j] == "l":
            longs += 1
            j += 1
        conv = fmt[j] if j < len(fmt) else ""
        if conv == "%":
            out.append("%")
        elif conv and n < len(args):
            v = args[n] & (U64 if longs else U32)
            n += 1
            bits = 64 if longs else 32
            if conv in "di":
                v = v - (1 << bits) if v >> (bits - 1) else v
                out.append(("%" + width + "d") % v)
            elif conv == "u":
                out.append(("%" + width + "d") % v)
            elif conv in "xX":
                out.append(("%" + width + conv) % v)
            elif conv == "p":
                out.append(f"0x{args[n - 1] & U64:x}")
            elif conv == "c":
                out.append(chr(v & 0xFF))
            elif conv == "s":
                try:
                    s = vm.memory.read(args[n - 1], 1)
                    raw, a = b"", args[n - 1]
                    while len(raw) < 256:
                        s = vm.memory.read(a + len(raw), 1)
                        if s == b"\0":
                            break
                        raw += s
                    out.append(raw.decode("latin-1"))
                except Exception:  # noqa: BLE001 - the kernel prints what it can
                    out.append("(efault)")
            else:
                out.append(fmt[i:j + 1])
        else:
            out.append(fmt[i:j + 1])
        i = j + 1
    return "".join(out)


def _parse_value(name: str, text: str, size: int) -> bytes:
    t = text.strip()
    if t.lower().startswith("hex:"):
        try:
            raw = bytes.fromhex(t[4:])
        except ValueError:
            raise UserError("usage", f"--set {name}: bad hex bytes {t[4:]!r}", None,
                            BAD_INPUT) from None
        if len(raw) > size:
            raise UserError("usage", f"--set {name}: {len(raw)} bytes do not fit its {size}",
                            None, BAD_INPUT)
        return raw.ljust(size, b"\0")
    try:
        v = int(t, 0)
    except ValueError:
        raise UserError("usage", f"--set {name}={text}: not an integer (use hex:BYTES for "
                                 "arrays and structs)", None, BAD_INPUT) from None
    if size > 8:
        raise UserError("usage", f"--set {name}: a {size}-byte global needs hex:BYTES", None,
                        BAD_INPUT)
    if not -(1 << (8 * size - 1)) <= v < (1 << (8 * size)):
        raise UserError("usage", f"--set {name}={text}: does not fit in {size} bytes", None,
                        BAD_INPUT)
    return (v & ((1 << (8 * size)) - 1)).to_bytes(size, "little")


# =====================================================================================
# engines
# =====================================================================================

@dataclass
class Outcome:
    retval: int                      # u32, like BPF_PROG_TEST_RUN
    r0: int                          # full 64-bit r0
    engine: str
    repeat: int
    duration_ns: int
    globals: dict
    kfunc_calls: list
    trace: list
    verifier: dict
    ended_by: str = "exit"


def _kfunc_setup(prog):
    """(instructions with kfunc ids linked, kfunc table) — the mock kernel only when needed."""
    if not any(r.kind == "kfunc" for r in prog.relocs):
        return list(prog.insns), {}
    from ..kernel import KernelError, registry
    try:
        reg = registry()
        return reg.link_kfunc_calls(prog), reg.kfunc_table()
    except KernelError as e:
        raise UserError("kfunc", f"program {prog.name}: {e}", None, REJECTED) from None


def execute(obj, prog, *, engine: str = "unicorn", data: bytes | None = None,
            sets: dict[str, str] | None = None, repeat: int = 1, verify: bool = True,
            max_insns: int = 50_000_000) -> Outcome:
    """Verify (unless ``verify`` is False), JIT and run ``prog``: the library form of ``run``."""
    from ..interp import InterpError
    from .jit import load_btf

    btf_obj = load_btf(obj)
    verdict = None
    vinfo: dict = {"skipped": True}
    env = RunEnv(obj, prog, data, sets, btf_obj)
    if verify:
        verdict, vinfo = _verify(obj, prog, btf_obj, env.initial)
    insns, kfuncs = _kfunc_setup(prog)
    helpers = env.helper_table()
    try:
        if engine == "unicorn":
            vm, step, read = _unicorn(obj, prog, insns, env, helpers, kfuncs, btf_obj, verdict,
                                      max_insns)
        elif engine == "interp":
            vm, step, read = _interp(insns, env, helpers, kfuncs, max_insns)
        else:
            raise UserError("usage", f"engine '{engine}' is not available (unicorn, interp)",
                            None, BAD_INPUT)
        t0 = time.perf_counter_ns()
        for _ in range(max(repeat, 1)):
            r0, ended_by = step()
        elapsed = time.perf_counter_ns() - t0
    except InterpError as e:
        raise UserError("runtime", f"program {prog.name}: {e}", None, REJECTED) from None
    state = getattr(vm, "kernel_state", None)
    calls = [{"name": c.name, "args": list(c.args), "ret": c.ret} for c in state.calls] \
        if state is not None else []
    return Outcome(retval=r0 & U32, r0=r0 & U64, engine=engine, repeat=max(repeat, 1),
                   duration_ns=elapsed // max(repeat, 1), globals=env.global_values(read),
                   kfunc_calls=calls, trace=env.trace, verifier=vinfo, ended_by=ended_by)


def _verify(obj, prog, btf_obj, initial: dict[str, bytes]):
    """Verify as libbpf would load it: global data with the ``--set`` values already in
    (a frozen .rodata's contents are constants to the verifier)."""
    import dataclasses

    from verifier import verify

    from .verify import build_input
    inp = build_input(obj, prog, btf_obj)
    inp.maps = [dataclasses.replace(m, initial_value=initial[m.name])
                if m.kind == "data" and m.name in initial else m for m in inp.maps]
    v = verify(inp, 1)
    if not v.accepted:
        where = None if v.error is None or v.error.insn is None else f"insn {v.error.insn}"
        hint = ""
        if "kernel btf_id 0 is not a function" in v.error_line:
            hint = " (a kfunc extern the mock kernel does not have)"
        raise UserError("verifier", f"program {prog.name} rejected by the verifier: "
                                    f"{v.error_line}{hint}", where, REJECTED)
    return v, {"processed_insns": v.processed_insns, "max_states_per_insn": v.max_states_per_insn,
               "total_states": v.total_states, "peak_states": v.peak_states,
               "stack_depth": v.stack_depths}


def _unicorn(obj, prog, insns, env, helpers, kfuncs, btf_obj, verdict, max_insns):
    """(vm, run step, section reader) for the JIT's image in unicorn."""
    from ..exec_unicorn import RegionSpec, UnicornExecutor
    from .jit import jit_program
    image = jit_program(obj, prog, insns, btf_obj, verdict)
    try:
        ex = UnicornExecutor(image, helpers=helpers, kfuncs=kfuncs,
                             regions=[RegionSpec(r.name, r.base, r.data, r.writable)
                                      for r in env.regions],
                             resolve=env.resolve, ld_abs=env.ld_abs, max_insns=max_insns)
    except Exception as e:  # noqa: BLE001 - LinkError: an address the runner cannot give
        raise UserError("jit", f"program {prog.name}: {e}", None, REJECTED) from None

    def step():
        r = ex.run(env.ctx.base)
        return r.retval, r.ended_by
    return ex, step, ex.memory.region_bytes


def _interp(insns, env, helpers, kfuncs, max_insns):
    """(vm, run step, section reader) for the reference interpreter on the same layout."""
    from ..interp import Interpreter, InvalidInsn, Memory
    mem = Memory()
    mapped = {r.name: mem.map(r.name, bytearray(r.data), base=r.base, writable=r.writable)
              for r in env.regions}
    try:
        vm = Interpreter(insns, helpers=helpers, kfuncs=kfuncs, memory=mem,
                         max_insns=max_insns, ld_imm64_resolver=env.ld_imm64)
    except InvalidInsn as e:
        raise UserError("runtime", f"program {env.prog.name}: {e}", None, REJECTED) from None

    def step():
        r = vm.run(env.ctx.base)
        return r.r0, r.ended_by
    return vm, step, lambda name: bytes(mapped[name].data)


# =====================================================================================
# CLI
# =====================================================================================

def add_parser(subparsers):
    p = subparsers.add_parser("run", help="verify, JIT and run a program (BPF_PROG_TEST_RUN)",
                              description="Load a program, verify it, JIT it to x86-64 and run "
                                          "it on a test packet/context, like BPF_PROG_TEST_RUN.")
    p.add_argument("file", metavar="FILE", help="BPF ELF object, or C source to compile first")
    p.add_argument("--prog", metavar="NAME", help="the program to run (default: the first)")
    p.add_argument("--set", metavar="GLOBAL=VALUE", action="append", default=[],
                   help="set a global variable before the run (integer, or hex:BYTES)")
    p.add_argument("--data", metavar="HEX|@FILE",
                   help="packet (skb/xdp programs) or context bytes; default 64 zero bytes")
    p.add_argument("--engine", choices=("unicorn", "interp", "native"), default="unicorn",
                   help="unicorn: the JIT's x86-64 (default); interp: reference interpreter")
    p.add_argument("--repeat", type=int, default=1, metavar="N",
                   help="run N times (state persists), report the last")
    p.add_argument("--no-verify", action="store_true",
                   help="skip the verifier (for stack-argument programs until it supports r11)")
    return p


def _data_arg(text: str | None) -> bytes | None:
    if text is None:
        return None
    if text.startswith("@"):
        path = Path(text[1:])
        try:
            return path.read_bytes()
        except OSError as e:
            raise UserError("io", f"--data: cannot read {path}: {e.strerror}", str(path),
                            BAD_INPUT) from None
    try:
        return bytes.fromhex(text.replace(" ", "").replace(":", ""))
    except ValueError:
        raise UserError("usage", f"--data: not hex bytes: {text!r}", None, BAD_INPUT) from None


def _sets_arg(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, eq, value = item.partition("=")
        if not eq or not name:
            raise UserError("usage", f"--set expects GLOBAL=VALUE, got {item!r}", None, BAD_INPUT)
        out[name.strip()] = value
    return out


def run(args) -> int:
    from ..inputs import object_path
    from ..loader import load

    if args.repeat < 1:
        raise UserError("usage", "--repeat must be at least 1", None, BAD_INPUT)
    if args.engine == "native":
        raise UserError("usage", "engine 'native' is not implemented; use unicorn or interp",
                        None, BAD_INPUT)
    data, sets = _data_arg(args.data), _sets_arg(args.set)
    path = str(args.file)
    obj = load(object_path(path))
    obj.path = path
    if not obj.programs:
        raise UserError("usage", f"{path}: no programs", path, BAD_INPUT)
    if args.prog:
        matches = [p for p in obj.programs if args.prog in (p.name, p.section)]
        if not matches:
            names = ", ".join(p.name for p in obj.programs)
            raise UserError("usage", f"{path}: no program named '{args.prog}' (programs: {names})",
                            path, BAD_INPUT)
        prog = matches[0]
    else:
        prog = obj.programs[0]
    out = execute(obj, prog, engine=args.engine, data=data, sets=sets, repeat=args.repeat,
                  verify=not args.no_verify)
    doc = {"prog": prog.name, "retval": out.retval, "r0": out.r0, "engine": out.engine,
           "repeat": out.repeat, "duration_ns": out.duration_ns, "globals": out.globals,
           "verifier": out.verifier, "kfunc_calls": out.kfunc_calls, "trace": out.trace}
    if args.json:
        print(json.dumps(doc))
        return 0
    w = sys.stdout.write
    w(f"{prog.name}: retval {out.retval} (r0 = {out.r0:#x}), engine {out.engine}"
      f"{f', {out.repeat} runs, {out.duration_ns} ns/run' if out.repeat > 1 else ''}\n")
    v = out.verifier
    w("verifier: skipped (--no-verify)\n" if v.get("skipped")
      else f"verifier: accepted, {v['processed_insns']} insns processed\n")
    for name, value in out.globals.items():
        w(f"  {name} = {value}\n")
    for c in out.kfunc_calls:
        w(f"  kfunc {c['name']}({', '.join(str(_s64(a)) for a in c['args'])}) = "
          f"{_s64(c['ret'])}\n")
    for line in out.trace:
        w(f"  trace: {line}\n")
    return 0
