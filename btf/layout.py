"""Declarative binary layouts of the .BTF and .BTF.ext sections (uapi/linux/btf.h).

Every record is described once, as a field list; :class:`Layout` compiles the
lists into ``struct.Struct`` objects for one byte order.  The byte order comes
from the magic number, so big-endian BTF parses with the same code.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

BTF_MAGIC = 0xEB9F
BTF_VERSION = 1

# kind numbers (BTF_KIND_*)
UNKN, INT, PTR, ARRAY, STRUCT, UNION, ENUM, FWD, TYPEDEF, VOLATILE, CONST, RESTRICT, \
    FUNC, FUNC_PROTO, VAR, DATASEC, FLOAT, DECL_TAG, TYPE_TAG, ENUM64 = range(20)

KIND_NAMES = ("UNKNOWN", "INT", "PTR", "ARRAY", "STRUCT", "UNION", "ENUM", "FWD", "TYPEDEF",
              "VOLATILE", "CONST", "RESTRICT", "FUNC", "FUNC_PROTO", "VAR", "DATASEC", "FLOAT",
              "DECL_TAG", "TYPE_TAG", "ENUM64")


@dataclass(frozen=True)
class Record:
    """A fixed record: name plus (field, struct code) pairs."""
    name: str
    fields: tuple[tuple[str, str], ...]

    def fmt(self) -> str:
        return "".join(code for _, code in self.fields)


BTF_HEADER = Record("btf_header", (("magic", "H"), ("version", "B"), ("flags", "B"),
                                   ("hdr_len", "I"), ("type_off", "I"), ("type_len", "I"),
                                   ("str_off", "I"), ("str_len", "I")))
BTF_TYPE = Record("btf_type", (("name_off", "I"), ("info", "I"), ("size_type", "I")))

# Per kind: the record that follows btf_type once ("extra") and the record
# repeated vlen times ("item").  None = nothing.
INT_EXTRA = Record("int", (("data", "I"),))
ARRAY_EXTRA = Record("btf_array", (("type", "I"), ("index_type", "I"), ("nelems", "I")))
MEMBER = Record("btf_member", (("name_off", "I"), ("type", "I"), ("offset", "I")))
ENUM_VAL = Record("btf_enum", (("name_off", "I"), ("val", "I")))
ENUM64_VAL = Record("btf_enum64", (("name_off", "I"), ("val_lo32", "I"), ("val_hi32", "I")))
PARAM = Record("btf_param", (("name_off", "I"), ("type", "I")))
VAR_EXTRA = Record("btf_var", (("linkage", "I"),))
SECINFO = Record("btf_var_secinfo", (("type", "I"), ("offset", "I"), ("size", "I")))
DECL_TAG_EXTRA = Record("btf_decl_tag", (("component_idx", "i"),))

KIND_RECORDS: dict[int, tuple[Record | None, Record | None]] = {
    INT: (INT_EXTRA, None), PTR: (None, None), ARRAY: (ARRAY_EXTRA, None),
    STRUCT: (None, MEMBER), UNION: (None, MEMBER), ENUM: (None, ENUM_VAL),
    FWD: (None, None), TYPEDEF: (None, None), VOLATILE: (None, None), CONST: (None, None),
    RESTRICT: (None, None), FUNC: (None, None), FUNC_PROTO: (None, PARAM),
    VAR: (VAR_EXTRA, None), DATASEC: (None, SECINFO), FLOAT: (None, None),
    DECL_TAG: (DECL_TAG_EXTRA, None), TYPE_TAG: (None, None), ENUM64: (None, ENUM64_VAL),
}

# .BTF.ext
EXT_HEADER = Record("btf_ext_header", (("magic", "H"), ("version", "B"), ("flags", "B"),
                                       ("hdr_len", "I"), ("func_info_off", "I"),
                                       ("func_info_len", "I"), ("line_info_off", "I"),
                                       ("line_info_len", "I")))
EXT_CORE = Record("btf_ext_header_core", (("core_relo_off", "I"), ("core_relo_len", "I")))
EXT_SEC = Record("btf_ext_info_sec", (("sec_name_off", "I"), ("num_info", "I")))
FUNC_INFO = Record("bpf_func_info", (("insn_off", "I"), ("type_id", "I")))
LINE_INFO = Record("bpf_line_info", (("insn_off", "I"), ("file_name_off", "I"),
                                     ("line_off", "I"), ("line_col", "I")))
CORE_RELO = Record("bpf_core_relo", (("insn_off", "I"), ("type_id", "I"),
                                     ("access_str_off", "I"), ("kind", "I")))


class Layout:
    """The records above compiled for one byte order ('<' or '>')."""

    def __init__(self, endian: str):
        self.endian = endian
        self._cache: dict[str, struct.Struct] = {}

    def __getitem__(self, rec: Record) -> struct.Struct:
        s = self._cache.get(rec.name)
        if s is None:
            s = self._cache[rec.name] = struct.Struct(self.endian + rec.fmt())
        return s


LITTLE = Layout("<")
BIG = Layout(">")


def layout_for_magic(data: bytes | memoryview) -> Layout | None:
    """Pick the byte order whose reading of the first two bytes is the BTF magic."""
    if len(data) < 2:
        return None
    if int.from_bytes(data[:2], "little") == BTF_MAGIC:
        return LITTLE
    if int.from_bytes(data[:2], "big") == BTF_MAGIC:
        return BIG
    return None
