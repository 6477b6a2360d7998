"""Read the ELF container of a BPF object into plain records (sections, symbols, REL entries).

The project's one ELF reader: the loader (:mod:`pipeline.loader`), BTF extraction
(:mod:`btf.source`) and the static object checks (:mod:`toolchain.objcheck`) all read objects
through it.  It lives in ``isa``, the leaf package, because that is the one package all three
stages may import under the layering rule (btf imports isa; toolchain imports isa/btf;
pipeline is the top) without reaching a later stage; the BPF ELF conventions it knows
(``EM_BPF``, the ``R_BPF_*`` relocation types of Documentation/bpf/llvm_reloc.rst, code as
8-byte instruction slots) belong to the instruction set's binary format, not to BTF.  Kernel
counterpart: libbpf's ``bpf_object__elf_init``/``elf_collect`` (through libelf).

:func:`read_elf` checks the container before trusting it — ELF class/endianness/machine,
section table bounds, sections inside the file and not overlapping, one symbol table, sane
entry sizes and links — and then decodes the little-endian ELF64 section headers and symbol
table itself with :mod:`struct` (names are NUL-terminated strings read from the file at the
string table's offset plus the name's, as pyelftools and libelf read them).
:func:`read_sections` reads only the section table of any ELF (``any_target=True``: any
machine, class and byte order, as ``bpftool btf dump file`` does; big-endian ``bpfeb``
objects carry big-endian BTF); objects other than a checked BPF one go through pyelftools,
imported only then, and any exception it raises becomes an :class:`ObjectError` naming the
file.  Nothing BPF-specific beyond the header check happens here.
"""

from __future__ import annotations

import io
import struct
from dataclasses import dataclass, field

from .errors import BAD_INPUT, Error
from .ints import u32


class ObjectError(Error, ValueError):
    """A malformed or unsupported object file.

    ``message`` is one line naming the file, and where known the section and
    byte/instruction offset; ``location`` is the short ``FILE:SECTION+0xOFF``
    form used by the CLI's error JSON.
    """

    kind = "elf"
    exit_code = BAD_INPUT


@dataclass(frozen=True)
class Symbol:
    index: int
    name: str
    value: int
    size: int
    type: str          # "NOTYPE" "OBJECT" "FUNC" "SECTION" "FILE" or "TYPE<n>"
    bind: str          # "LOCAL" "GLOBAL" "WEAK" or "BIND<n>"
    visibility: str    # "DEFAULT" "INTERNAL" "HIDDEN" "PROTECTED"
    shndx: int         # raw st_shndx (0 = undefined, >= 0xff00 special)
    section: str | None  # name of the section it is defined in, if any

    @property
    def is_extern(self) -> bool:
        """libbpf's sym_is_extern: an undefined global/weak NOTYPE symbol."""
        return self.shndx == 0 and self.bind in ("GLOBAL", "WEAK") and self.type == "NOTYPE"

EM_BPF = 247
SHT_NULL, SHT_PROGBITS, SHT_SYMTAB, SHT_STRTAB, SHT_RELA = 0, 1, 2, 3, 4
SHT_NOBITS, SHT_REL = 8, 9
SHF_EXECINSTR = 0x4
SHN_LORESERVE = 0xFF00

SYM_ENTSIZE, REL_ENTSIZE, SHDR_SIZE, EHDR_SIZE = 24, 16, 64, 64

R_BPF_NAMES = {0: "R_BPF_NONE", 1: "R_BPF_64_64", 2: "R_BPF_64_ABS64", 3: "R_BPF_64_ABS32",
               4: "R_BPF_64_NODYLD32", 10: "R_BPF_64_32"}

_SYM_TYPES = {0: "NOTYPE", 1: "OBJECT", 2: "FUNC", 3: "SECTION", 4: "FILE", 5: "COMMON", 6: "TLS"}
_SYM_BINDS = {0: "LOCAL", 1: "GLOBAL", 2: "WEAK"}
_SYM_VIS = ("DEFAULT", "INTERNAL", "HIDDEN", "PROTECTED")


@dataclass
class RawSection:
    index: int
    name: str
    type: int
    flags: int
    offset: int
    size: int
    link: int
    info: int
    entsize: int
    data: bytes = b""   # empty for NOBITS

    @property
    def is_exec(self) -> bool:
        return self.type == SHT_PROGBITS and bool(self.flags & SHF_EXECINSTR)


@dataclass(frozen=True)
class RawRel:
    offset: int
    type: int
    sym: int   # symbol index (already checked to be in range)


@dataclass
class RawElf:
    path: str
    sections: list[RawSection]
    symbols: list[Symbol]
    rels: dict[int, list[RawRel]] = field(default_factory=dict)  # target section index -> entries


def where(path: str, section: str | None = None, offset: int | None = None) -> str:
    """The short location string used in error JSON: FILE[:SECTION[+0xOFF]]."""
    loc = path
    if section is not None:
        loc += f":{section}"
        if offset is not None:
            loc += f"+{offset:#x}"
    return loc


def fail(path: str, what: str, section: str | None = None, offset: int | None = None):
    prefix = path
    if section is not None:
        prefix += f": section '{section}'"
        if offset is not None:
            prefix += f" offset {offset:#x}"
    raise ObjectError(f"{prefix}: {what}", where(path, section, offset))


def read_elf(data: bytes, path: str, want_rel=None) -> RawElf:
    """Parse ``data``; ``want_rel(target_section)`` picks which REL sections to decode."""
    _check_header(data, path)
    sections = _native_sections(data, path)
    symbols = _native_symbols(data, sections, path)
    rels = _rels(sections, symbols, path, want_rel)
    return RawElf(path, sections, symbols, rels)


def read_sections(data: bytes, path: str, *, any_target: bool = False) -> list[RawSection]:
    """The section table of ``data`` (names, headers, contents), without symbols or relocations.

    By default the header gets :func:`read_elf`'s checks; ``any_target=True`` only needs the
    ELF magic and leaves the rest (any machine, class or byte order) to pyelftools, whose
    failures still become an :class:`ObjectError` naming the file.
    """
    if any_target:
        if data[:4] != b"\x7fELF":
            fail(path, "not an ELF file (bad magic)")
    else:
        _check_header(data, path)
        return _native_sections(data, path)
    if data[4:6] == b"\x02\x01" and len(data) >= EHDR_SIZE:
        try:        # a little-endian ELF64 whose tables pass read_elf's checks: no pyelftools
            _check_header(data, path, any_machine=True)
        except ObjectError:
            pass
        else:
            return _native_sections(data, path)
    try:
        from elftools.elf.elffile import ELFFile
        return _sections(ELFFile(io.BytesIO(data)), data, path)
    except ObjectError:
        raise
    except Exception as exc:  # noqa: BLE001 - see read_elf
        raise _malformed(path, exc) from None


def _malformed(path: str, exc: Exception) -> ObjectError:
    msg = str(exc).splitlines()[0] if str(exc) else ""
    return ObjectError(f"{path}: malformed ELF ({type(exc).__name__}: {msg})"[:300], path)


# --- header -------------------------------------------------------------
def _check_header(data: bytes, path: str, any_machine: bool = False) -> None:
    if len(data) < 4 or data[:4] != b"\x7fELF":
        fail(path, "not an ELF file (bad magic)")
    if len(data) < EHDR_SIZE:
        fail(path, f"truncated ELF header ({len(data)} bytes, need {EHDR_SIZE})")
    if data[4] != 2:
        fail(path, "ELFCLASS32 object; BPF objects are ELFCLASS64" if data[4] == 1
             else f"bad ELF class {data[4]}")
    if data[5] != 1:
        fail(path, "big-endian (bpfeb) objects are not supported" if data[5] == 2
             else f"bad ELF data encoding {data[5]}")
    e_machine = struct.unpack_from("<H", data, 18)[0]
    if e_machine != EM_BPF and not any_machine:
        fail(path, f"e_machine is {e_machine}, not EM_BPF ({EM_BPF})")
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", data, 0x3A)
    if shoff == 0 or shnum == 0:
        fail(path, "no section header table")
    if shentsize != SHDR_SIZE:
        fail(path, f"section header size {shentsize}, expected {SHDR_SIZE}")
    if shoff + shnum * SHDR_SIZE > len(data):
        fail(path, f"section header table at {shoff:#x} ({shnum} entries) runs past end of file "
                   f"({len(data)} bytes)")
    if shstrndx == 0 or shstrndx >= shnum:
        fail(path, f"section name table index {shstrndx} out of range (sections: {shnum})")
    # The name table must be a string table inside the file before pyelftools reads names from it.
    sh_type, = struct.unpack_from("<I", data, shoff + shstrndx * SHDR_SIZE + 4)
    sh_offset, sh_size = struct.unpack_from("<QQ", data, shoff + shstrndx * SHDR_SIZE + 24)
    if sh_type != SHT_STRTAB or sh_offset + sh_size > len(data):
        fail(path, f"section name table (section {shstrndx}) is not a string table inside the file")
    _check_tables(data, path, shoff, shnum, data[sh_offset:sh_offset + sh_size])


def _check_tables(data: bytes, path: str, shoff: int, shnum: int, names: bytes) -> None:
    """Entry sizes and links of the symbol and relocation tables, from the raw headers.

    pyelftools checks these itself while listing sections, with messages that name
    no section (or it reads past the end of the file); checking first lets the
    error say which section is wrong.
    """
    def header(i):
        pos = shoff + i * SHDR_SIZE
        name_off, sh_type = struct.unpack_from("<II", data, pos)
        sh_size, sh_link = struct.unpack_from("<QI", data, pos + 32)
        sh_entsize, = struct.unpack_from("<Q", data, pos + 56)
        return name_off, sh_type, sh_size, sh_link, sh_entsize

    def name_of(i, name_off):
        end = names.find(b"\0", name_off)
        return names[name_off:end if end >= 0 else len(names)].decode("latin-1") or f"#{i}"

    symtabs = sum(header(i)[1] == SHT_SYMTAB for i in range(shnum))
    if symtabs != 1:
        fail(path, "no symbol table (.symtab)" if not symtabs else f"{symtabs} symbol tables; expected one")
    for i in range(shnum):
        name_off, sh_type, sh_size, sh_link, sh_entsize = header(i)
        if sh_type not in (SHT_SYMTAB, SHT_REL, SHT_RELA):
            continue
        want = {SHT_SYMTAB: SYM_ENTSIZE, SHT_REL: REL_ENTSIZE, SHT_RELA: 24}[sh_type]
        if sh_entsize != want or sh_size % want:
            fail(path, f"table entry size {sh_entsize} / size {sh_size} is not a multiple of {want}",
                 name_of(i, name_off))
        link_type = {SHT_SYMTAB: SHT_STRTAB}.get(sh_type, SHT_SYMTAB)
        if not 0 < sh_link < shnum or header(sh_link)[1] != link_type:
            what = "string table" if link_type == SHT_STRTAB else "symbol table"
            fail(path, f"link {sh_link} does not name a {what}", name_of(i, name_off))


# --- native reader (little-endian ELF64, after _check_header) -------------
_SHDR = struct.Struct("<IIQQQQIIQQ")     # Elf64_Shdr
_SYM = struct.Struct("<IBBHQQ")          # Elf64_Sym


def _cstring(data: bytes, pos: int) -> str:
    """The NUL-terminated string at file offset ``pos`` ('' when none ends inside the file)."""
    end = data.find(b"\0", pos)
    if end < 0 or pos >= len(data):
        return ""
    return data[pos:end].decode("utf-8", errors="replace")


def _native_sections(data: bytes, path: str) -> list[RawSection]:
    shoff, = struct.unpack_from("<Q", data, 0x28)
    shnum, shstrndx = struct.unpack_from("<HH", data, 0x3C)
    headers = [_SHDR.unpack_from(data, shoff + i * SHDR_SIZE) for i in range(shnum)]
    names_at = headers[shstrndx][4]
    out: list[RawSection] = []
    for i, (name, stype, flags, _addr, offset, size, link, info, _align, entsize) \
            in enumerate(headers):
        raw = RawSection(i, _cstring(data, names_at + name), stype, flags, offset, size, link,
                         info, entsize)
        if stype not in (SHT_NULL, SHT_NOBITS):
            if offset + size > len(data):
                fail(path, f"section data [{offset:#x}, {offset + size:#x}) runs past end "
                           f"of file ({len(data)} bytes)", raw.name)
            raw.data = data[offset:offset + size]
        out.append(raw)
    _check_overlap(out, path)
    return out


def _native_symbols(data: bytes, sections: list[RawSection], path: str) -> list[Symbol]:
    # one symbol table with sane entry size and string table link: see _check_tables
    tab = next(s for s in sections if s.type == SHT_SYMTAB)
    names_at = sections[tab.link].offset
    out = []
    for i in range(tab.size // SYM_ENTSIZE):
        st_name, st_info, st_other, shndx, value, size = _SYM.unpack_from(tab.data,
                                                                          i * SYM_ENTSIZE)
        name = _cstring(data, names_at + st_name)
        if 0 < shndx < SHN_LORESERVE and shndx >= len(sections):
            fail(path, f"symbol #{i} ('{name}') has section index {shndx} out of range",
                 tab.name, i * SYM_ENTSIZE)
        stype, bind = st_info & 0xF, st_info >> 4
        out.append(Symbol(i, name, value, size, _SYM_TYPES.get(stype, f"TYPE{stype}"),
                          _SYM_BINDS.get(bind, f"BIND{bind}"), _SYM_VIS[st_other & 3], shndx,
                          sections[shndx].name if 0 < shndx < len(sections) else None))
    return out


# --- sections (pyelftools: read_sections of other objects) -----------------
def _sections(elf, data: bytes, path: str) -> list[RawSection]:
    out: list[RawSection] = []
    for i, sec in enumerate(elf.iter_sections()):
        h = sec.header
        stype = _sh_type(h["sh_type"])
        raw = RawSection(i, sec.name, stype, h["sh_flags"], h["sh_offset"], h["sh_size"],
                         h["sh_link"], h["sh_info"], h["sh_entsize"])
        if stype not in (SHT_NULL, SHT_NOBITS):
            if raw.offset + raw.size > len(data):
                fail(path, f"section data [{raw.offset:#x}, {raw.offset + raw.size:#x}) runs past end "
                           f"of file ({len(data)} bytes)", raw.name)
            raw.data = data[raw.offset:raw.offset + raw.size]
        out.append(raw)
    _check_overlap(out, path)
    return out


def _sh_type(t) -> int:
    if isinstance(t, int):
        return t
    from elftools.elf.enums import ENUM_SH_TYPE_BASE
    return ENUM_SH_TYPE_BASE.get(t, -1)


def _check_overlap(sections: list[RawSection], path: str) -> None:
    spans = sorted((s.offset, s.offset + s.size, s.name) for s in sections
                   if s.type not in (SHT_NULL, SHT_NOBITS) and s.size)
    for (a0, a1, an), (b0, b1, bn) in zip(spans, spans[1:]):
        if b0 < a1:
            fail(path, f"overlaps section '{an}' (file bytes [{b0:#x}, {min(a1, b1):#x}))", bn, b0 - a0)


# --- relocations --------------------------------------------------------
def _rels(sections, symbols, path, want_rel) -> dict[int, list[RawRel]]:
    out: dict[int, list[RawRel]] = {}
    for s in sections:
        if s.type not in (SHT_REL, SHT_RELA):
            continue
        if not (0 < s.info < len(sections)):
            fail(path, f"relocation section targets section index {s.info}, out of range", s.name)
        target = sections[s.info]
        if want_rel is not None and not want_rel(target):
            continue  # e.g. .rel.BTF, .rel.BTF.ext, .rel.debug_*: not code relocations
        if s.type == SHT_RELA:
            fail(path, "RELA relocations are not used by BPF (expected REL)", s.name)
        entries = out.setdefault(s.info, [])
        for pos in range(0, s.size, REL_ENTSIZE):
            r_offset, r_info = struct.unpack_from("<QQ", s.data, pos)
            sym = r_info >> 32
            if sym >= len(symbols):
                fail(path, f"relocation #{pos // REL_ENTSIZE} uses symbol index {sym}, out of range "
                           f"(symbols: {len(symbols)})", s.name, pos)
            entries.append(RawRel(r_offset, u32(r_info), sym))
    return out
