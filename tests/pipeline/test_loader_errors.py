"""Malformed objects: each defect gives one ObjectError naming the file, section and offset.

The defects are made by patching a clang-22 object (globals.c: .text holds the
global subprogram ``bump``, section ``socket`` the program ``use_globals`` whose
slot 2 is a call relocated against ``bump``); where to patch comes from
llvm-readelf-22's JSON (section offsets/sizes) and the ELF header, not from
our loader.
"""

from __future__ import annotations

import json
import platform
import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from pipeline.loader import ObjectError, load, load_bytes

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "loader"
NAME = "bad.o"


@pytest.fixture(scope="module")
def base(clang22, tmp_path_factory):
    out = tmp_path_factory.mktemp("loader_err") / "globals.o"
    subprocess.run([clang22, "--target=bpf", "-g", "-O2",
                    f"-I/usr/include/{platform.machine()}-linux-gnu", "-c",
                    str(DATA / "globals.c"), "-o", str(out)], check=True, capture_output=True)
    tool = shutil.which("llvm-readelf-22")
    if not tool:
        pytest.skip("llvm-readelf-22 not installed")
    js = json.loads(subprocess.run([tool, "--elf-output-style=JSON", "-S", str(out)],
                                   check=True, capture_output=True, text=True).stdout)[0]
    secs = {s["Section"]["Name"]["Name"]: s["Section"] for s in js["Sections"]}
    syms = json.loads(subprocess.run([tool, "--elf-output-style=JSON", "-s", str(out)],
                                     check=True, capture_output=True, text=True).stdout)[0]["Symbols"]
    data = out.read_bytes()
    shoff = struct.unpack_from("<Q", data, 0x28)[0]
    return data, secs, shoff, [s["Symbol"]["Name"]["Name"] for s in syms]


def error_of(data: bytes, *needles: str) -> ObjectError:
    with pytest.raises(ObjectError) as info:
        load_bytes(bytes(data), NAME)
    err = info.value
    msg = str(err)
    assert "\n" not in msg and msg.startswith(NAME + ":"), msg
    for needle in needles:
        assert needle in msg, (needle, msg)
    assert err.location and err.location.startswith(NAME)
    return err


def shdr(base, name: str, field: str) -> int:
    """File offset of a field of section ``name``'s header (Elf64_Shdr layout)."""
    data, secs, shoff, _ = base
    fields = {"type": 4, "flags": 8, "offset": 24, "size": 32, "link": 40, "info": 44, "entsize": 56}
    return shoff + secs[name]["Index"] * 64 + fields[field]


def patched(data: bytes, pos: int, fmt: str, value: int) -> bytearray:
    out = bytearray(data)
    struct.pack_into(fmt, out, pos, value)
    return out


def test_base_object_loads(base):
    obj = load_bytes(base[0], NAME)
    assert [p.name for p in obj.programs] == ["use_globals"]


def test_not_elf():
    error_of(b"", "not an ELF file")
    error_of(b"int main(void) { return 0; }\n", "not an ELF file")


def test_truncated(base):
    data = base[0]
    error_of(data[:40], "truncated ELF header")
    error_of(data[: len(data) // 2], "section header table", "past end of file")
    # cut inside the section table: the header still points past the end
    error_of(data[:-10], "past end of file")


def test_wrong_machine_class_endianness(base):
    data = base[0]
    error_of(patched(data, 18, "<H", 62), "e_machine is 62", "EM_BPF")
    error_of(patched(data, 4, "B", 1), "ELFCLASS32")
    error_of(patched(data, 5, "B", 2), "big-endian")


def test_missing_symbol_table(base):
    error_of(patched(base[0], shdr(base, ".symtab", "type"), "<I", 1), "no symbol table")


def test_section_past_end_of_file(base):
    error_of(patched(base[0], shdr(base, "socket", "size"), "<Q", 1 << 40),
             "section 'socket'", "runs past end of file")


def test_overlapping_sections(base):
    data, secs = base[0], base[1]
    pos = shdr(base, "socket", "offset")
    err = error_of(patched(data, pos, "<Q", secs[".text"]["Offset"] + 8), "overlaps", "'.text'",
                   "section 'socket'")
    assert "offset 0x8" in str(err)


def test_relocation_section_targets_missing_section(base):
    error_of(patched(base[0], shdr(base, ".relsocket", "info"), "<I", 999),
             "section '.relsocket'", "section index 999")


def rel_entry(base, sec: str, i: int) -> int:
    return base[1][sec]["Offset"] + 16 * i


def test_relocation_outside_section(base):
    err = error_of(patched(base[0], rel_entry(base, ".relsocket", 0), "<Q", 0x1000),
                   "section 'socket'", "0x1000", "outside")
    assert err.location == f"{NAME}:socket+0x1000"


def test_relocation_on_wrong_instruction(base):
    # slot 0 of socket is `w1 = *(u32 *)(r1 + 0x0)` (llvm-objdump), neither call nor LD_IMM64
    error_of(patched(base[0], rel_entry(base, ".relsocket", 0), "<Q", 0), "section 'socket' offset 0x0",
             "opcode 0x61", "not LD_IMM64 or call")


def test_relocation_symbol_out_of_range(base):
    data = base[0]
    pos = rel_entry(base, ".relsocket", 0) + 8
    info = struct.unpack_from("<Q", data, pos)[0]
    error_of(patched(data, pos, "<Q", (0xFFFF << 32) | (info & 0xFFFFFFFF)),
             "section '.relsocket'", "symbol index 65535", "out of range")


def test_relocation_type_mismatch(base):
    data = base[0]
    pos = rel_entry(base, ".relsocket", 0) + 8
    info = struct.unpack_from("<Q", data, pos)[0]
    error_of(patched(data, pos, "<Q", (info >> 32 << 32) | 2), "section 'socket' offset 0x10",
             "R_BPF_64_ABS64", "expected R_BPF_64_32")


def test_ld_imm64_without_second_half(base):
    data, secs = base[0], base[1]
    last = secs[".text"]["Offset"] + secs[".text"]["Size"] - 8   # the final `exit` of bump
    slot = (secs[".text"]["Size"] - 8) // 8
    error_of(patched(data, last, "B", 0x18), "section '.text'", f"offset {slot * 8:#x}",
             "no second half")


def test_unknown_opcode_is_the_verifiers_to_reject(tmp_path):
    # libbpf opens an object whatever its instructions hold; the kernel's verifier rejects
    # the one program (this kernel says "BPF_LDX uses reserved fields" for a lone 0xa1 insn)
    # and the other programs of the object still load
    import pipeline
    from elftools.elf.elffile import ELFFile
    obj = pipeline.build(ROOT / "examples" / "hello.c", output=tmp_path / "hello.bpf.o")
    data = bytearray((tmp_path / "hello.bpf.o").read_bytes())
    with open(tmp_path / "hello.bpf.o", "rb") as f:
        at = ELFFile(f).get_section_by_name("socket")["sh_offset"]
    data[at + 16] = 0xA1    # insn 2; class LDX with mode 0xa0, which no BPF load has
    obj = pipeline.Object(load_bytes(bytes(data), NAME))
    assert {p.section for p in obj.programs} == {"socket", "xdp"}
    v = pipeline.verify(obj, next(p.name for p in obj.programs if p.section == "socket"))
    assert not v.accepted and v.error_line == "BPF_LDX uses reserved fields"
    assert pipeline.verify(obj, next(p.name for p in obj.programs if p.section == "xdp")).accepted

def test_code_size_not_multiple_of_8(base):
    error_of(patched(base[0], shdr(base, "socket", "size"), "<Q", 0x1D), "section 'socket'",
             "not a multiple of 8")


def test_bad_symbol_table_entry_size(base):
    error_of(patched(base[0], shdr(base, ".symtab", "entsize"), "<Q", 7), "section '.symtab'",
             "entry size 7")


def test_bad_section_name_table_index(base):
    error_of(patched(base[0], 0x3E, "<H", 500), "section name table index 500")


def test_program_name_not_found(base, tmp_path):
    path = tmp_path / "ok.o"
    path.write_bytes(base[0])
    obj = load(path)
    with pytest.raises(ObjectError) as info:
        obj.program("no_such_prog")
    assert str(path) in str(info.value) and "no_such_prog" in str(info.value)
    assert "use_globals" in str(info.value)


def test_debug_section_of_unusual_type_is_ignored_like_libbpf(base, tmp_path):
    """A .debug_* section retyped SHT_HASH (linking no symbol table) is not a defect to
    libbpf, which skips debug sections by name: the object opens, with the same programs
    as the system libbpf's bpf_object__open finds (pyelftools, which the reader no longer
    uses for BPF objects, refused it)."""
    from tests.oracles import kernel
    ok, why = kernel.libbpf_available()
    if not ok:
        pytest.skip(why)
    bad = patched(base[0], shdr(base, ".debug_str", "type"), "<I", 5)  # SHT_HASH, sh_link 0
    path = tmp_path / NAME
    path.write_bytes(bytes(bad))
    want = [name for name, _ in kernel.object_programs(path)]
    assert want, "libbpf found no program"
    assert [p.name for p in load(path).programs] == want


def symbol_index(base, name: str) -> int:
    """Index of ``name`` in the symbol table, as llvm-readelf-22 lists it."""
    return base[3].index(name)


def test_static_program_outside_text(base):
    # st_info of use_globals: GLOBAL FUNC (0x12) -> LOCAL FUNC (0x02); libbpf rejects it too
    pos = base[1][".symtab"]["Offset"] + 24 * symbol_index(base, "use_globals") + 4
    error_of(patched(base[0], pos, "B", 0x02), "section 'socket'", "'use_globals' is static")


def test_call_relocated_outside_text(base):
    data = base[0]
    pos = rel_entry(base, ".relsocket", 0) + 8
    info = struct.unpack_from("<Q", data, pos)[0]
    lic = symbol_index(base, "LICENSE")
    error_of(patched(data, pos, "<Q", (lic << 32) | (info & 0xFFFFFFFF)),
             "section 'socket' offset 0x10", "'LICENSE'", "not .text")
