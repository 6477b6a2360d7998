"""What a run did, shown the way bpftool shows BTF-typed maps.

Kernel/tool counterparts: ``bpftool map dump`` (tools/bpf/bpftool/map.c) for the shape of
map entries, its BTF value dumper (btf_dumper.c) for how values decode, and the ring
buffer's record format (kernel/bpf/ringbuf.c) for what a consumer reads.

* :func:`decode` turns bytes into a Python value through a BTF type, as bpftool's ``-j``
  output does: signed/unsigned integers, ``true``/``false`` for bool, enumerator names (the
  number when none matches), a string for a ``char`` array holding a NUL-terminated printable
  string, lists for other arrays, dicts for structs and unions, bitfields and 128-bit
  integers as ``"0x.."`` (:class:`Hex`, printed bare in text), pointers as numbers.  Floats,
  which bpftool does not dump, decode as Python floats.
* :func:`map_entries` lists a map's elements as ``bpftool -j map dump`` does:
  ``{"key": [hex bytes], "value": [hex bytes], "formatted": {"key", "value"}}``; per-CPU maps
  have ``"values": [{"cpu", "value"}]`` (the mock kernel has one CPU).  Arrays list every
  index, hashes their elements in insertion order (LRU: least recently used first).
* :func:`global_values` decodes ``.data``/``.bss``/``.rodata`` variables by their BTF types.
* :func:`ringbuf_records` reads the committed records of a ring buffer, skipping discarded
  ones, as a consumer does; :func:`packet_out` is ``BPF_PROG_TEST_RUN``'s ``data_out``.
* :func:`to_json` / :func:`to_text` are what ``pipeline run`` prints.
"""

from __future__ import annotations

import json
import struct
import weakref
from dataclasses import replace

from btf import kinds as L
from isa.ints import s64

from .kernel.layout import ETH_HLEN, L2_TYPES, XDP_DATA_END, XDP_DATA_META
from .kernel.maps import RINGBUF_BUSY, RINGBUF_DISCARD, RINGBUF_HDR

MAX_DEPTH = 32                  # nested types deeper than this print as "(too deep)"
_MODS = (L.TYPEDEF, L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG)
NOT_DUMPED = ("prog_array", "ringbuf", "perf_event_array", "user_ringbuf", "cgroup_array",
              "array_of_maps", "hash_of_maps")          # fds, ids and records: not values


class Hex(str):
    """A bitfield or 128-bit integer: bpftool prints it as hex (quoted in JSON)."""
    __slots__ = ()


# --- values through BTF ---------------------------------------------------------------------

_DECODERS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()   # Btf -> {tid: fn}


def decode(btf, tid: int, data: bytes, bit_off: int = 0):
    """The value of ``data`` as BTF type ``tid`` (bpftool's btf_dumper rules)."""
    cache = _DECODERS.get(btf)
    if cache is None:
        cache = _DECODERS[btf] = {}
    return decoder(btf, tid, cache)(data, bit_off)


def decoder(btf, tid: int, cache: dict, depth: int = 0):
    """``fn(data, bit_off) -> value`` for BTF type ``tid``, built once per type: a map of
    many elements decodes each one without walking the type graph again."""
    fn = cache.get(tid)
    if fn is None:
        fn = cache[tid] = _build(btf, tid, cache, depth)
    return fn


def _build(btf, tid: int, cache: dict, depth: int):
    if depth > MAX_DEPTH:
        return lambda data, bit_off=0: "(too deep)"
    t = btf.type(tid)
    k = t.kind
    if k in _MODS:
        return decoder(btf, t.type, cache, depth + 1)
    if k == L.INT:
        return _int_decoder(t)
    if k in (L.STRUCT, L.UNION):
        parts = []
        for m in t.members:
            byte, bit = divmod(m.bits_offset, 8)
            if m.bitfield_size:
                parts.append((m.name, byte, bit, None, m.bitfield_size))
            else:
                parts.append((m.name, byte, bit, decoder(btf, m.type, cache, depth + 1), 0))

        def struct_(data, bit_off=0):
            return {name: _bits(data[byte:], bit, n) if f is None else f(data[byte:], bit)
                    for name, byte, bit, f, n in parts}
        return struct_
    if k == L.ARRAY:
        elem, _, n = t.array
        char = _is_char(btf, elem)
        size = btf.size_of(elem) if n else 0
        f = decoder(btf, elem, cache, depth + 1) if n else None

        def array(data, bit_off=0):
            if char and _is_string(data, n):
                return data[:data.index(0)].decode("ascii")
            return [f(data[i * size:(i + 1) * size], 0) for i in range(n)]
        return array
    if k in (L.ENUM, L.ENUM64):
        size = t.size if k == L.ENUM else 8
        mask = (1 << (8 * size)) - 1
        names = {}
        for e in t.enum_values:
            names.setdefault(e.value & mask, e.name)

        def enum(data, bit_off=0):
            v = int.from_bytes(data[:size], "little", signed=(k == L.ENUM))
            return names.get(v & mask, v)
        return enum
    if k == L.PTR:
        return lambda data, bit_off=0: int.from_bytes(data[:8], "little")
    if k == L.FLOAT:
        fmt = {4: "<f", 8: "<d"}.get(t.size)
        if fmt:
            return lambda data, bit_off=0: struct.unpack(fmt, data[:t.size])[0]
        return lambda data, bit_off=0: Hex("0x" + data[:t.size][::-1].hex())
    if k == L.VAR:
        f = decoder(btf, t.type, cache, depth + 1)
        return lambda data, bit_off=0: {t.name: f(data, bit_off)}
    if k == L.DATASEC:
        vs = [(v.offset, decoder(btf, v.type, cache, depth + 1)) for v in t.secinfos]
        return lambda data, bit_off=0: {t.name: [f(data[off:], 0) for off, f in vs]}
    return lambda data, bit_off=0: f"(unsupported kind {t.kind_name})"


def _int_decoder(t):
    bits, enc, ioff = t.int_bits, t.int_encoding, t.int_offset
    nbytes = bits // 8

    def plain(data, bit_off=0):
        if bit_off or ioff or bits % 8:
            total = bit_off + ioff
            return _bits(data[total // 8:], total % 8, bits)
        if bits == 128:
            return Hex(f"{int.from_bytes(data[:16], 'little'):#x}")
        raw = data[:nbytes]
        if enc & 4:                                   # BTF_INT_BOOL
            return any(raw)
        if enc & 2:                                   # BTF_INT_CHAR
            c = raw[0]
            return chr(c) if 0x20 <= c < 0x7F else f"\\u00{c:02x}"
        return int.from_bytes(raw, "little", signed=bool(enc & 1))
    return plain


def _bits(data: bytes, bit_off: int, nbits: int) -> Hex:
    nbytes = (bit_off + nbits + 7) // 8
    v = int.from_bytes(data[:nbytes], "little") >> bit_off
    return Hex(f"{v & ((1 << nbits) - 1):#x}")


def _is_char(btf, elem: int) -> bool:
    """bpftool's is_str_array, the type half: a 1-byte ``char`` (through qualifiers, not
    through a typedef)."""
    t = btf.type(elem)
    while t.kind in (L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG):
        t = btf.type(t.type)
    return t.kind == L.INT and t.size == 1 and (bool(t.int_encoding & 2) or t.name == "char")


def _is_string(data: bytes, n: int) -> bool:
    """The data half: printable bytes up to a NUL inside the array."""
    for b in data[:n]:
        if b == 0:
            return True
        if b <= 0x1F or b >= 0x7F:
            return False
    return False


# --- maps -----------------------------------------------------------------------------------

def map_types(btf) -> dict[str, tuple[int, int]]:
    """BTF-defined maps' (key type, value type) by map name (0: not described)."""
    out = {}
    if btf is None:
        return out
    for name, st in btf.map_structs():
        kv = {"key": 0, "value": 0}
        for m in st.members:
            mt = btf.resolve(m.type)
            if m.name in kv and mt.kind == L.PTR:
                kv[m.name] = mt.type
        out[name] = (kv["key"], kv["value"])
    return out


_HEX = [f"0x{x:02x}" for x in range(256)]


def _hexes(b: bytes) -> list[str]:
    return list(map(_HEX.__getitem__, b))


def map_entries(m, raw: bytes, btf, types: tuple[int, int], special=()) -> list[dict]:
    """``bpftool -j map dump`` of map ``m`` (a :class:`pipeline.kernel.maps.MapObj`) whose
    value storage is ``raw``; ``types``: its BTF (key, value) type ids; ``special``: the
    value's kernel-owned fields, ``(name, offset, size)`` (bpf_timer, bpf_spin_lock, ...),
    which read as zeros from user space (the kernel's copy_map_value skips them)."""
    if m.map_type in NOT_DUMPED or not m.values:
        return []
    if m.is_array:
        keys = [(i.to_bytes(4, "little"), i) for i in range(max(m.max_entries, 1))]
    elif m.is_hash:
        keys = list(m.slots.items())
    else:
        return []
    ktid, vtid = types if btf is not None else (0, 0)
    percpu = m.map_type.startswith("percpu") or m.map_type.startswith("lru_percpu")
    cache = {}
    kdec = decoder(btf, ktid, cache) if vtid and ktid else None
    vdec = decoder(btf, vtid, cache) if vtid else None
    esize, vsize = m.elem_size, m.value_size
    out = []
    for key, slot in keys:
        value = raw[slot * esize:slot * esize + vsize]
        for _, off, size in special:
            value = value[:off] + bytes(size) + value[off + size:]
        e = {"key": _hexes(key)}
        if percpu:
            e["values"] = [{"cpu": 0, "value": _hexes(value)}]
        else:
            e["value"] = _hexes(value)
        if vdec is not None:
            f = {}
            if kdec is not None:
                f["key"] = kdec(key)
            if percpu:
                f["values"] = [{"cpu": 0, "value": vdec(value)}]
            else:
                f["value"] = vdec(value)
            e["formatted"] = f
        out.append(e)
    return out


def ringbuf_records(m, raw: bytes) -> list[bytes]:
    """The committed records of ring buffer ``m``, in order, as a consumer reads them: each
    has an 8-byte header (length with BUSY/DISCARD bits, page offset); discarded records are
    skipped and reading stops at one still reserved."""
    out, pos = [], 0
    while pos + RINGBUF_HDR <= m.rb_head:
        length = int.from_bytes(raw[pos:pos + 4], "little")
        if length & RINGBUF_BUSY:
            break
        size = length & ~(RINGBUF_BUSY | RINGBUF_DISCARD)
        if not length & RINGBUF_DISCARD:
            out.append(bytes(raw[pos + RINGBUF_HDR:pos + RINGBUF_HDR + size]))
        pos += (RINGBUF_HDR + size + 7) // 8 * 8
    return out


def global_values(obj, read) -> dict:
    """Every global variable's value after the run, decoded by its BTF type; without BTF,
    1/2/4/8-byte variables as unsigned integers and others as hex."""
    btf = obj.btf
    cache: dict[str, bytes] = {}
    out = {}
    for name, g in sorted(obj.globals.items(), key=lambda kv: (kv[1].section, kv[1].offset)):
        if g.section not in cache:
            cache[g.section] = read(g.section)
        raw = cache[g.section][g.offset:g.offset + g.size]
        if btf is not None and g.type_id:
            out[name] = decode(btf, g.type_id, raw)
        elif g.size in (1, 2, 4, 8):
            out[name] = int.from_bytes(raw, "little")
        else:
            out[name] = raw.hex()
    return out


def packet_out(run, read) -> bytes | None:
    """``data_out`` of the test run: the whole skb from its Ethernet header (for L3 program
    types the kernel pushes back a zeroed one), or the XDP frame from ``data_meta`` to
    ``data_end``; None for program types without a packet."""
    if run.packet is None:
        return None
    pkt, start, end = run.packet
    data = read(pkt.name)
    if run.prog_type == "xdp":
        ctx = read(run.ctx.name)
        meta, dend = (struct.unpack_from("<I", ctx, off)[0] for off in (XDP_DATA_META,
                                                                          XDP_DATA_END))
        return bytes(data[meta - pkt.base:dend - pkt.base])
    out = bytes(data[:end - pkt.base])
    if run.prog_type not in L2_TYPES:     # the kernel pushes back a zeroed Ethernet header
        out = bytes(ETH_HLEN) + out[ETH_HLEN:]
    return out


class Snapshot:
    """What a run left, copied when it ended and decoded on first use (a large array map
    costs its decoding only when somebody looks at it): ``maps`` (``{name: {"type",
    "entries"}}`` for every map but global-data sections, which are ``globals``),
    ``globals`` (:func:`global_values`) and ``ringbuf`` (``[{"map", "data"}]``)."""

    def __init__(self, run, read):
        self.obj = run.obj
        self.maps_state = [replace(m, slots=dict(m.slots), free=[]) for m in run.maps
                           if m.kind != "data"]
        names = {g.section for g in run.obj.globals.values()}
        names |= {f"values:{m.name}" for m in self.maps_state if m.values}
        self.regions = {n: bytes(read(n)) for n in names}
        self.ringbuf = [{"map": m.name, "data": r} for m in self.maps_state
                        if m.map_type == "ringbuf" and m.values
                        for r in ringbuf_records(m, self.regions[f"values:{m.name}"])]
        self._maps = self._globals = None

    @property
    def maps(self) -> dict:
        if self._maps is None:
            btf = self.obj.btf
            types = map_types(btf)
            special = {d.name: d.value_fields for d in self.obj.maps}
            self._maps = {m.name: {"type": m.map_type, "entries": map_entries(
                m, self.regions.get(f"values:{m.name}", b""), btf, types.get(m.name, (0, 0)),
                special.get(m.name, ()))} for m in self.maps_state}
        return self._maps

    @property
    def globals(self) -> dict:
        if self._globals is None:
            self._globals = global_values(self.obj, self.regions.__getitem__)
        return self._globals


# --- printing -------------------------------------------------------------------------------

def _jsonable(v):
    if isinstance(v, (bytes, bytearray)):
        return v.hex()
    if isinstance(v, dict):
        return {k: _jsonable(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_jsonable(x) for x in v]
    return v


def to_json(res, verifier: dict) -> dict:
    """The document ``pipeline run --json`` prints (bytes as hex strings)."""
    return _jsonable({
        "prog": res.prog, "retval": res.retval, "r0": res.r0, "engine": res.engine,
        "repeat": res.repeat, "duration_ns": res.duration_ns, "globals": res.globals,
        "maps": res.maps, "ringbuf": res.ringbuf, "perf_events": res.perf_events,
        "packet": res.packet, "verifier": verifier, "kfunc_calls": res.kfunc_calls,
        "trace": res.output})


def show(v) -> str:
    """One value in bpftool's plain style: JSON, bitfields bare."""
    if isinstance(v, Hex):
        return str(v)
    if isinstance(v, dict):
        return "{" + ", ".join(f"{json.dumps(k)}: {show(x)}" for k, x in v.items()) + "}"
    if isinstance(v, list):
        return "[" + ", ".join(show(x) for x in v) + "]"
    return json.dumps(v)


def _bytes(b: bytes, limit: int = 64) -> str:
    text = " ".join(f"{x:02x}" for x in b[:limit])
    return text + (f" ... ({len(b)} bytes)" if len(b) > limit else "")


def _entry(e: dict) -> str:
    f = e.get("formatted")
    if f is not None and "key" in f:
        key = show(f["key"])
    else:
        key = " ".join(x[2:] for x in e["key"])
    if "values" in e:
        vals = f["values"] if f is not None else \
            [{"cpu": c["cpu"], "value": bytes(int(x, 16) for x in c["value"])} for c in e["values"]]
        value = ", ".join(f"cpu{c['cpu']}: " + (show(c["value"]) if f is not None
                                                else _bytes(c["value"])) for c in vals)
    else:
        value = show(f["value"]) if f is not None else \
            " ".join(x[2:] for x in e["value"])
    return f"{key}: {value}"


def to_text(res, verifier_line: str) -> str:
    """What ``pipeline run`` prints without ``--json``."""
    lines = [f"{res.prog}: retval {res.retval} (r0 = {res.r0:#x}), engine {res.engine}"
             f"{f', {res.repeat} runs, {res.duration_ns} ns/run' if res.repeat > 1 else ''}",
             verifier_line]
    for name, value in res.globals.items():
        lines.append(f"  {name} = {show(value)}")
    for name, m in res.maps.items():
        if m["type"] in NOT_DUMPED:
            continue
        n = len(m["entries"])
        lines.append(f"  map {name} ({m['type']}, {n} entr{'y' if n == 1 else 'ies'})")
        lines += [f"    {_entry(e)}" for e in m["entries"]]
    for r in res.ringbuf:
        lines.append(f"  ringbuf {r['map']}: {len(r['data'])} bytes: {_bytes(r['data'])}")
    for r in res.perf_events:
        lines.append(f"  perf_event {r['map']} cpu {r['cpu']}: {len(r['data'])} bytes: "
                     f"{_bytes(r['data'])}")
    if res.packet is not None:
        lines.append(f"  packet out ({len(res.packet)} bytes): {_bytes(res.packet, 256)}")
    for c in res.kfunc_calls:
        lines.append(f"  kfunc {c['name']}({', '.join(str(s64(a)) for a in c['args'])}) = "
                     f"{s64(c['ret'])}")
    lines += [f"  trace: {line}" for line in res.output]
    return "\n".join(lines) + "\n"
