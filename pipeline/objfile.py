"""Plain-data model of a loaded BPF ELF object (what :func:`pipeline.loader.load` returns).

Everything here is a dataclass of ints, strings, bytes and ``isa.Insn`` lists,
so later stages (btf, verifier, jit, run) can use it without pyelftools.

The linked form of a program follows libbpf's ``bpf_object__relocate``:
the program's own instructions come first, then every ``.text`` subprogram it
reaches, appended in first-reach (depth-first) order; pseudo-call and
``PSEUDO_FUNC`` immediates are rewritten to the linked positions.  Map and
global-data references are rewritten the way libbpf's light-skeleton loader
does (``BPF_PSEUDO_MAP_IDX`` / ``BPF_PSEUDO_MAP_IDX_VALUE`` with ``imm`` an
index into :attr:`Object.map_table`), because there are no map fds in
userspace; kfunc calls get ``src = BPF_PSEUDO_KFUNC_CALL`` with ``imm = 0``
(the kernel-side BTF id is resolved later, by name, from the relocation).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from isa import Insn
from isa.elf import ObjectError, Symbol  # the ELF reader's records, part of this model


@dataclass(frozen=True)
class Relocation:
    """One ``Elf64_Rel`` entry (BPF uses REL: the addend lives in the instruction)."""
    section: str       # the section being relocated (e.g. "xdp", ".text", ".maps")
    offset: int        # r_offset, bytes into that section
    type: int          # R_BPF_* number
    type_name: str     # "R_BPF_64_64", "R_BPF_64_32", ...
    symbol: Symbol


@dataclass(frozen=True)
class ProgReloc:
    """What one linked instruction refers to.

    kind is one of ``"subprog"`` (pseudo call), ``"func_addr"`` (LD_IMM64 of a
    callback), ``"map"`` (BTF-defined or legacy map), ``"data"`` (global in
    .data/.bss/.rodata*), ``"kfunc"`` (call to an extern ``__ksym`` function),
    ``"ksym"`` (LD_IMM64 of an extern variable), ``"helper"`` (call by
    helper id; no ELF relocation) or ``"core"`` (an instruction a CO-RE relocation patched,
    :mod:`pipeline.load_time`: ``name`` describes it, ``offset`` is the value patched in).
    """
    insn: int                   # index in Program.insns (8-byte slots)
    kind: str
    name: str                   # subprogram/map/section/extern/helper name
    reloc: Relocation | None    # the ELF relocation (None for helpers and same-section calls)
    target: int | None = None   # subprog/func_addr: linked slot index of the callee
    map_index: int | None = None  # map/data: index into Object.map_table
    offset: int = 0             # data: byte offset inside the data section
    helper_id: int | None = None


@dataclass(frozen=True)
class LinkedFunc:
    """A function placed in a linked program: the main program or an appended subprogram."""
    name: str
    section: str
    sec_offset: int   # byte offset of the function in its ELF section
    start: int        # first slot in Program.insns
    length: int       # number of slots


@dataclass
class Program:
    name: str
    section: str          # ELF section name, including any leading '?'
    type: str | None      # kernel program type (bpftool naming: "xdp", "sched_cls", "kprobe", ...)
    sec_def: str | None   # the libbpf SEC() pattern that matched, e.g. "kprobe+" or "xdp"
    attach: str | None    # what follows the pattern's '/', e.g. "do_sys_open"
    autoload: bool        # False for '?'-prefixed sections (libbpf: not loaded by default)
    sec_offset: int       # byte offset of the program in its section
    insns: list[Insn] = field(default_factory=list)
    relocs: list[ProgReloc] = field(default_factory=list)
    subprograms: list[LinkedFunc] = field(default_factory=list)  # appended, in linked order
    exception_cb: str | None = None   # the subprogram its exception_callback: tag names

    @property
    def functions(self) -> list[LinkedFunc]:
        """The main program followed by its subprograms, in linked order."""
        main = LinkedFunc(self.name, self.section, self.sec_offset, 0, self.main_length)
        return [main, *self.subprograms]

    @property
    def main_length(self) -> int:
        return self.subprograms[0].start if self.subprograms else len(self.insns)


@dataclass(frozen=True)
class Function:
    """A FUNC symbol in an executable section (program or subprogram, unlinked)."""
    name: str
    section: str
    sec_offset: int
    size: int
    bind: str


@dataclass(frozen=True)
class MapDef:
    """A map definition symbol; decoding the BTF-defined layout is the btf package's job."""
    name: str
    section: str      # ".maps" (BTF-defined) or "maps" (legacy, rejected by libbpf >= 1.0)
    kind: str         # "btf" or "legacy"
    offset: int       # byte offset of the definition in its section
    size: int
    data: bytes       # raw definition bytes (all zero for BTF-defined maps)


@dataclass(frozen=True)
class DataSection:
    """.data*, .rodata* or .bss* section: becomes an internal array map in libbpf."""
    name: str
    kind: str             # "data", "rodata" or "bss"
    size: int
    data: bytes | None    # None for NOBITS (.bss): zero-filled at load
    symbols: tuple[Symbol, ...] = ()


@dataclass(frozen=True)
class MapRef:
    """One entry of Object.map_table (the index space of BPF_PSEUDO_MAP_IDX*)."""
    kind: str   # "btf", "legacy" or "data"
    name: str   # map name, or the data section's name


@dataclass(frozen=True)
class Extern:
    name: str
    # "kfunc" (called somewhere), "ksym" (only its address is loaded: a typed __ksym
    # variable, a weak kfunc's existence check, or a __kconfig value — the BTF DATASEC
    # .ksyms/.kconfig that tells these apart is the btf package's to read) or "unused"
    kind: str
    weak: bool
    symbol: Symbol


@dataclass
class Object:
    path: str
    programs: list[Program]
    subprograms: list[Function]                 # FUNC symbols in .text, by offset
    symbols: list[Symbol]
    relocations: dict[str, list[Relocation]]    # relocated section name -> entries (code, .maps, .struct_ops)
    maps: list[MapDef]                          # BTF-defined maps in .maps
    legacy_maps: list[MapDef]                   # legacy "maps" section
    data_sections: list[DataSection]
    map_table: list[MapRef]
    externs: list[Extern]
    license: str | None
    btf: bytes | None
    btf_ext: bytes | None
    sections: list[str] = field(default_factory=list)  # all section names by index

    def program(self, name: str) -> Program:
        for p in self.programs:
            if p.name == name:
                return p
        names = ", ".join(p.name for p in self.programs) or "none"
        raise ObjectError(f"{self.path}: no program named '{name}' (programs: {names})", self.path)
