"""Classify code relocations and link each program with the subprograms it reaches.

The rules are libbpf's (``bpf_program__record_reloc``, ``bpf_object__reloc_code``,
``bpf_object__append_subprog_code``), re-derived here:

* A relocation on a call or LD_IMM64 against an undefined global NOTYPE symbol is an
  extern: a call is a kfunc call, an LD_IMM64 a ksym address.
* A pseudo call (``src = 1``) relocation must point into ``.text``; the callee's
  slot in ``.text`` is ``sym.st_value / 8 + imm + 1`` (clang emits ``imm = -1``
  against a global FUNC symbol, or ``imm = slot - 1`` against the ``.text``
  section symbol for static callees).  A call inside ``.text`` to ``.text``
  may carry no relocation: then the target is ``own slot + imm + 1``.
* An LD_IMM64 against a ``.text`` FUNC/SECTION symbol is a callback address:
  slot ``(st_value + imm) / 8``; libbpf marks it ``src = BPF_PSEUDO_FUNC``.
* An LD_IMM64 against ``.maps``/``maps`` is a map (matched by ``st_value``), against
  ``.data*``/``.rodata*``/``.bss*`` a global at ``st_value + imm``.
* Linking walks the main program's instructions in order; the first reference
  to a subprogram appends its code at the end and walks it right away
  (depth-first), so each subprogram is placed once per program, in first-reach
  order, and every call immediate becomes ``callee_start - (slot + 1)``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from isa import Insn
from isa import opcodes as op
from isa.elf import R_BPF_NAMES, SHN_LORESERVE, RawSection, fail
from isa.ints import s32, u32

from .objfile import LinkedFunc, ProgReloc, Relocation, Symbol

R_BPF_64_64, R_BPF_64_32 = 1, 10


@dataclass
class Func:
    """A function in an executable section, in slot units."""
    name: str
    sec: RawSection
    start: int     # first slot within its section
    count: int     # number of slots
    bind: str


@dataclass(frozen=True)
class CodeRel:
    """A classified code relocation (libbpf's reloc_desc)."""
    kind: str          # "subprog", "func_addr", "map", "data", "kfunc", "ksym"
    name: str
    reloc: Relocation
    sym: Symbol
    map_index: int | None = None


class Linker:
    def __init__(self, path: str, insns_by_sec: dict[int, list[Insn]], text: RawSection | None,
                 text_funcs: list[Func], rels: dict[tuple[int, int], CodeRel]):
        self.path = path
        self.insns_by_sec = insns_by_sec
        self.text = text
        self.text_by_start = {f.start: f for f in text_funcs}
        self.rels = rels

    # -- one program ----------------------------------------------------
    def link(self, main: Func, exception_cb: Func | None = None):
        """``exception_cb``: the ``.text`` function the program names as its exception
        callback, appended after everything it reaches unless already placed (libbpf)."""
        self.out: list[Insn] = list(self._code(main))
        self.relocs: list[ProgReloc] = []
        self.subprogs: list[LinkedFunc] = []
        self.placed: dict[int, int] = {}   # .text start slot -> linked start slot
        try:
            self._reloc_code(main, 0)
            if exception_cb is not None:
                self._place(exception_cb.start, main.sec, main.start)
        except RecursionError:
            fail(self.path, "subprogram call chain too deep to link", main.sec.name, main.start * 8)
        self.relocs.sort(key=lambda r: r.insn)
        return self.out, self.relocs, self.subprogs

    def _code(self, f: Func) -> list[Insn]:
        return self.insns_by_sec[f.sec.index][f.start:f.start + f.count]

    def _reloc_code(self, func: Func, base: int) -> None:
        sec = func.sec
        for i in range(func.count):
            slot = func.start + i        # position in the ELF section
            at = base + i                # position in the linked program
            ins = self.out[at]
            rel = self.rels.get((sec.index, slot))
            if ins.code == op.CALL_OP:
                self._call(func, slot, at, ins, rel)
            elif ins.code == op.LD_IMM64:
                self._ld_imm64(func, slot, at, ins, rel)

    def _call(self, func, slot, at, ins, rel: CodeRel | None):
        sec = func.sec
        if rel is not None and rel.kind == "kfunc":
            self.out[at] = dataclasses.replace(ins, src=op.PSEUDO_KFUNC_CALL, imm=0, off=0)
            self.relocs.append(ProgReloc(at, "kfunc", rel.name, rel.reloc))
            return
        if ins.src == op.CALL_HELPER and rel is None:
            self.relocs.append(ProgReloc(at, "helper", f"helper#{ins.imm}", None, helper_id=ins.imm))
            return
        if ins.src != op.PSEUDO_CALL:
            if rel is not None:
                why = f"is relocated against {rel.kind} '{rel.name}'"
            elif ins.src == op.PSEUDO_KFUNC_CALL:
                why = "has no relocation naming the kfunc"
            else:
                why = "is not a helper, BPF-to-BPF or kfunc call"
            fail(self.path, f"call with src_reg {ins.src} at insn {slot} {why}", sec.name, slot * 8)
        if rel is not None:
            if rel.kind != "subprog":
                fail(self.path, f"pseudo call at insn {slot} is relocated against {rel.kind} '{rel.name}'",
                     sec.name, slot * 8)
            target = rel.sym.value // 8 + ins.imm + 1
        else:
            if self.text is None or sec.index != self.text.index:
                fail(self.path, f"pseudo call at insn {slot} has no relocation outside .text",
                     sec.name, slot * 8)
            target = slot + ins.imm + 1
        start = self._place(target, sec, slot)
        self.out[at] = dataclasses.replace(ins, imm=start - at - 1)
        name = self.text_by_start[target].name
        self.relocs.append(ProgReloc(at, "subprog", name, rel.reloc if rel else None, target=start))

    def _ld_imm64(self, func, slot, at, ins, rel: CodeRel | None):
        sec = func.sec
        if rel is None:
            if ins.src == op.PSEUDO_FUNC:
                fail(self.path, f"LD_IMM64 PSEUDO_FUNC at insn {slot} has no relocation",
                     sec.name, slot * 8)
            return  # a plain 64-bit constant
        if rel.kind == "func_addr":
            if (rel.sym.value + ins.imm) % 8:
                fail(self.path, f"callback address at insn {slot} is not slot aligned",
                     sec.name, slot * 8)
            target = (rel.sym.value + ins.imm) // 8
            start = self._place(target, sec, slot)
            self.out[at] = dataclasses.replace(ins, src=op.PSEUDO_FUNC, imm=start - at - 1)
            name = self.text_by_start[target].name
            self.relocs.append(ProgReloc(at, "func_addr", name, rel.reloc, target=start))
        elif rel.kind == "map":
            self.out[at] = dataclasses.replace(ins, src=op.PSEUDO_MAP_IDX, imm=rel.map_index)
            self.relocs.append(ProgReloc(at, "map", rel.name, rel.reloc, map_index=rel.map_index))
        elif rel.kind == "data":
            offset = u32(ins.imm + rel.sym.value)
            self.out[at] = dataclasses.replace(ins, src=op.PSEUDO_MAP_IDX_VALUE, imm=rel.map_index)
            self.out[at + 1] = dataclasses.replace(self.out[at + 1], imm=s32(offset))
            self.relocs.append(ProgReloc(at, "data", rel.name, rel.reloc, map_index=rel.map_index,
                                         offset=offset))
        elif rel.kind == "ksym":
            self.relocs.append(ProgReloc(at, "ksym", rel.name, rel.reloc))
        else:
            fail(self.path, f"LD_IMM64 at insn {slot} is relocated against {rel.kind} '{rel.name}'",
                 sec.name, slot * 8)

    def _place(self, target: int, sec: RawSection, slot: int) -> int:
        """Linked start of the .text function starting at ``target``; append it on first use."""
        callee = self.text_by_start.get(target)
        if callee is None:
            fail(self.path, f"call/callback at insn {slot} targets .text insn {target}, "
                            "which is not the start of a subprogram", sec.name, slot * 8)
        if target not in self.placed:
            start = len(self.out)
            self.placed[target] = start
            self.out.extend(self._code(callee))
            self.subprogs.append(LinkedFunc(callee.name, callee.sec.name, callee.start * 8, start,
                                            callee.count))
            self._reloc_code(callee, start)
        return self.placed[target]


def classify(path: str, sec: RawSection, insns: list[Insn], reloc: Relocation, sections,
             text: RawSection | None, map_lookup, data_index: dict[int, int]) -> CodeRel:
    """libbpf's record_reloc for one relocation in an executable section."""
    off, sym = reloc.offset, reloc.symbol
    if off % 8 or off >= sec.size:
        fail(path, f"relocation offset {off:#x} is outside the section's "
                   f"instructions (size {sec.size:#x})", sec.name, off)
    slot = off // 8
    ins = insns[slot]
    is_call, is_ld = ins.code == op.CALL_OP, ins.code == op.LD_IMM64
    if not (is_call or is_ld):
        fail(path, f"relocation {reloc.type_name} against '{sym.name}' at insn {slot} which is "
                   f"opcode {ins.code:#04x}, not LD_IMM64 or call", sec.name, off)
    want = R_BPF_64_32 if is_call else R_BPF_64_64
    if reloc.type != want:
        fail(path, f"relocation {reloc.type_name} at insn {slot} ({'call' if is_call else 'LD_IMM64'}); "
                   f"expected {R_BPF_NAMES[want]}", sec.name, off)
    name = sym.name or (sym.section or "")
    if sym.is_extern:
        return CodeRel("kfunc" if is_call else "ksym", sym.name, reloc, sym)
    if sym.shndx == 0 or sym.shndx >= SHN_LORESERVE:
        fail(path, f"relocation at insn {slot} against '{name}' in special section {sym.shndx:#x} "
                   "(uninitialized global?)", sec.name, off)
    if is_call:
        if text is None or sym.shndx != text.index:
            fail(path, f"call at insn {slot} relocated against '{name}' in section "
                       f"'{sym.section}', not .text", sec.name, off)
        if sym.value % 8:
            fail(path, f"call at insn {slot} relocated against '{name}' at unaligned offset "
                       f"{sym.value:#x}", sec.name, off)
        return CodeRel("subprog", name, reloc, sym)
    if text is not None and sym.shndx == text.index and (
            (sym.bind == "LOCAL" and sym.type == "SECTION") or (sym.bind == "GLOBAL" and sym.type == "FUNC")):
        if sym.value % 8 or ins.imm % 8:
            fail(path, f"callback address at insn {slot} against '{name}' is not slot aligned",
                 sec.name, off)
        return CodeRel("func_addr", name, reloc, sym)
    target_sec = sections[sym.shndx]
    if target_sec.name in (".maps", "maps"):
        found = map_lookup(target_sec.name, sym.value)
        if found is None:
            fail(path, f"map relocation at insn {slot}: no map at offset {sym.value:#x} of "
                       f"'{target_sec.name}'", sec.name, off)
        index, map_name = found
        return CodeRel("map", map_name, reloc, sym, index)
    if sym.shndx in data_index:
        return CodeRel("data", target_sec.name, reloc, sym, data_index[sym.shndx])
    fail(path, f"LD_IMM64 at insn {slot} relocated against '{name}' in section "
               f"'{target_sec.name}', which is not a map or data section", sec.name, off)
