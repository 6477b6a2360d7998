"""Load a BPF ELF object into an :class:`Object` of linked programs (the libbpf model).

``load(path)`` / ``load_bytes(data, path)`` read the container
(:mod:`isa.elf`), find programs the way libbpf's
``bpf_object__elf_collect`` does — every FUNC symbol in an executable section
other than ``.text`` is a program, ``.text`` holds subprograms — collect maps,
global data sections, externs, license and raw BTF, classify code
relocations and link every program with the subprograms it reaches
(:mod:`pipeline.linker`).  All problems are :class:`ObjectError` with the
file, section and byte offset in the message.
"""

from __future__ import annotations

from pathlib import Path

from btf import BtfError, parse_btf
from btf import layout as BL
from isa import decode
from isa.insn import ld_imm64_problem
from isa.elf import R_BPF_NAMES, SHT_NOBITS, SHT_PROGBITS, RawElf, RawSection, fail, read_elf

from .linker import CodeRel, Func, Linker, classify
from .objfile import (DataSection, Extern, Function, LinkedFunc, MapDef, MapRef, Object,
                      ObjectError, ProgReloc, Program, Relocation, Symbol)
from .prog_types import match_section

__all__ = ["load", "load_bytes", "ObjectError", "Object", "Program", "ProgReloc", "LinkedFunc",
           "Function", "MapDef", "MapRef", "DataSection", "Extern", "Symbol", "Relocation"]

# Data relocations libbpf keeps besides code: map-in-map / struct_ops initialisers.
_DATA_REL_TARGETS = (".maps", ".struct_ops", ".struct_ops.link")


def load(path: str | Path) -> Object:
    path = str(path)
    data = Path(path).read_bytes()  # OSError is the CLI's "io" error, not a malformed object
    return load_bytes(data, path)


def load_bytes(data: bytes, path: str = "<memory>") -> Object:
    raw = read_elf(data, path, want_rel=lambda t: t.is_exec or t.name in _DATA_REL_TARGETS)
    return _Builder(raw).build()


class _Builder:
    def __init__(self, raw: RawElf):
        self.raw = raw
        self.path = raw.path
        self.secs = raw.sections
        self.text = next((s for s in self.secs if s.is_exec and s.name == ".text"), None)

    def build(self) -> Object:
        code = self._decode_code()
        funcs = self._functions(code)
        maps, legacy = self._map_defs()
        data_secs = self._data_sections()
        map_table = ([MapRef("btf", m.name) for m in maps] + [MapRef("legacy", m.name) for m in legacy]
                     + [MapRef("data", d.name) for d in data_secs])
        data_index = {s.index: len(maps) + len(legacy) + i
                      for i, s in enumerate(s for s in self.secs if _data_kind(s))}
        relocations, code_rels = self._relocations(code, maps, legacy, data_index)
        text_funcs = [f for f in funcs if self.text is not None and f.sec.index == self.text.index]
        linker = Linker(self.path, code, self.text, text_funcs, code_rels)
        exc_cbs = self._exception_cbs(text_funcs)
        programs = []
        for f in funcs:
            if f in text_funcs:
                continue
            insns, relocs, subprogs = linker.link(f, exc_cbs.get(f.name))
            m = match_section(f.sec.name)
            programs.append(Program(
                name=f.name, section=f.sec.name, type=m.type if m else None,
                sec_def=m.sec_def if m else None, attach=m.attach if m else None,
                autoload=not f.sec.name.startswith("?"), sec_offset=f.start * 8,
                insns=insns, relocs=relocs, subprograms=subprogs,
                exception_cb=exc_cbs[f.name].name if f.name in exc_cbs else None))
        return Object(
            path=self.path, programs=programs,
            subprograms=[Function(f.name, f.sec.name, f.start * 8, f.count * 8, f.bind) for f in text_funcs],
            symbols=self.raw.symbols, relocations=relocations, maps=maps, legacy_maps=legacy,
            data_sections=data_secs, map_table=map_table, externs=self._externs(code_rels),
            license=self._license(), btf=self._bytes(".BTF"), btf_ext=self._bytes(".BTF.ext"),
            sections=[s.name for s in self.secs])

    # -- code ------------------------------------------------------------
    def _decode_code(self) -> dict:
        code = {}
        for s in self.secs:
            if not s.is_exec or not s.size:
                continue
            if s.size % 8:
                fail(self.path, f"code size {s.size} is not a multiple of 8", s.name, s.size - s.size % 8)
            insns = decode(s.data)
            # like libbpf, only what linking needs is checked here (LD_IMM64 takes two slots);
            # an unknown opcode or register is the verifier's to reject, for its program alone
            problem = ld_imm64_problem(insns)
            if problem is not None:
                idx, text = problem
                fail(self.path, f"insn {idx}: {text}", s.name, idx * 8)
            code[s.index] = insns
        return code

    def _functions(self, code: dict) -> list[Func]:
        """FUNC symbols of executable sections, ordered like libbpf (section index, offset)."""
        by_sec: dict[int, list[Func]] = {}
        for sym in self.raw.symbols:
            if sym.type != "FUNC" or sym.shndx not in code:
                continue
            sec = self.secs[sym.shndx]
            if sym.value % 8 or sym.size % 8 or not sym.size or sym.value + sym.size > sec.size:
                fail(self.path, f"function '{sym.name}' [{sym.value:#x}, +{sym.size:#x}) is empty, "
                                f"unaligned or crosses the section boundary ({sec.size:#x})",
                     sec.name, sym.value)
            if sym.bind == "LOCAL" and (self.text is None or sec.index != self.text.index):
                fail(self.path, f"program '{sym.name}' is static and not supported (libbpf: only "
                                ".text may hold static functions)", sec.name, sym.value)
            by_sec.setdefault(sec.index, []).append(Func(sym.name, sec, sym.value // 8, sym.size // 8,
                                                         sym.bind))
        out = []
        for idx in sorted(by_sec):
            fl = sorted(by_sec[idx], key=lambda f: f.start)
            for a, b in zip(fl, fl[1:]):
                if b.start < a.start + a.count:
                    fail(self.path, f"functions '{a.name}' and '{b.name}' overlap", a.sec.name, b.start * 8)
            out.extend(fl)
        return out

    def _exception_cbs(self, text_funcs: list[Func]) -> dict[str, Func]:
        """libbpf ``bpf_prog_assign_exc_cb``: program name -> the ``.text`` function its
        ``exception_callback:NAME`` decl tag names, which linking appends to the program
        even when nothing calls it.  Where libbpf would refuse (a non-global callback, two
        tags) nothing is appended, and the verifier rejects the program for it."""
        raw = self._bytes(".BTF")
        if raw is None or b"exception_callback:" not in raw:
            return {}
        try:
            b = parse_btf(raw)
        except BtfError:
            return {}
        by_name = {f.name: f for f in text_funcs}
        tags: dict[str, list[str]] = {}
        for t in b.types:
            if (t.kind != BL.DECL_TAG or t.component_idx != -1
                    or not t.name.startswith("exception_callback:")):
                continue
            fn = b.types[t.type]
            if fn.kind == BL.FUNC:
                tags.setdefault(fn.name, []).append(t.name[len("exception_callback:"):])
        out = {}
        for prog, names in tags.items():
            cb = by_name.get(names[0]) if len(names) == 1 else None
            if cb is not None and cb.bind == "GLOBAL":
                out[prog] = cb
        return out

    # -- relocations -----------------------------------------------------
    def _relocations(self, code, maps, legacy, data_index):
        relocations: dict[str, list[Relocation]] = {}
        code_rels: dict[tuple[int, int], CodeRel] = {}
        by_off = {(m.section, m.offset): (i, m.name) for i, m in enumerate(maps)}
        by_off.update({(m.section, m.offset): (len(maps) + i, m.name) for i, m in enumerate(legacy)})

        def map_lookup(section, value):
            return by_off.get((section, value))

        for target_idx, entries in self.raw.rels.items():
            sec = self.secs[target_idx]
            lst = relocations.setdefault(sec.name, [])
            for e in entries:
                sym = self.raw.symbols[e.sym]
                rel = Relocation(sec.name, e.offset, e.type, R_BPF_NAMES.get(e.type, f"R_BPF_{e.type}"), sym)
                lst.append(rel)
                if target_idx not in code:
                    if e.offset >= sec.size:
                        fail(self.path, f"relocation offset {e.offset:#x} is outside the section "
                                        f"(size {sec.size:#x})", sec.name, e.offset)
                    continue
                cr = classify(self.path, sec, code[target_idx], rel, self.secs, self.text, map_lookup,
                              data_index)
                code_rels[(target_idx, e.offset // 8)] = cr
        return relocations, code_rels

    # -- maps, data, externs ------------------------------------------------
    def _map_defs(self):
        maps, legacy = [], []
        for s in self.secs:
            if s.name not in (".maps", "maps"):
                continue
            syms = sorted((y for y in self.raw.symbols
                           if y.shndx == s.index and y.type not in ("SECTION", "FILE")),
                          key=lambda y: y.value)
            dest, kind = (maps, "btf") if s.name == ".maps" else (legacy, "legacy")
            for y in syms:
                if y.value + y.size > s.size:
                    fail(self.path, f"map '{y.name}' [{y.value:#x}, +{y.size:#x}) runs past the section "
                                    f"end ({s.size:#x})", s.name, y.value)
                body = s.data[y.value:y.value + y.size] if s.type != SHT_NOBITS else bytes(y.size)
                dest.append(MapDef(y.name, s.name, kind, y.value, y.size, body))
        return maps, legacy

    def _data_sections(self) -> list[DataSection]:
        out = []
        for s in self.secs:
            kind = _data_kind(s)
            if kind:
                syms = tuple(y for y in self.raw.symbols if y.shndx == s.index and y.type == "OBJECT")
                out.append(DataSection(s.name, kind, s.size,
                                       None if s.type == SHT_NOBITS else s.data, syms))
        return out

    def _externs(self, code_rels) -> list[Extern]:
        used = {}
        for cr in code_rels.values():
            # called anywhere -> kfunc (a weak kfunc is also LD_IMM64'd to test its existence)
            if cr.kind == "kfunc" or (cr.kind == "ksym" and cr.sym.index not in used):
                used[cr.sym.index] = cr.kind
        return [Extern(y.name, used.get(y.index, "unused"), y.bind == "WEAK", y)
                for y in self.raw.symbols if y.is_extern]

    def _license(self) -> str | None:
        data = self._bytes("license")
        return None if data is None else data.split(b"\0", 1)[0].decode("latin-1")

    def _bytes(self, name: str) -> bytes | None:
        for s in self.secs:
            if s.name == name and s.type != SHT_NOBITS:
                return s.data
        return None


def _data_kind(s: RawSection) -> str | None:
    """libbpf's SEC_DATA / SEC_RODATA / SEC_BSS classification (non-empty sections only)."""
    if not s.size:
        return None
    if s.type == SHT_PROGBITS and not s.is_exec:
        for kind, stem in (("data", ".data"), ("rodata", ".rodata")):
            if s.name == stem or s.name.startswith(stem + "."):
                return kind
    if s.type == SHT_NOBITS and (s.name == ".bss" or s.name.startswith(".bss.")):
        return "bss"
    return None

