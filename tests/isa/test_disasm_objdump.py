"""isa.disasm llvm style vs the real ``llvm-objdump-22 -d``: section listings must be identical.

Three sources of code, all disassembled by both sides from the same object file:

* the C corpus in tests/data/disasm (one test per file; a ``// flags:`` line adds clang
  flags such as ``-mcpu=v4``), compiled with clang-22;
* every valid instruction form of tests/support/forms.py with varied operands (registers, r11
  memory bases, boundary offsets and immediates), emitted as raw bytes into an assembler
  file — strict mode must accept all of them and print objdump's text;
* seeded random bytes (valid and invalid, zero runs, truncated tails, symbols in odd
  places) in lenient mode, where ``<unknown>``, ``...`` and the byte-wise tail must match.

Both sides read each executable section straight from the ELF with pyelftools (the
project's loader is not involved).  Only the file header line is dropped: symbol headers,
blank lines and jump labels are compared as printed.
"""

from __future__ import annotations

import difflib
import importlib.util
import random
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest
from elftools.elf.elffile import ELFFile

from isa import Insn, IsaError, decode
from isa import opcodes as op
from isa.disasm import SymbolTable, disassemble, format_insn, render_objdump

_TESTS = str(Path(__file__).resolve().parents[1])   # tests/, appended: see tests/support
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
from support.forms import all_forms, instances  # noqa: E402

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "disasm"
SOURCES = sorted(DATA.glob("*.c"))


def _load_compile_bpf():
    # tests/conftest.py is not importable by name under --import-mode=importlib
    spec = importlib.util.spec_from_file_location("_top_conftest_disasm",
                                                  HERE.parent / "conftest.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod.compile_bpf


compile_bpf = _load_compile_bpf()


# --- both sides of the comparison ------------------------------------------------------
def objdump_sections(objdump: str, obj: Path) -> dict[str, str]:
    out = subprocess.run([objdump, "-d", str(obj)], capture_output=True, text=True,
                         check=True).stdout
    blocks = re.split(r"\n(?=Disassembly of section )", out)
    sections = {}
    for block in blocks[1:]:
        name = re.match(r"Disassembly of section (.*):\n", block).group(1)
        sections[name] = block.rstrip("\n") + "\n"
    return sections


def elf_code_sections(obj: Path) -> list[tuple[str, bytes, list[tuple[str, int]]]]:
    """(name, bytes, symbols) of each non-empty executable section, symbols as objdump
    uses them for headers and labels: named, defined in the section, not SECTION/FILE."""
    with open(obj, "rb") as f:
        elf = ELFFile(f)
        symtab = elf.get_section_by_name(".symtab")
        out = []
        for idx, sec in enumerate(elf.iter_sections()):
            if sec["sh_type"] != "SHT_PROGBITS" or not sec["sh_flags"] & 0x4 or not sec.data_size:
                continue
            syms = [(s.name, s["st_value"]) for s in symtab.iter_symbols()
                    if s["st_shndx"] == idx and s.name
                    and s["st_info"]["type"] not in ("STT_SECTION", "STT_FILE")]
            out.append((sec.name, sec.data(), syms))
        return out


def ours(obj: Path, strict: bool) -> dict[str, str]:
    return {name: render_objdump(data, section=name, symbols=syms, strict=strict)
            for name, data, syms in elf_code_sections(obj)}


def assert_same(mine: dict[str, str], theirs: dict[str, str], what: str):
    assert mine.keys() == theirs.keys(), f"{what}: sections differ"
    for name in theirs:
        if mine[name] != theirs[name]:
            diff = "\n".join(difflib.unified_diff(
                theirs[name].splitlines(), mine[name].splitlines(), "llvm-objdump-22",
                "isa.disasm", lineterm="", n=2))
            pytest.fail(f"{what}, section {name}:\n{diff[:6000]}")


def assemble_bytes(clang: str, tmp: Path,
                   sections: list[tuple[str, bytes, dict[int, str]]]) -> Path:
    """An object whose sections hold exactly the given bytes, labels at the given offsets."""
    lines = []
    for name, data, labels in sections:
        lines.append(f'.section {name},"ax",@progbits')
        for pos in range(0, len(data) + 1):
            if pos in labels:
                lines.append(f"{labels[pos]}:")
            if pos < len(data) and (pos % 8 == 0 or pos == len(data) - len(data) % 8):
                chunk = data[pos:pos + 8] if pos % 8 == 0 else data[pos:]
                lines.append(".byte " + ",".join(str(b) for b in chunk))
    src, obj = tmp / "raw.s", tmp / "raw.o"
    src.write_text("\n".join(lines) + "\n")
    subprocess.run([clang, "--target=bpf", "-c", str(src), "-o", str(obj)], check=True,
                   capture_output=True, text=True)
    return obj


# --- the C corpus ----------------------------------------------------------------------
def clang_flags(src: Path) -> list[str]:
    m = re.search(r"^// flags: (.*)$", src.read_text(), re.M)
    return m.group(1).split() if m else []


def test_corpus_is_large_enough():
    assert len(SOURCES) >= 30


@pytest.mark.parametrize("src", SOURCES, ids=[s.stem for s in SOURCES])
def test_c_file_matches_objdump(src: Path, clang22, objdump22, tmp_path):
    obj = compile_bpf(clang22, src, tmp_path / f"{src.stem}.o", *clang_flags(src))
    assert_same(ours(obj, strict=True), objdump_sections(objdump22, obj), src.name)
    # the Line API agrees with the renderer, line for line
    for name, data, syms in elf_code_sections(obj):
        listing = [ln.split("\t") for ln in render_objdump(data, section=name, symbols=syms)
                   .splitlines() if re.match(r" +\d+:\t", ln)]
        lines = disassemble(decode(data), symbols=syms, section=name)
        assert [(f"{ln.index:8d}:", ln.raw.hex(" "), ln.text) for ln in lines] == \
               [(a, b, "\t".join(rest)) for a, b, *rest in listing]


def test_corpus_exercises_the_interesting_forms(clang22, tmp_path):
    """The corpus must keep covering what it was written for (a guard against edits)."""
    texts = []
    for src in SOURCES:
        obj = compile_bpf(clang22, src, tmp_path / f"{src.stem}.o", *clang_flags(src))
        texts += [render_objdump(d, section=n, symbols=s) for n, d, s in elf_code_sections(obj)]
    corpus = "".join(texts)
    for needle in ("*(u64 *)(r11 - 0x8) = r1", "r1 = *(u64 *)(r11 + 0x8)",
                   "*(u64 *)(r11 - 0x10) = 0x5", "*(u64 *)(r11 - 0x8) = 0x10", " s> 0x5 goto +",
                   "call 0x1", " ll", "w0 = ", "lock *(u64 *)", "atomic_fetch_add", "xchg_64",
                   "cmpxchg32_32", "load_acquire((u8 *)", "store_release((u64 *)", "= (s8)",
                   "= (s32)r", "*(s16 *)", "s/= ", "s%= ", "bswap64", "be32", "may_goto +",
                   "gotol +", "addr_space_cast(", "skb[0xe]", "skb[r", "call -0x1",
                   "= -r", " & 0x", "if w"):
        assert needle in corpus, needle


# --- every valid form ------------------------------------------------------------------
FORMS = all_forms()


def test_every_valid_form_matches_objdump(clang22, objdump22, tmp_path):
    sections = []
    for k, form in enumerate(FORMS):
        data = b"".join(insn.encode() for prog in instances(form, count=16) for insn in prog)
        sections.append((f"f{k}", data, {0: f"form{k}"}))
    obj = assemble_bytes(clang22, tmp_path, sections)
    mine = ours(obj, strict=True)  # strict: every valid form has objdump text
    theirs = objdump_sections(objdump22, obj)
    assert "<unknown>" not in "".join(theirs.values())
    assert_same(mine, theirs, "valid forms")


# --- random bytes, lenient ---------------------------------------------------------------
_OFFS = (0, 0, 0, 1, 8, 16, 32, -1, 2, -8, 0x7FFF, -0x8000)
_IMMS = (0, 0, 1, 16, 32, 64, 8, 0x100, 0x110, 0x101, 0x111, 0x41, 0x51, 0xA1, 0xE1, 0xF1, 0x40,
         0x50, 0xA0, 0xE0, 0x10001, 0x200, -1, 0x7FFFFFFF, -0x80000000)
_CODES = sorted({f.code for f in FORMS} | {0x0D, 0x06, 0xE5})


def random_section(rng: random.Random) -> tuple[bytes, dict[int, str]]:
    def reg() -> int:
        return rng.randrange(16) if rng.random() < 0.15 else rng.randrange(12)

    slots = []
    for _ in range(rng.randint(1, 200)):
        if rng.random() < 0.05:
            slots.append(bytes(8))
            continue
        code = rng.randrange(256) if rng.random() < 0.3 else rng.choice(_CODES)
        off = rng.choice(_OFFS) if rng.random() < 0.7 else rng.randint(-0x8000, 0x7FFF)
        imm = rng.choice(_IMMS) if rng.random() < 0.6 else rng.randint(-(1 << 31), (1 << 31) - 1)
        slots.append(struct.pack("<BBhi", code, reg() << 4 | reg(), off, imm))
    data = b"".join(slots)
    if rng.random() < 0.3:
        data += rng.randbytes(rng.randint(1, 7))
    labels = {8 * rng.randrange(len(data) // 8 + 1): f"l{j}" for j in range(rng.randint(0, 4))}
    return data, labels


@pytest.mark.parametrize("seed", range(6))
def test_random_bytes_match_objdump(seed: int, clang22, objdump22, tmp_path):
    rng = random.Random(seed)
    sections = []
    for k in range(40):
        data, labels = random_section(rng)
        sections.append((f"r{k}", data, {pos: f"r{k}_{name}" for pos, name in labels.items()}))
    obj = assemble_bytes(clang22, tmp_path, sections)
    assert_same(ours(obj, strict=False), objdump_sections(objdump22, obj), f"seed {seed}")


# --- strict and lenient behaviour -------------------------------------------------------
def test_strict_mode_names_the_slot():
    prog = [Insn(op.ALU64 | op.MOV | op.K, 0, 0, 0, 0), Insn(0x07, 1, 0, 5, 1), Insn(op.EXIT_OP)]
    with pytest.raises(IsaError) as err:  # ALU off is reserved: objdump prints <unknown>
        disassemble(prog)
    assert err.value.index == 1 and "insn 1" in str(err.value)
    assert [ln.text for ln in disassemble(prog, strict=False)] == \
           ["r0 = 0x0", "<unknown>", "exit"]
    bad = [Insn(op.EXIT_OP), Insn(0xFF, 1, 2, 0, 0)]
    with pytest.raises(IsaError) as err:
        format_insn(bad, 1)
    assert err.value.index == 1
    with pytest.raises(IsaError) as err:  # LD_IMM64 without its second half
        disassemble([Insn(op.EXIT_OP), Insn(op.LD_IMM64, 1, 0, 0, 7)])
    assert err.value.index == 1
    with pytest.raises(IsaError):
        render_objdump(b"\x95" + bytes(7) + b"\x07\x01", strict=True)


def test_lenient_mode_prints_what_objdump_prints_for_non_isa_encodings():
    gotox = [Insn(0x0D, 3, 0, 0, 0)]  # LLVM 22's indirect jump; not in the ISA table
    assert format_insn(gotox, 0, strict=False) == "gotox r3"
    with pytest.raises(IsaError):
        format_insn(gotox, 0)


def test_labels_follow_objdump_symbol_choice():
    table = SymbolTable([("b", 16), ("a", 16), ("f", 0)], section=".text")
    assert table.label(16) == "<b>"          # same address: the last name in sort order
    assert table.label(24) == "<b+0x8>"
    assert table.label(-8) == "<b+0xffffffffffffffe8>"  # wraps, as objdump prints it
    assert SymbolTable([("g", 8)], section="sec").label(0) == "<sec>"
    prog = [Insn(op.JMP | op.JA, 0, 0, 1, 0), Insn(op.EXIT_OP), Insn(op.EXIT_OP)]
    assert format_insn(prog, 0) == "goto +0x1"
    assert format_insn(prog, 0, section=".text") == "goto +0x1 <.text+0x10>"
    assert format_insn(prog, 0, symbols={"main": 0, "tail": 16}) == "goto +0x1 <tail>"
