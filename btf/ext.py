"""Parse a .BTF.ext section: func_info, line_info and CO-RE relocations.

Records are grouped per ELF code section (``sec_name_off`` points into the
.BTF string table).  ``insn_off`` is kept as stored in object files (a byte
offset into the section); ``insn`` is the instruction index (``insn_off // 8``).
"""

from __future__ import annotations

from bisect import bisect_left
from dataclasses import dataclass, field

from . import layout as L
from .errors import BtfError
from .graph import Btf

CORE_RELO_KINDS = ("field_byte_offset", "field_byte_size", "field_exists", "field_signed",
                   "field_lshift_u64", "field_rshift_u64", "local_type_id", "target_type_id",
                   "type_exists", "type_size", "enumval_exists", "enumval_value", "type_matches")


@dataclass(frozen=True)
class FuncInfo:
    insn_off: int
    type_id: int

    @property
    def insn(self) -> int:
        return self.insn_off // 8


@dataclass(frozen=True)
class LineInfo:
    insn_off: int
    file_name: str
    line: str          # the source line text clang recorded
    line_num: int
    column: int

    @property
    def insn(self) -> int:
        return self.insn_off // 8


@dataclass(frozen=True)
class CoreRelo:
    insn_off: int
    type_id: int
    access_str: str
    kind: int

    @property
    def kind_name(self) -> str:
        return CORE_RELO_KINDS[self.kind] if self.kind < len(CORE_RELO_KINDS) else f"kind{self.kind}"


@dataclass
class BtfExt:
    func_info: dict[str, list[FuncInfo]] = field(default_factory=dict)
    line_info: dict[str, list[LineInfo]] = field(default_factory=dict)
    core_relos: dict[str, list[CoreRelo]] = field(default_factory=dict)

    def func_info_at(self, section: str, insn: int) -> FuncInfo | None:
        """The first func_info record of ``section`` at instruction ``insn`` (each section
        indexed once: an object with N programs in one section costs N, not N**2)."""
        index = self.__dict__.setdefault("_func_index", {})
        by_insn = index.get(section)
        if by_insn is None:
            by_insn = index[section] = {}
            for fi in self.func_info.get(section, ()):
                by_insn.setdefault(fi.insn, fi)
        return by_insn.get(insn)

    def line_info_in(self, section: str, start: int, end: int) -> list[LineInfo]:
        """The line_info records of ``section`` for instructions ``start <= insn < end``, in
        their order (records are sorted by instruction in every object clang writes; a
        section that is not is scanned)."""
        records = self.line_info.get(section, ())
        index = self.__dict__.setdefault("_line_index", {})
        insns = index.get(section)
        if insns is None:
            insns = index[section] = [li.insn for li in records]
            if any(a > b for a, b in zip(insns, insns[1:])):
                insns = index[section] = []        # unsorted: scan
        if not insns:
            return [li for li in records if start <= li.insn < end]
        return list(records[bisect_left(insns, start):bisect_left(insns, end)])


def parse_btf_ext(data: bytes, btf: Btf, section: str = ".BTF.ext") -> BtfExt:
    data = bytes(data)
    lay = L.layout_for_magic(data)

    def err(msg: str, off: int):
        return BtfError(msg, f"{section}+0x{off:x}")

    if lay is None:
        raise err(f"invalid .BTF.ext magic ({data[:2].hex() or 'empty input'}), expected 9feb", 0)
    hs = lay[L.EXT_HEADER]
    if len(data) < hs.size:
        raise err(f".BTF.ext header truncated: {len(data)} bytes, need {hs.size}", 0)
    _, version, flags, hdr_len, fi_off, fi_len, li_off, li_len = hs.unpack_from(data)
    if version != L.BTF_VERSION:
        raise err(f"unsupported .BTF.ext version {version}", 2)
    if hdr_len < hs.size or hdr_len > len(data):
        raise err(f".BTF.ext header length {hdr_len} out of range (data is {len(data)} bytes)", 4)
    cr_off = cr_len = 0
    cs = lay[L.EXT_CORE]
    if hdr_len >= hs.size + cs.size:
        cr_off, cr_len = cs.unpack_from(data, hs.size)
    ext = BtfExt()

    def records(sub_off: int, sub_len: int, rec: L.Record, what: str, hdr_field: int):
        """Yield (sec_name, [tuples], record offsets) for one subsection."""
        if not sub_len:
            return
        start = hdr_len + sub_off
        end = start + sub_len
        if end > len(data):
            raise err(f"{what} [{sub_off}, {sub_off + sub_len}) past the end of .BTF.ext", hdr_field)
        if sub_len < 4:
            raise err(f"{what} too short for its record size", start)
        rec_size = int.from_bytes(data[start:start + 4], "little" if lay.endian == "<" else "big")
        rs = lay[rec]
        if rec_size < rs.size or rec_size % 4:
            raise err(f"{what} record size {rec_size} invalid (need >= {rs.size}, multiple of 4)", start)
        sec_s = lay[L.EXT_SEC]
        pos = start + 4
        while pos < end:
            if pos + sec_s.size > end:
                raise err(f"{what} section header truncated", pos)
            name_off, num = sec_s.unpack_from(data, pos)
            if num == 0:
                raise err(f"{what} section with zero records", pos + 4)
            try:
                name = btf.string(name_off)
            except BtfError:
                raise err(f"{what} section name offset {name_off} out of range", pos) from None
            pos += sec_s.size
            if pos + num * rec_size > end:
                raise err(f"{what} for '{name}': {num} records of {rec_size} bytes run past the end",
                          pos)
            items = [rs.unpack_from(data, pos + i * rec_size) for i in range(num)]
            yield name, items, pos
            pos += num * rec_size

    ntypes = len(btf.types)
    for name, items, pos in records(fi_off, fi_len, L.FUNC_INFO, "func_info", 8):
        out = ext.func_info.setdefault(name, [])
        for i, (off, tid) in enumerate(items):
            if tid >= ntypes or btf.types[tid].kind != L.FUNC:
                raise err(f"func_info for '{name}' insn_off {off}: type id {tid} is not a FUNC",
                          pos + i * 8 + 4)
            out.append(FuncInfo(off, tid))
    for name, items, pos in records(li_off, li_len, L.LINE_INFO, "line_info", 16):
        out = ext.line_info.setdefault(name, [])
        for i, (off, fname, lstr, lc) in enumerate(items):
            try:
                out.append(LineInfo(off, btf.string(fname), btf.string(lstr), lc >> 10, lc & 0x3FF))
            except BtfError:
                raise err(f"line_info for '{name}': string offset out of range", pos) from None
    for name, items, pos in records(cr_off, cr_len, L.CORE_RELO, "core_relo", hs.size):
        out = ext.core_relos.setdefault(name, [])
        for i, (off, tid, acc, kind) in enumerate(items):
            if tid >= ntypes:
                raise err(f"CO-RE relocation for '{name}': type id {tid} out of range", pos)
            try:
                out.append(CoreRelo(off, tid, btf.string(acc), kind))
            except BtfError:
                raise err(f"CO-RE relocation for '{name}': access string offset out of range",
                          pos) from None
    return ext
