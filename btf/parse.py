"""Parse a .BTF section (bytes) into a :class:`btf.graph.Btf`, validating it.

Checks follow the kernel's BTF loader in spirit: header fields in range, the
string section NUL-framed, every record complete, every name offset inside the
string section, every referenced type id in range, and no type that contains or
aliases itself (a loop through modifiers/typedefs/pointers, or a struct/array
holding itself by value).  Each failure is a :class:`BtfError` naming the byte
offset (relative to the start of the .BTF data).
"""

from __future__ import annotations

from operator import itemgetter

from . import layout as L
from .errors import BtfError
from .graph import Btf
from .types import VOID, Type

# kinds whose size_type field is a type id (the rest carry a size or nothing)
REF_KINDS = frozenset({L.PTR, L.TYPEDEF, L.VOLATILE, L.CONST, L.RESTRICT, L.FUNC, L.VAR,
                       L.DECL_TAG, L.TYPE_TAG, L.FUNC_PROTO})
# kinds that only rename/qualify the type they point to
ALIAS_KINDS = frozenset({L.TYPEDEF, L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG})
CHAIN_KINDS = ALIAS_KINDS | {L.PTR}
# kinds that name an entity rather than a data type: nothing may point at them
# except DATASEC entries (VAR/FUNC) and decl tags
NOT_A_TYPE = frozenset({L.VAR, L.DATASEC, L.DECL_TAG, L.FUNC})
DECL_TAG_TARGETS = frozenset({L.STRUCT, L.UNION, L.VAR, L.FUNC, L.TYPEDEF})


_first, _second, _third = itemgetter(0), itemgetter(1), itemgetter(2)
BTF_MAX_SIZE = 16 * 1024 * 1024   # the kernel's limit on any type's size


def _loc(off: int, section: str) -> str:
    return f"{section}+0x{off:x}"


class StringTable:
    """NUL-terminated strings addressed by byte offset; decoded once each."""

    __slots__ = ("data", "cache")

    def __init__(self, data: bytes):
        self.data = data
        self.cache: dict[int, str] = {0: ""}

    def __len__(self) -> int:
        return len(self.data)

    def get(self, off: int) -> str:
        try:
            return self.cache[off]
        except KeyError:
            pass
        data = self.data
        if off >= len(data):
            raise BtfError(f"string offset {off} out of range (string section is {len(data)} bytes)")
        end = data.find(b"\0", off)
        if end < 0:
            end = len(data)
        s = self.cache[off] = data[off:end].decode("utf-8", "surrogateescape")
        return s

    def preload(self) -> None:
        """Decode every string at its start offset in one sweep (fast path for big BTF)."""
        cache, off = self.cache, 0
        for piece in self.data.split(b"\0"):
            if off not in cache:
                cache[off] = piece.decode("utf-8", "surrogateescape")
            off += len(piece) + 1


def parse_btf(data: bytes | bytearray | memoryview, section: str = ".BTF") -> Btf:
    data = bytes(data)
    lay = L.layout_for_magic(data)
    if lay is None:
        got = data[:2].hex() if data else "empty input"
        raise BtfError(f"invalid BTF magic ({got}), expected 9feb", _loc(0, section))
    hs = lay[L.BTF_HEADER]
    if len(data) < hs.size:
        raise BtfError(f"BTF header truncated: {len(data)} bytes, need {hs.size}", _loc(0, section))
    magic, version, flags, hdr_len, type_off, type_len, str_off, str_len = hs.unpack_from(data)
    if version != L.BTF_VERSION:
        raise BtfError(f"unsupported BTF version {version}", _loc(2, section))
    if flags:
        raise BtfError(f"unsupported BTF flags 0x{flags:x}", _loc(3, section))
    if hdr_len < hs.size or hdr_len > len(data):
        raise BtfError(f"BTF header length {hdr_len} out of range (data is {len(data)} bytes)",
                       _loc(4, section))
    if hdr_len > hs.size and any(data[hs.size:hdr_len]):
        raise BtfError("unsupported non-zero bytes in BTF header tail", _loc(hs.size, section))
    body = len(data) - hdr_len
    if type_off % 4:
        raise BtfError(f"type section offset {type_off} is not 4-byte aligned", _loc(8, section))
    if type_off + type_len > body:
        raise BtfError(f"type section [{type_off}, {type_off + type_len}) past the end of the "
                       f"data ({body} bytes after the header)", _loc(12, section))
    if str_off + str_len > body:
        raise BtfError(f"string section [{str_off}, {str_off + str_len}) past the end of the "
                       f"data ({body} bytes after the header)", _loc(20, section))
    if type_off < str_off + str_len and str_off < type_off + type_len:
        raise BtfError("type section overlaps the string section", _loc(16, section))
    s0 = hdr_len + str_off
    strs = data[s0:s0 + str_len]
    if not strs or strs[0] != 0 or strs[-1] != 0:
        raise BtfError("string section must start and end with a NUL byte", _loc(s0, section))
    table = StringTable(strs)
    if str_len > 65536:
        table.preload()
    t0 = hdr_len + type_off
    types = _parse_types(data, t0, t0 + type_len, lay, table, section)
    btf = Btf(types, table, lay.endian, section)
    _check_refs(btf, table, section)
    _check_loops(btf, section)
    return btf


def _parse_types(data: bytes, pos: int, end: int, lay: L.Layout, table: StringTable,
                 section: str) -> list[Type]:
    ts = lay[L.BTF_TYPE]
    tsize = ts.size
    kinds = []
    for k in range(len(L.KIND_NAMES)):
        rec = L.KIND_RECORDS.get(k)
        if rec is None:
            kinds.append(None)
            continue
        extra, item = rec
        kinds.append((lay[extra] if extra else None, lay[item] if item else None))
    strs = table.data
    nstr = len(strs)
    cache = table.cache
    names = table.get
    unpack = ts.unpack_from
    types: list[Type] = [VOID]
    append = types.append
    tid = 1
    while pos < end:
        if pos + tsize > end:
            raise BtfError(f"type [{tid}] header truncated ({end - pos} bytes left)", _loc(pos, section))
        name_off, info, size_type = unpack(data, pos)
        kind = (info >> 24) & 0x1F
        spec = kinds[kind] if kind < len(kinds) else None
        if spec is None:
            raise BtfError(f"type [{tid}] has invalid kind {kind}", _loc(pos + 4, section))
        if info & 0x60FF0000:
            raise BtfError(f"type [{tid}] has unused info bits set (0x{info:08x})", _loc(pos + 4, section))
        extra_s, item_s = spec
        p = pos + tsize
        extra = None
        raw = ()
        if extra_s is not None:
            if p + extra_s.size > end:
                raise BtfError(f"type [{tid}] {L.KIND_NAMES[kind]} record truncated", _loc(p, section))
            extra = extra_s.unpack_from(data, p)
            p += extra_s.size
        vlen = info & 0xFFFF
        if item_s is not None and vlen:
            n = vlen * item_s.size
            if p + n > end:
                raise BtfError(f"type [{tid}] {L.KIND_NAMES[kind]} vlen {vlen} runs past the end of "
                               f"the type section", _loc(pos + 4, section))
            raw = list(item_s.iter_unpack(data[p:p + n]))
            p += n
        if name_off:
            name = cache.get(name_off)
            if name is None:
                if name_off >= nstr:
                    raise BtfError(f"type [{tid}] name offset {name_off} out of range "
                                   f"(string section is {nstr} bytes)", _loc(pos, section))
                name = names(name_off)
        else:
            name = ""
        append(Type(tid, kind, name, name_off, info, size_type, extra, raw, pos, names))
        tid += 1
        pos = p
    return types


def _check_refs(btf: Btf, table: StringTable, section: str) -> None:
    """Every referenced type id and every item name offset in range; kind-specific sanity."""
    n = len(btf.types)
    nstr = len(table)
    not_type = bytes(t.kind in NOT_A_TYPE for t in btf.types)
    for t in btf.types[1:]:
        k = t.kind
        where = f"{section}+0x{t.offset:x}" if t.raw else ""
        if k in REF_KINDS:
            if t.size_type >= n:
                raise BtfError(f"type [{t.id}] {t.kind_name} references type id {t.size_type}, "
                               f"out of range (max {n - 1})", _loc(t.offset + 8, section))
            if k in CHAIN_KINDS or k == L.VAR or k == L.FUNC_PROTO:
                if btf.types[t.size_type].kind in NOT_A_TYPE:
                    raise BtfError(f"type [{t.id}] {t.kind_name} references [{t.size_type}] "
                                   f"{btf.types[t.size_type].kind_name}, which is not a data type",
                                   _loc(t.offset + 8, section))
        if k == L.ARRAY:
            et, it, _ = t.extra
            if et >= n or it >= n:
                raise BtfError(f"type [{t.id}] ARRAY references type id {max(et, it)}, out of range "
                               f"(max {n - 1})", _loc(t.offset + 12, section))
            if btf.types[et].kind in NOT_A_TYPE or btf.types[it].kind in NOT_A_TYPE:
                raise BtfError(f"type [{t.id}] ARRAY element/index is not a data type",
                               _loc(t.offset + 12, section))
        elif k == L.FUNC:
            if btf.types[t.size_type].kind != L.FUNC_PROTO:
                raise BtfError(f"type [{t.id}] FUNC '{t.name}' does not point to a FUNC_PROTO",
                               _loc(t.offset + 8, section))
        elif k == L.DECL_TAG:
            if t.component_idx < -1:
                raise BtfError(f"type [{t.id}] DECL_TAG has invalid component_idx {t.component_idx}",
                               _loc(t.offset + 12, section))
        elif k in (L.STRUCT, L.UNION):
            limit = t.size_type * 8
            if t.size_type > BTF_MAX_SIZE:
                raise BtfError(f"type [{t.id}] {t.kind_name} size {t.size_type} exceeds the kernel "
                               f"limit {BTF_MAX_SIZE}", _loc(t.offset + 8, section))
            kf = t.kflag
            if t.raw and (kf or max(map(_third, t.raw)) > limit):
                for i, (_, _, o) in enumerate(t.raw):
                    end_bit = (o & 0xFFFFFF) + (o >> 24) if kf else o
                    if end_bit > limit:
                        raise BtfError(f"type [{t.id}] {t.kind_name} member {i} exceeds the "
                                       f"{t.size_type}-byte size",
                                       _loc(t.offset + 12 + 12 * i + 8, section))
        elif k == L.INT:
            if t.int_offset + t.int_bits > t.size_type * 8 or t.int_bits > 128:
                raise BtfError(f"type [{t.id}] INT bits exceed its size", _loc(t.offset + 12, section))
        raw = t.raw
        if raw:
            # item layouts: members (name, type, off), params (name, type),
            # enum (name, val[, hi]), secinfo (type, off, size).  map/itemgetter
            # keep the per-item work in C: vmlinux has ~10^6 items.
            if k == L.DATASEC:
                bad = max(map(_first, raw))
                if bad >= n:
                    raise BtfError(f"type [{t.id}] DATASEC entry references type id {bad}, out of "
                                   f"range (max {n - 1})", where)
                continue
            bad = max(map(_first, raw))
            if bad >= nstr:
                raise BtfError(f"type [{t.id}] {t.kind_name} item name offset {bad} out of range "
                               f"(string section is {nstr} bytes)", where)
            if k in (L.STRUCT, L.UNION, L.FUNC_PROTO):
                bad = max(map(_second, raw))
                if bad >= n:
                    raise BtfError(f"type [{t.id}] {t.kind_name} item references type id {bad}, "
                                   f"out of range (max {n - 1})", where)
                if any(map(not_type.__getitem__, map(_second, raw))):
                    r = next(r for r in raw if not_type[r[1]])
                    raise BtfError(f"type [{t.id}] {t.kind_name} item references [{r[1]}] "
                                   f"{btf.types[r[1]].kind_name}, which is not a data type", where)
    for t in btf.types[1:]:
        if t.kind == L.DECL_TAG:
            target = btf.types[t.size_type]
            if target.kind not in DECL_TAG_TARGETS:
                raise BtfError(f"type [{t.id}] DECL_TAG targets [{target.id}] {target.kind_name}",
                               _loc(t.offset + 8, section))
            ci = t.component_idx
            if ci >= 0 and (target.kind not in (L.STRUCT, L.UNION, L.FUNC) or
                            ci >= (btf.types[target.type].vlen if target.kind == L.FUNC else target.vlen)):
                raise BtfError(f"type [{t.id}] DECL_TAG component_idx {ci} out of range for "
                               f"type [{target.id}]", _loc(t.offset + 12, section))


def _check_loops(btf: Btf, section: str) -> None:
    types = btf.types
    n = len(types)
    # 1) chains of modifiers/typedefs/pointers must end somewhere
    done = bytearray(n)
    for t in types[1:]:
        if done[t.id] or t.kind not in CHAIN_KINDS:
            continue
        seen = []
        cur = t
        onpath = set()
        while cur.kind in CHAIN_KINDS and not done[cur.id]:
            if cur.id in onpath:
                raise BtfError(f"type [{cur.id}] {cur.kind_name} loops back to itself through "
                               f"modifiers/pointers", _loc(cur.offset, section))
            onpath.add(cur.id)
            seen.append(cur.id)
            cur = types[cur.size_type]
        for i in seen:
            done[i] = 1
    # 2) containment by value (struct members, array elements, aliases) must be acyclic
    color = bytearray(n)   # 0 new, 1 on stack, 2 done

    def succ(t: Type):
        k = t.kind
        if k in ALIAS_KINDS or k == L.VAR:
            return (t.size_type,)
        if k == L.ARRAY:
            return (t.extra[0],)
        if k in (L.STRUCT, L.UNION):
            return tuple(r[1] for r in t.raw)
        return ()

    for root in types[1:]:
        if color[root.id] or root.kind not in (L.STRUCT, L.UNION, L.ARRAY):
            continue
        stack = [(root, iter(succ(root)))]
        color[root.id] = 1
        while stack:
            node, it = stack[-1]
            for nxt in it:
                c = color[nxt]
                if c == 1:
                    raise BtfError(f"type [{nxt}] {types[nxt].kind_name} contains itself by value",
                                   _loc(types[nxt].offset, section))
                if c == 0:
                    nt = types[nxt]
                    color[nxt] = 1
                    stack.append((nt, iter(succ(nt))))
                    break
            else:
                color[node.id] = 2
                stack.pop()
