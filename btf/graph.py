"""The BTF type graph: :class:`Btf` plus navigation helpers.

Helpers mirror what libbpf/the kernel provide: skip modifiers and typedefs,
size and alignment, member lookup through anonymous nested structs/unions,
function prototypes and decl tags per function/argument.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import layout as L
from .errors import BtfError
from .types import Member, Type

MODIFIERS = frozenset({L.VOLATILE, L.CONST, L.RESTRICT, L.TYPE_TAG})
PTR_SIZE = 8   # BPF is a 64-bit target


@dataclass(frozen=True)
class MemberPath:
    """A member found by name, possibly inside anonymous nested structs/unions."""
    member: Member
    bits_offset: int              # from the start of the outer struct
    path: tuple[Member, ...]      # anonymous members crossed, outermost first, then the member


@dataclass(frozen=True)
class FieldAccess:
    """What an access of ``size`` bytes at a byte offset inside a struct touches."""
    path: tuple[str, ...]         # member names from the outer struct, "[i]" for array elements
    type_id: int                  # the innermost member's type (modifiers/typedefs kept)
    offset: int                   # byte offset of the access inside that member

    @property
    def name(self) -> str:
        return ".".join(p for p in self.path if p).replace(".[", "[")


@dataclass(frozen=True)
class DeclTag:
    tag_id: int
    value: str
    component_idx: int            # -1: the type/function itself, else member/argument index


class Btf:
    """Parsed BTF: ``types[id]`` (id 0 is void) and the string table."""

    def __init__(self, types: list[Type], strings, endian: str = "<", section: str = ".BTF"):
        self.types = types
        self.strings = strings
        self.endian = endian
        self.section = section
        self._by_name: dict[str, list[int]] | None = None
        self._tags: dict[int, list[DeclTag]] | None = None
        # facts a consumer derives from these types alone, under its own keys (tuples
        # that start with a tag naming it): worked out once per Btf, as the kernel does
        # at BPF_BTF_LOAD, instead of at every use (the verifier's func_info checks)
        self.memo: dict = {}

    # --- basic access ----------------------------------------------------
    def __len__(self) -> int:
        return len(self.types)

    def __getitem__(self, tid: int) -> Type:
        return self.type(tid)

    def type(self, tid: int) -> Type:
        if not 0 <= tid < len(self.types):
            raise BtfError(f"type id {tid} out of range (max {len(self.types) - 1})")
        return self.types[tid]

    def string(self, off: int) -> str:
        return self.strings.get(off)

    def find(self, name: str, kind: int | None = None) -> list[Type]:
        """All types with this name (optionally of one kind), in id order."""
        if self._by_name is None:
            idx: dict[str, list[int]] = {}
            for t in self.types[1:]:
                if t.name:
                    idx.setdefault(t.name, []).append(t.id)
            self._by_name = idx
        ids = self._by_name.get(name, ())
        return [self.types[i] for i in ids if kind is None or self.types[i].kind == kind]

    def find_one(self, name: str, kind: int) -> Type | None:
        found = self.find(name, kind)
        return found[0] if found else None

    def map_structs(self) -> list[tuple[str, Type]]:
        """(name, struct) of every BTF-defined map: each VAR of the ``.maps`` DATASEC whose
        type resolves to a struct, in section order (libbpf's
        ``bpf_object__init_user_btf_maps``)."""
        out = []
        for sec in self.find(".maps", L.DATASEC):
            for vs in sec.secinfos:
                var = self.type(vs.type)
                st = self.resolve(var.type) if var.kind == L.VAR else None
                if st is not None and st.kind == L.STRUCT:
                    out.append((var.name, st))
        return out

    # --- modifiers / typedefs -------------------------------------------
    def skip_modifiers(self, tid: int) -> Type:
        t = self.type(tid)
        while t.kind in MODIFIERS:
            t = self.types[t.type]
        return t

    def resolve(self, tid: int) -> Type:
        """Skip modifiers and typedefs (btf_type_skip_modifiers + typedefs)."""
        t = self.type(tid)
        while t.kind in MODIFIERS or t.kind == L.TYPEDEF:
            t = self.types[t.type]
        return t

    # --- size and alignment ---------------------------------------------
    def size_of(self, tid: int) -> int:
        """Byte size like libbpf's btf__resolve_size; BtfError for unsized kinds."""
        t = self.type(tid)
        nelems = 1
        for _ in range(len(self.types) + 1):   # parse rejects loops; bound it anyway
            k = t.kind
            if k in (L.INT, L.ENUM, L.ENUM64, L.STRUCT, L.UNION, L.FLOAT, L.DATASEC):
                return nelems * t.size
            if k == L.PTR:
                return nelems * PTR_SIZE
            if k in MODIFIERS or k in (L.TYPEDEF, L.VAR, L.DECL_TAG):
                t = self.types[t.type]
            elif k == L.ARRAY:
                et, _, n = t.extra
                nelems *= n
                t = self.types[et]
            else:
                raise BtfError(f"type [{t.id}] {t.kind_name} has no size")
        raise BtfError(f"type [{tid}] size does not resolve (loop)")

    def align_of(self, tid: int) -> int:
        """Alignment like libbpf's btf__align_of (packed structs -> 1)."""
        t = self.resolve(tid)
        k = t.kind
        if k in (L.INT, L.ENUM, L.ENUM64, L.FLOAT):
            return max(1, min(PTR_SIZE, t.size))
        if k == L.PTR:
            return PTR_SIZE
        if k == L.ARRAY:
            return self.align_of(t.extra[0])
        if k in (L.STRUCT, L.UNION):
            best = 1
            for m in t.members:
                a = self.align_of(m.type)
                if m.bitfield_size == 0 and m.bits_offset % (8 * a):
                    return 1          # a member off its natural alignment: packed
                best = max(best, a)
            if t.size % best:
                return 1
            return best
        raise BtfError(f"type [{t.id}] {t.kind_name} has no alignment")

    # --- members ----------------------------------------------------------
    def find_member(self, tid: int, name: str) -> MemberPath | None:
        """Find a member by name, descending into anonymous struct/union members."""
        t = self.resolve(tid)
        if t.kind not in (L.STRUCT, L.UNION):
            raise BtfError(f"type [{t.id}] {t.kind_name} has no members")
        return self._find_member(t, name, 0, (), 0)

    def _find_member(self, t: Type, name: str, base: int, path: tuple, depth: int):
        if depth > 64:
            return None
        for m in t.members:
            if m.name == name:
                return MemberPath(m, base + m.bits_offset, path + (m,))
            if not m.name:
                inner = self.resolve(m.type)
                if inner.kind in (L.STRUCT, L.UNION):
                    hit = self._find_member(inner, name, base + m.bits_offset, path + (m,), depth + 1)
                    if hit:
                        return hit
        return None

    def member_at(self, tid: int, byte_off: int, size: int) -> FieldAccess | None:
        """The member an access [byte_off, byte_off+size) falls in, descending into nested
        structs/unions and arrays (like the kernel's btf_struct_walk).  None when the access
        hits padding, straddles members, or leaves the struct."""
        path: list[str] = []
        cur = tid
        off = byte_off
        for _ in range(64):
            t = self.resolve(cur)
            if path and off == 0 and t.kind in (L.ARRAY, L.STRUCT, L.UNION) \
                    and size == self.size_of(cur):
                return FieldAccess(tuple(path), cur, 0)     # the whole aggregate member
            if t.kind == L.ARRAY:
                et, _, n = t.extra
                esz = self.size_of(et)
                if esz <= 0 or off // esz >= n:
                    return None
                path.append(f"[{off // esz}]")
                cur, off = et, off % esz
                continue
            if t.kind not in (L.STRUCT, L.UNION):
                ok = off >= 0 and off + size <= self.size_of(cur)
                return FieldAccess(tuple(path), cur, off) if ok and path else None
            if off < 0 or off + size > t.size:
                return None
            for m in t.members:
                if m.bitfield_size:
                    continue         # bitfields are not addressable through BTF walks
                mstart = m.bits_offset // 8
                try:
                    msize = self.size_of(m.type)
                except BtfError:
                    continue
                if mstart <= off and off + size <= mstart + msize:
                    path.append(m.name)
                    cur, off = m.type, off - mstart
                    break
            else:
                return None
        return None

    # --- functions ----------------------------------------------------------
    def func_proto(self, tid: int) -> Type:
        """The FUNC_PROTO of a FUNC (or of a pointer to one, or the proto itself)."""
        t = self.resolve(tid)
        if t.kind == L.FUNC:
            t = self.types[t.type]
        elif t.kind == L.PTR:
            t = self.resolve(t.type)
        if t.kind != L.FUNC_PROTO:
            raise BtfError(f"type [{tid}] is not a function or prototype")
        return t

    def funcs(self) -> list[Type]:
        return [t for t in self.types if t.kind == L.FUNC]

    def decl_tags(self, tid: int, component_idx: int | None = None) -> list[DeclTag]:
        """Decl tags attached to a type/function, in BTF order (= source order for clang).

        ``component_idx=None`` returns all; -1 the tags on the entity itself;
        N the tags on member/argument N.
        """
        if self._tags is None:
            tags: dict[int, list[DeclTag]] = {}
            for t in self.types:
                if t.kind == L.DECL_TAG:
                    tags.setdefault(t.type, []).append(DeclTag(t.id, t.name, t.component_idx))
            self._tags = tags
        found = self._tags.get(tid, [])
        if component_idx is None:
            return list(found)
        return [d for d in found if d.component_idx == component_idx]

    def type_name(self, tid: int) -> str:
        """A short C-like spelling for messages (not a full declarator printer)."""
        return _spell(self, tid, 0)


def _spell(btf: Btf, tid: int, depth: int) -> str:
    if depth > 32:
        return "..."
    t = btf.types[tid]
    k = t.kind
    if tid == 0:
        return "void"
    if k in (L.STRUCT, L.UNION, L.ENUM, L.ENUM64):
        kw = {L.STRUCT: "struct", L.UNION: "union"}.get(k, "enum")
        return f"{kw} {t.name or '(anon)'}"
    if k == L.FWD:
        return f"{'union' if t.kflag else 'struct'} {t.name}"
    if k == L.PTR:
        return _spell(btf, t.type, depth + 1) + " *"
    if k in (L.CONST, L.VOLATILE, L.RESTRICT):
        q = {L.CONST: "const", L.VOLATILE: "volatile", L.RESTRICT: "restrict"}[k]
        return f"{q} {_spell(btf, t.type, depth + 1)}"
    if k == L.TYPE_TAG:
        return _spell(btf, t.type, depth + 1)
    if k == L.ARRAY:
        return f"{_spell(btf, t.extra[0], depth + 1)}[{t.extra[2]}]"
    if k == L.FUNC_PROTO:
        return f"{_spell(btf, t.type, depth + 1)} (*)(...)"
    return t.name or f"({t.kind_name.lower()})"
