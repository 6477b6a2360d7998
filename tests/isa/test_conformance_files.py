"""isa.conformance: every bpf_conformance `.data` file parses and assembles; format rules.

Expected values come from the files themselves (their raw sections, their
result lines) and from the format description in
``reference/conformance_format.md``, not from our own output.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from isa.asm import AsmError, assemble_lines
from isa.conformance import ConformanceError, parse_file, parse_text
from isa.insn import IsaError, check_program, encode

CONFORMANCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
DATA_FILES = sorted(CONFORMANCE_DIR.glob("*.data"))


def test_corpus_is_present():
    assert len(DATA_FILES) == 313


@pytest.mark.parametrize("path", DATA_FILES, ids=lambda p: p.stem)
def test_file_parses_and_assembles(path: Path):
    t = parse_file(path)
    assert t.runnable, t.skip_reason
    assert t.insns, "no instructions"
    check_program(t.insns)  # every slot is a real instruction, lddw pairs intact
    assert (t.result is None) != (t.error is None)
    # The result line, read independently of the parser: last non-empty line after
    # "-- result" with comments removed.
    text = path.read_text()
    after = text.split("-- result", 1)[1].split("\n--", 1)[0]
    vals = [ln.split("#")[0].strip() for ln in after.splitlines() if ln.split("#")[0].strip()]
    assert t.result == int(vals[-1], 16 if "0x" in vals[-1] else 10)
    # mem: as many bytes as hex pairs in the section.
    if "-- mem" in text:
        sec = text.split("-- mem", 1)[1].split("\n--", 1)[0]
        assert len(t.mem) == len(re.findall(r"\b[0-9a-fA-F]{2}\b", sec))
        assert t.mem[:1] == bytes.fromhex(sec.split()[0])
    else:
        assert t.mem == b""


RAW_FILES = [p for p in DATA_FILES if "-- raw" in p.read_text()]


def test_raw_files_exist():
    assert RAW_FILES, "the corpus has at least one -- raw file (lddw.data)"


@pytest.mark.parametrize("path", RAW_FILES, ids=lambda p: p.stem)
def test_raw_equals_asm(path: Path):
    t = parse_file(path)
    assert t.raw is not None
    raw_bytes = b"".join(v.to_bytes(8, "little") for v in t.raw)
    assert encode(t.insns) == raw_bytes          # raw takes precedence over asm
    assert t.asm_lines, "this file also has an asm section"
    assert encode(assemble_lines(t.asm_lines, str(path))) == raw_bytes


def test_lddw_raw_numbers():
    # The file's raw slots written out by hand: 0x5566778800000018 is code 0x18, dst 0,
    # imm 0x55667788; the second slot carries 0x11223344.
    t = parse_file(CONFORMANCE_DIR / "lddw.data")
    assert encode(t.insns).hex() == "1800000088776655" "0000000044332211" "9500000000000000"


# --- format rules on synthetic files ---------------------------------------------
def test_comments_cr_and_substring_keywords():
    t = parse_text("# header\r\n---- my asm section ----\r\nmov %r0, 5 # five\r\nexit\r\n"
                   "-- expected result\r\n0x5\r\n", "x.data")
    assert t.result == 5 and len(t.insns) == 2 and t.runnable
    assert t.asm == "mov %r0, 5\nexit"


def test_decimal_result_and_last_line_wins():
    t = parse_text("-- asm\nexit\n-- result\n7\n18446744073709551615\n", "x.data")
    assert t.result == 2**64 - 1


def test_mem_spans_lines_and_raw_beats_asm():
    t = parse_text("-- asm\nmov %r0, 1\nexit\n-- mem\n01 02\n  ff\n"
                   "-- raw\n0x95\n-- result\n0x0\n", "x.data")
    assert t.mem == b"\x01\x02\xff"
    assert encode(t.insns) == bytes.fromhex("9500000000000000")


def test_error_section_and_ignored_sections():
    t = parse_text("-- asm\nexit\n-- c\nint x;\n-- no register offset\ncall\n"
                   "-- error\nFailed to load  \n", "x.data")
    assert t.error == "Failed to load" and t.result is None and t.runnable


def test_unknown_section_skips_and_missing_result_skips():
    t = parse_text("-- asm\nexit\n-- frobnicate\n-- result\n0x1\n", "x.data")
    assert not t.runnable and "frobnicate" in t.skip_reason
    t = parse_text("-- asm\nexit\n", "x.data")
    assert not t.runnable and "no result" in t.skip_reason


def test_hash_in_c_section_is_a_comment():
    # "#include" lines vanish; a C line containing "--" would open a section, as upstream.
    t = parse_text("-- c\n#include <x.h>\nint f(void);\n-- asm\nexit\n-- result\n1\n", "x.data")
    assert t.runnable and t.result == 1


@pytest.mark.parametrize("text, where, what", [
    ("-- asm\nexit\n-- result\nzz\n", "x.data:4", "invalid number"),
    ("-- asm\nexit\n-- mem\n01 0g\n-- result\n1\n", "x.data:4", "invalid mem byte"),
    ("-- asm\nexit\n-- mem\n100\n-- result\n1\n", "x.data:4", "not a byte"),
    ("-- raw\n0x1ffffffffffffffff\n-- result\n1\n", "x.data:2", "64-bit"),
    ("-- asm\n\nmov %r0, 99999999999\nexit\n-- result\n1\n", "x.data:3", "out of 32-bit range"),
])
def test_bad_files_give_one_line_errors(text, where, what):
    with pytest.raises(IsaError) as ei:
        parse_text(text, "x.data")
    assert isinstance(ei.value, (ConformanceError, AsmError))
    msg = str(ei.value)
    assert msg.startswith(where + ":") and what in msg and "\n" not in msg


def test_unreadable_file(tmp_path):
    with pytest.raises(ConformanceError, match="cannot read"):
        parse_file(tmp_path / "missing.data")
