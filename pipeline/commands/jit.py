"""``python -m pipeline jit FILE [--prog NAME] [--no-verify] [--json]``: x86-64 of each program.

Each program is verified and JIT-compiled by :func:`pipeline.jit` exactly as
:func:`pipeline.run` does (the kernel JITs only what it verified, with the verifier's
per-function facts), so the listing is the image ``run`` executes.  Every function gets a
header with its native frame (BPF stack, pushed callee-saved registers, the outgoing
stack-argument area, total frame size), then its prologue, then for each BPF instruction the
llvm-objdump line followed by the x86-64 it became, then the epilogue.  Calls and addresses
still to be bound at load time are noted (``; helper bpf_map_lookup_elem#1``, ``; kfunc
bpf_kfunc_call_stack_arg``, ``; map_value .data+0x8``); they show as 0 in the bytes, as in
an object file.  ``--no-verify`` JITs a program without verifying it (function facts from
BTF, the 512-byte stack maximum).

``--json``: ``{"file", "programs": [{"name", "code_size", "passes", "code", "funcs":
[{"name", "start", "end", "offset", "size", "frame_size", "stack_size", "pushed",
"out_slots", "out_area", "stack_arg_cnt"}], "lines": [{"kind": "bpf"|"x86"|"func", ...}]}]}``
(``code``: the image bytes as hex).
"""

from __future__ import annotations

import json
import sys

from ..cli_args import (add_build_options, add_kmod_option, add_load_options, kernel_arg,
                        open_file, programs)


def add_parser(subparsers):
    p = subparsers.add_parser("jit", help="show the x86-64 code of each program",
                              description="JIT each program of a BPF object (or C source) to "
                                          "x86-64 and print it with the BPF interleaved.")
    p.add_argument("file", metavar="FILE", help="BPF ELF object, or C source to compile first")
    p.add_argument("--prog", metavar="NAME", help="only this program")
    p.add_argument("--no-verify", action="store_true",
                   help="JIT without verifying (facts from BTF; the kernel never does this)")
    add_build_options(p)
    add_load_options(p)
    add_kmod_option(p)
    return p


# --- the listing ----------------------------------------------------------------------------

def _target_note(r, obj, kernel_names: dict[int, str]) -> str:
    from isa.helper_names import helper_name
    t = r.target
    if t.kind == "helper":
        return f"helper {helper_name(t.ident) or 'unknown'}#{t.ident}"
    if t.kind == "kfunc":
        return f"kfunc {kernel_names.get(r.insn, t.ident)}"
    if t.kind in ("map", "map_value"):
        table = obj.elf.map_table
        name = table[t.ident].name if 0 <= t.ident < len(table) else f"#{t.ident}"
        return f"map {name}" if t.kind == "map" else f"{name}+{t.addend:#x}"
    if t.kind == "func":
        return f"callback at BPF slot {t.ident}"
    return t.describe()


def program_listing(obj, prog, image) -> dict:
    import capstone

    from isa.disasm import disassemble

    names = {r.insn: r.name for r in prog.elf.relocs if r.kind == "kfunc"}
    notes = {r.offset - (2 if r.kind == "abs64" else 1): _target_note(r, obj, names)
             for r in image.relocs}
    md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
    decoded = {i.address: i for i in md.disasm(image.code, 0)}
    bpf = {line.index: line.text for line in disassemble(
        prog.insns, "llvm", strict=False, symbols=[(f.name, f.start * 8) for f in prog.functions])}
    lines = []

    def x86(lo: int, hi: int) -> None:
        addr = lo
        while addr < hi:
            ins = decoded.get(addr)
            if ins is None:     # capstone lost sync: show the byte and move on
                lines.append({"kind": "x86", "offset": addr, "bytes": image.code[addr:addr + 1].hex(),
                              "text": "(bad)"})
                addr += 1
                continue
            entry = {"kind": "x86", "offset": addr, "bytes": bytes(ins.bytes).hex(),
                     "text": f"{ins.mnemonic} {ins.op_str}".strip()}
            note = next((n for o, n in notes.items() if addr <= o < addr + ins.size), None)
            if note:
                entry["note"] = note
            lines.append(entry)
            addr += ins.size

    funcs = []
    for f in image.funcs:
        funcs.append({"name": f.name, "start": f.start, "end": f.end, "offset": f.offset,
                      "size": f.size, "frame_size": f.frame_size, "stack_size": f.stack_size,
                      "pushed": [_reg_name(r) for r in f.pushed], "out_slots": f.out_slots,
                      "out_area": f.out_area, "stack_arg_cnt": f.stack_arg_cnt})
        lines.append({"kind": "func", **funcs[-1]})
        x86(f.offset, f.body_offset)
        slots = [i for i in range(f.start, f.end) if image.insn_offsets[i] >= 0]
        for n, i in enumerate(slots):
            lo = image.insn_offsets[i]
            hi = image.insn_offsets[slots[n + 1]] if n + 1 < len(slots) else f.epilogue_offset
            lines.append({"kind": "bpf", "idx": i, "text": bpf.get(i, "?")})
            x86(lo, hi)
        lines.append({"kind": "epilogue", "name": f.name})
        x86(f.epilogue_offset, f.offset + f.size)
    return {"name": prog.name, "section": prog.section, "type": prog.type,
            "code_size": len(image.code), "passes": image.passes, "code": image.code.hex(),
            "funcs": funcs, "lines": lines}


def _reg_name(r: int) -> str:
    from jit.x86_encode import REG_NAMES
    return REG_NAMES[r]


def render_text(path: str, listings: list[dict]) -> str:
    out = [f"{path}:\tx86-64 (BPF JIT, kernel register map)", ""]
    for prog in listings:
        out.append(f"Program {prog['name']} (section {prog['section']}, type "
                   f"{prog['type'] or 'unknown'}, {prog['code_size']} bytes):")
        for line in prog["lines"]:
            kind = line["kind"]
            if kind == "func":
                stack_args = ("?" if line["stack_arg_cnt"] is None else line["stack_arg_cnt"])
                out += ["", f"{line['offset']:08x} <{line['name']}>:\t; BPF slots "
                            f"{line['start']}..{line['end'] - 1}, frame {line['frame_size']} "
                            f"(stack {line['stack_size']}, saved {','.join(line['pushed']) or '-'}"
                            f", outgoing {line['out_area']}), stack args in {stack_args} "
                            f"out {line['out_slots']}"]
            elif kind == "bpf":
                out.append(f"  ; {line['idx']:>4}: {line['text']}")
            elif kind == "epilogue":
                out.append("  ; epilogue")
            else:
                note = f"\t; {line['note']}" if "note" in line else ""
                out.append(f"    {line['offset']:6x}:  {line['bytes']:<24} {line['text']}{note}")
        out.append("")
    return "\n".join(out)


def run(args) -> int:
    from ..api import jit

    obj = open_file(args)
    kernel = kernel_arg(args)
    listings = [program_listing(obj, p, jit(obj, p, verified=not args.no_verify, kernel=kernel))
                for p in programs(obj, args.prog)]
    if args.json:
        print(json.dumps({"file": str(args.file), "programs": listings}))
    else:
        sys.stdout.write(render_text(str(args.file), listings))
    return 0
