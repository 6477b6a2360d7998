"""The test run's world: memory layout, context, packet, maps and globals of one run.

``BPF_PROG_TEST_RUN``'s counterpart (net/bpf/test_run.c): the context depends on the program
type: ``struct __sk_buff`` for skb programs (the packet starts at the Ethernet header for tc,
at the network header for socket filters, cgroup_skb and lwt, as the kernel's test run does),
``struct xdp_md`` for XDP (256 bytes of headroom), and for every other type the input bytes
themselves (zero-filled to 512 bytes).  Packet and ctx live below 4 GiB, so the 32-bit
``data``/``data_end`` fields hold real pointers.  Maps (:mod:`pipeline.kernel.maps`) and
global data sections (``.data``/``.bss``/``.rodata`` as a libbpf skeleton maps them) are
regions of the run.

:class:`TestRun` is the one per-run kernel object: every executor maps its regions at the
same addresses (from :data:`pipeline.kernel.layout.DATA_BASE` upward, a guard page apart), the
helpers (:mod:`pipeline.kernel.helpers`) get it as ``run``, and kfunc implementations reach it
as ``KernelState.of(vm)`` (it is the run's :class:`pipeline.kernel.KernelState`).
"""

from __future__ import annotations

import struct

from isa import opcodes as op
from isa.ints import U32, U64, s32 as _s32
from jit import LinkError, Target

from .errors import BAD_INPUT, REJECTED, UserError
from .vm import InterpError, Region
from .kernel import ctx_in
from .kernel.helpers import HelperFault
from .kernel.layout import (DATA_BASE, DEFAULT_CTX_SIZE, DEFAULT_PACKET, ETH_HLEN, L2_TYPES,
                            SKB_DATA, SKB_DATA_END, SKB_DATA_META, SKB_IFINDEX, SKB_LEN,
                            SKB_PKT_TYPE, SKB_PROTOCOL, SKB_SIZE, SKB_TYPES, SKF_LL_OFF,
                            SKF_NET_OFF, XDP_DATA, XDP_HEADROOM, XDP_INGRESS_IFINDEX, XDP_MD_SIZE,
                            eth_type_trans)
from .kernel.helpers_net import XDP_FRAME_END, XDP_TAILROOM
from .kernel.maps import MAP_IN_MAP, PAGE, FreeSlots, MapObj, round_up as _round
from .kernel.state import KernelState
from .prog_arrays import initialisers


class TestRun(KernelState):
    """Everything a run needs besides the code; engine independent.

    ``obj``: a :class:`pipeline.bpf_object.Object`; ``data``: packet (skb/xdp programs) or
    context bytes; ``values``: global variable name -> value (int, bytes, or the CLI's text
    form) written before load, like ``skel->bss->x = v``; ``ctx``: ``__sk_buff`` /
    ``xdp_md`` field name -> value, as ``BPF_PROG_TEST_RUN``'s ctx_in sets them
    (:mod:`pipeline.kernel.ctx_in`)."""

    __test__ = False   # not a pytest class

    def __init__(self, obj, prog, data: bytes | None = None, values: dict | None = None,
                 ctx: dict | None = None):
        super().__init__(memory=None)
        self.obj, self.prog = obj, prog
        self.prog_type = prog.type or "socket_filter"
        self.regions: list[Region] = []
        self._next = DATA_BASE
        self.maps: list[MapObj] = []
        self.by_handle: dict[int, MapObj] = {}
        self.trace: list[str] = []
        self.clock = 1_000_000_000
        self.rand = 0x5EED1234
        self.timers: dict = {}          # struct bpf_timer address -> kernel.timers.Timer
        self.timer_seq = 0
        self.timer_running = None
        self.prog_arrays: dict = {}     # prog array map name -> {index: program name}
        self.tail_calls = 0             # in this run (MAX_TAIL_CALL_CNT)
        self.globals = obj.globals
        self.perf_events: list[dict] = []   # bpf_perf_event_output records, in order
        if data is not None and len(data) > MEMORY_LIMIT:
            raise UserError("usage", f"input data: {len(data)} bytes exceed the run's memory "
                                     f"limit of {MEMORY_LIMIT} bytes", None, BAD_INPUT)
        self._setup_ctx(DEFAULT_PACKET if data is None else data)
        if ctx:
            self._ctx_in(ctx)
        self._setup_maps(values or {})

    def attach(self, vm) -> None:
        """Make this run the kernel state of executor ``vm`` (kfuncs find it there)."""
        self.memory = vm.memory
        vm.kernel_state = self

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
            protocol, pkt_type = eth_type_trans(data)
            struct.pack_into("<I", skb, SKB_PROTOCOL, protocol)
            struct.pack_into("<I", skb, SKB_PKT_TYPE, pkt_type)
            struct.pack_into("<I", skb, SKB_IFINDEX, 1)             # the test run uses lo
            struct.pack_into("<I", skb, SKB_DATA, start)
            struct.pack_into("<I", skb, SKB_DATA_END, pkt.base + len(data))
            struct.pack_into("<I", skb, SKB_DATA_META, start)
            self.ctx = self.add_region("ctx", skb)
        elif t == "xdp":
            if len(data) < ETH_HLEN:
                raise UserError("usage", f"--data: an XDP test run needs at least {ETH_HLEN} "
                                         f"bytes, got {len(data)}", None, BAD_INPUT)
            # one page as the kernel's test run frames it, room for bpf_xdp_adjust_tail
            pkt = self.add_region("packet", (bytes(XDP_HEADROOM) + data).ljust(
                XDP_FRAME_END - XDP_TAILROOM, b"\0"))
            start = pkt.base + XDP_HEADROOM
            self.packet = (pkt, start, start + len(data))
            md = bytearray(XDP_MD_SIZE)
            struct.pack_into("<III", md, XDP_DATA, start, start + len(data), start)
            struct.pack_into("<I", md, XDP_INGRESS_IFINDEX, 1)
            self.ctx = self.add_region("ctx", md)
        else:
            self.ctx = self.add_region("ctx", data.ljust(DEFAULT_CTX_SIZE, b"\0"))

    def _ctx_in(self, values: dict) -> None:
        """Fields of ``ctx_in`` (net/bpf/test_run.c's rules, :mod:`.kernel.ctx_in`)."""
        kind = ctx_in.supported(self.prog_type, SKB_TYPES)
        try:
            if kind is None:
                raise ctx_in.CtxError(f"--ctx: a {self.prog_type} program's test run has no "
                                      f"named context fields (pass its context with --data)")
            ctx = self.ctx.data
            if kind == "skb":
                for name, v in ctx_in.skb_fields(values, struct.unpack_from(
                        "<I", ctx, SKB_LEN)[0]).items():
                    off, size = ctx_in.field_offset(name), ctx_in.SKB_SETTABLE[name]
                    ctx[off:off + size] = v.to_bytes(size, "little")
            else:       # the metadata comes out of the headroom: data stays 256 bytes in
                pkt, start, end = self.packet
                meta = ctx_in.xdp_meta(values, end - start)
                raw = bytes(pkt.data[XDP_HEADROOM:end - pkt.base])
                pkt.data[:] = (bytes(XDP_HEADROOM - meta) + raw).ljust(len(pkt.data), b"\0")
                self.packet = (pkt, start, end - meta)
                struct.pack_into("<III", ctx, XDP_DATA, start, end - meta, start - meta)
        except ctx_in.CtxError as e:
            raise UserError("usage", str(e), None, BAD_INPUT) from None

    def _setup_maps(self, values: dict) -> None:
        descs = self.obj.maps
        elf = self.obj.elf
        init = {k: bytearray(v) for k, v in initial_sections(self.obj, values).items()}
        self.initial = {k: bytes(v) for k, v in init.items()}   # what the verifier sees
        check_memory(self.obj, self._next - self.regions[0].base if self.regions else 0)
        for ref, desc in zip(elf.map_table, descs):
            m = MapObj(desc.name, desc.map_type, desc.key_size, desc.value_size,
                       desc.max_entries, desc.flags, kind=ref.kind if ref.kind == "data" else "map")
            m.handle = self.add_region(f"map:{m.name}", bytes(64), writable=False).base
            if m.kind == "data":
                sec = next(d for d in elf.data_sections if d.name == ref.name)
                m.values = self.add_region(ref.name, init[ref.name],
                                           writable=sec.kind != "rodata").base
            elif m.storage_size():
                m.values = self.add_region(f"values:{m.name}", bytes(m.storage_size())).base
                m.free = FreeSlots(max(m.max_entries, 1))
            self.maps.append(m)
            self.by_handle[m.handle] = m
        self.key_scratch = self.add_region("keys", bytes(64)).base   # for_each_map_elem keys
        # map-in-map: {outer map: {slot (array index, or hash key as u32): inner MapObj}}
        by_name = {m.name: m for m in self.maps}
        self.inner_maps = {outer: {i: by_name[n] for i, n in slots.items() if n in by_name}
                           for outer, slots in initialisers(self.obj, MAP_IN_MAP).items()}

    # -- addresses the code refers to --------------------------------------------------
    def resolve(self, target) -> int:
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


MEMORY_LIMIT = 1 << 30      # bytes: all maps' storage plus the packet/context of one run


def _mib(n: int) -> str:
    return f"{n / (1 << 20):.1f} MiB" if n < 1 << 30 else f"{n / (1 << 30):.1f} GiB"


def check_memory(obj, used: int = 0, *, maps: bool = True) -> None:
    """Refuse, before anything is allocated, a run whose global-data sections and maps
    (with ``used`` bytes already taken by the packet and context) need more than
    :data:`MEMORY_LIMIT`: a one-line error naming the section or map that crosses it."""
    total = used
    for d in obj.elf.data_sections:
        total += d.size
        if total > MEMORY_LIMIT:
            raise UserError("runtime", f"section {d.name}: its {_mib(d.size)} exceed the run's "
                                       f"memory limit of {_mib(MEMORY_LIMIT)} for all maps and "
                                       f"the input together", None, REJECTED)
    for ref, desc in zip(obj.elf.map_table, obj.maps) if maps else ():
        m = MapObj(desc.name, desc.map_type, desc.key_size, desc.value_size, desc.max_entries)
        size = m.storage_size()
        if ref.kind == "data" or not size:
            continue
        total += size
        if total > MEMORY_LIMIT:
            raise UserError("runtime", f"map {desc.name}: its {_mib(size)} of values "
                                       f"({desc.max_entries} x {m.elem_size} bytes) exceed the "
                                       f"run's memory limit of {_mib(MEMORY_LIMIT)} for all "
                                       f"maps and the input together", None, REJECTED)


def initial_sections(obj, values: dict | None = None) -> dict[str, bytes]:
    """The global-data sections' contents before load (``values``: global name -> value,
    as for :class:`TestRun`), without allocating anything else: what the verifier sees of
    ``.rodata``/``.data``/``.bss``."""
    elf = obj.elf
    check_memory(obj, maps=False)
    init = {d.name: bytearray(d.data if d.data is not None else bytes(d.size))
            for d in elf.data_sections}
    globals_ = obj.globals
    for name, text in (values or {}).items():
        if name not in globals_:
            known = ", ".join(sorted(globals_)) or "none"
            raise UserError("usage", f"--set: no global variable '{name}' (globals: {known})",
                            None, BAD_INPUT)
        g = globals_[name]
        sec, off, size = g.section, g.offset, g.size
        init[sec][off:off + size] = global_bytes(name, text, size)
    return {k: bytes(v) for k, v in init.items()}


def global_bytes(name: str, value, size: int) -> bytes:
    """A global's new contents from an int, bytes, or text (an integer or ``hex:BYTES``)."""
    if isinstance(value, (bytes, bytearray)):
        if len(value) > size:
            raise UserError("usage", f"global {name}: {len(value)} bytes do not fit its {size}",
                            None, BAD_INPUT)
        return bytes(value).ljust(size, b"\0")
    text = str(value)
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
