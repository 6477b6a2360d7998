"""In-memory BTF types: one slotted object per type id, kind data kept raw.

A :class:`Type` keeps the integers of its record (``raw`` holds the vlen items
as tuples straight from ``struct.iter_unpack``) and decodes friendlier views
(:class:`Member`, :class:`Param`, :class:`EnumValue`, ...) only when asked:
vmlinux has ~10^5 types and most consumers touch few of them.
"""

from __future__ import annotations

from dataclasses import dataclass

from isa.ints import s32, s64

from . import layout as L


@dataclass(frozen=True)
class Member:
    name: str
    type: int
    bits_offset: int
    bitfield_size: int      # 0 = not a bitfield


@dataclass(frozen=True)
class Param:
    name: str
    type: int


@dataclass(frozen=True)
class EnumValue:
    name: str
    value: int              # already sign-interpreted per the enum's kind_flag


@dataclass(frozen=True)
class VarSecinfo:
    type: int
    offset: int
    size: int


class Type:
    """One BTF type.  ``id`` 0 is the implicit void type."""

    __slots__ = ("id", "kind", "name", "name_off", "info", "size_type", "extra", "raw", "offset",
                 "_names")

    def __init__(self, tid, kind, name, name_off, info, size_type, extra, raw, offset, names):
        self.id = tid
        self.kind = kind
        self.name = name            # "" for anonymous
        self.name_off = name_off
        self.info = info
        self.size_type = size_type  # size or referenced type id, per kind
        self.extra = extra          # tuple from the kind's extra record, or None
        self.raw = raw              # list of vlen tuples, or ()
        self.offset = offset        # byte offset of the record inside the type section
        self._names = names         # callable name_off -> str (the string table)

    # --- header fields -------------------------------------------------
    @property
    def kind_name(self) -> str:
        return L.KIND_NAMES[self.kind]

    @property
    def vlen(self) -> int:
        return self.info & 0xFFFF

    @property
    def kflag(self) -> bool:
        return bool(self.info >> 31)

    @property
    def size(self) -> int:
        return self.size_type

    @property
    def type(self) -> int:
        return self.size_type

    # --- kind data -----------------------------------------------------
    @property
    def int_encoding(self) -> int:
        return (self.extra[0] >> 24) & 0x0F

    @property
    def int_offset(self) -> int:
        return (self.extra[0] >> 16) & 0xFF

    @property
    def int_bits(self) -> int:
        return self.extra[0] & 0xFF

    @property
    def members(self) -> list[Member]:
        names, kf = self._names, self.kflag
        if kf:
            return [Member(names(n), t, o & 0xFFFFFF, o >> 24) for n, t, o in self.raw]
        return [Member(names(n), t, o, 0) for n, t, o in self.raw]

    @property
    def params(self) -> list[Param]:
        names = self._names
        return [Param(names(n), t) for n, t in self.raw]

    @property
    def enum_values(self) -> list[EnumValue]:
        names, signed = self._names, self.kflag
        out = []
        if self.kind == L.ENUM:
            for n, v in self.raw:
                out.append(EnumValue(names(n), s32(v) if signed else v))
        else:
            for n, lo, hi in self.raw:
                v = hi << 32 | lo
                out.append(EnumValue(names(n), s64(v) if signed else v))
        return out

    @property
    def array(self) -> tuple[int, int, int]:
        """(element type, index type, nelems)."""
        return self.extra

    @property
    def linkage(self) -> int:
        """FUNC: vlen (0 static, 1 global, 2 extern); VAR: the btf_var linkage."""
        return self.extra[0] if self.kind == L.VAR else self.vlen

    @property
    def secinfos(self) -> list[VarSecinfo]:
        return [VarSecinfo(*r) for r in self.raw]

    @property
    def component_idx(self) -> int:
        return self.extra[0]

    def __repr__(self) -> str:
        return f"<Type [{self.id}] {self.kind_name} {self.name or '(anon)'!r}>"


VOID = Type(0, L.UNKN, "", 0, 0, 0, None, (), -1, lambda off: "")
