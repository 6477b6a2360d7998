"""``python -m pipeline disasm FILE [--prog NAME] [--json]``: list linked programs.

FILE is a BPF ELF object, or C source (``*.c``), compiled first by the
toolchain.  Each program is printed the way libbpf would hand it to the
kernel — its own code followed by the subprograms it reaches — in
llvm-objdump's syntax (via :mod:`isa.disasm`), one ``<function>:`` block per
linked function, and each instruction that a relocation or call resolved
carries a ``; ...`` note naming what it refers to (helper, subprogram, map,
global, kfunc) with the ELF relocation it came from.

``--json`` prints ``{"file", "programs": [{"name", "section", "type", "autoload",
"insns": [{"idx", "bytes", "text", "func", ["reloc"]}], "subprograms": [...]}]}``.
"""

from __future__ import annotations

import json
import sys

from isa.disasm import disassemble
from isa.helper_names import helper_name

from ..cli_args import add_build_options, add_load_options, open_file, programs



def add_parser(subparsers):
    p = subparsers.add_parser("disasm", help="disassemble the linked programs of an object",
                              description="Disassemble each program of a BPF object, linked with "
                                          "its subprograms as libbpf does (llvm-objdump syntax).")
    p.add_argument("file", metavar="FILE", help="BPF ELF object, or C source to compile first")
    p.add_argument("--prog", metavar="NAME", help="only this program")
    add_build_options(p)
    add_load_options(p)
    return p


def run(args) -> int:
    path = str(args.file)
    obj = open_file(args)
    listings = [program_listing(p.elf, labels(obj.elf, p.elf)) for p in programs(obj, args.prog)]
    if args.json:
        print(json.dumps({"file": path, "programs": listings}))
    else:
        sys.stdout.write(render_text(path, listings))
    return 0


def labels(elf, prog) -> list[tuple[str, int]]:
    """Local labels inside the linked functions (``l0_%=:`` in inline asm becomes a local
    NOTYPE symbol ``l0_0``), as (name, linked slot): llvm-objdump names jump targets by them."""
    out = []
    for f in prog.functions:
        lo, hi = f.sec_offset, f.sec_offset + 8 * f.length
        for s in elf.symbols:
            if (s.section == f.section and s.type == "NOTYPE" and s.bind == "LOCAL" and s.name
                    and lo <= s.value < hi and s.value % 8 == 0):
                out.append((s.name, f.start + (s.value - lo) // 8))
    return sorted(out, key=lambda x: x[1])


def program_listing(prog, local_labels=()) -> dict:
    """The JSON form of one linked program (also what the text form is printed from)."""
    funcs = prog.functions
    func_at = {}
    for f in funcs:
        for k in range(f.length):
            func_at[f.start + k] = f.name
    relocs = {r.insn: r for r in prog.relocs}
    symbols = [(f.name, f.start * 8) for f in funcs] + [(n, i * 8) for n, i in local_labels]
    insns = []
    for line in disassemble(prog.insns, "llvm", strict=False, symbols=symbols):
        entry = {"idx": line.index, "bytes": line.raw.hex(), "text": line.text,
                 "func": func_at.get(line.index)}
        r = relocs.get(line.index)
        if r is not None:
            entry["reloc"] = _reloc_json(r)
        insns.append(entry)
    return {
        "name": prog.name, "section": prog.section, "type": prog.type, "sec_def": prog.sec_def,
        "attach": prog.attach, "autoload": prog.autoload, "insn_count": len(prog.insns),
        "insns": insns,
        "labels": [{"name": n, "idx": i} for n, i in local_labels],
        "subprograms": [{"name": f.name, "section": f.section, "sec_offset": f.sec_offset,
                         "start": f.start, "length": f.length} for f in prog.subprograms],
    }


def _reloc_json(r) -> dict:
    out = {"kind": r.kind, "name": r.name}
    if r.kind == "helper":
        out["name"] = helper_name(r.helper_id) or r.name
        out["helper_id"] = r.helper_id
    if r.target is not None:
        out["target"] = r.target
    if r.map_index is not None:
        out["map_index"] = r.map_index
    if r.kind in ("data", "core"):
        out["offset"] = r.offset
    if r.reloc is not None:
        out["elf"] = {"type": r.reloc.type_name, "symbol": r.reloc.symbol.name or r.reloc.symbol.section,
                      "section": r.reloc.section, "offset": r.reloc.offset}
    return out


def _note(rel: dict) -> str:
    kind, name = rel["kind"], rel["name"]
    if kind == "helper":
        text = f"helper {name}#{rel['helper_id']}"
    elif kind == "data":
        text = f"{name}+{rel['offset']:#x} (map #{rel['map_index']})"
    elif kind == "map":
        text = f"map {name} (map #{rel['map_index']})"
    elif kind == "core":
        text = name
    elif kind in ("subprog", "func_addr"):
        text = f"{'call' if kind == 'subprog' else 'callback'} {name} at {rel['target']}"
    else:
        text = f"{kind} {name}"
    elf = rel.get("elf")
    if elf:
        text += f" [{elf['type']} {elf['symbol']} @ {elf['section']}+{elf['offset']:#x}]"
    return text


def render_text(path: str, listings: list[dict]) -> str:
    out = [f"{path}:\tfile format elf64-bpf", ""]
    for prog in listings:
        auto = "" if prog["autoload"] else ", autoload off"
        out.append(f"Program {prog['name']} (section {prog['section']}, type {prog['type'] or 'unknown'}"
                   f"{auto}, {prog['insn_count']} insns):")
        starts = {0: (prog["name"], prog["section"], 0)}
        starts.update({s["start"]: (s["name"], s["section"], s["sec_offset"]) for s in prog["subprograms"]})
        label_at = {}
        for lab in prog.get("labels", ()):
            label_at.setdefault(lab["idx"], []).append(lab["name"])
        for entry in prog["insns"]:
            idx = entry["idx"]
            if idx in starts:
                name, sec, off = starts[idx]
                out += ["", f"{idx * 8:016x} <{name}>:" + (f"\t; {sec}+{off:#x}" if idx else "")]
            for name in label_at.get(idx, ()):
                out += ["", f"{idx * 8:016x} <{name}>:"]
            raw = bytes.fromhex(entry["bytes"])
            line = f"{idx:8d}:\t{raw.hex(' ')}\t{entry['text']}"
            if "reloc" in entry:
                line += f"\t; {_note(entry['reloc'])}"
            out.append(line)
        out.append("")
    return "\n".join(out)
