"""Comparing register states with the live kernel's level-2 verifier log: the raw
instructions a test loads with BPF_PROG_LOAD, and one register's text from a log line."""

from __future__ import annotations

import re
import struct

M32 = (1 << 32) - 1


def raw_insn(code: int, dst: int = 0, src: int = 0, off: int = 0, imm: int = 0) -> bytes:
    """One 8-byte instruction as the kernel reads it (struct bpf_insn, little endian)."""
    return struct.pack("<BBhI", code, (src << 4) | dst, off, imm & M32)


def reg_text(line: str, regno: int) -> str | None:
    """``R<n>=...`` from a log line, ids and linked-register deltas removed
    (register identity is not part of the scalar domain)."""
    m = re.search(r"(?:^| )R%d(?:_w)?=" % regno, line)
    if not m:
        return None
    i = j = m.end()
    depth = 0
    while j < len(line):
        c = line[j]
        if c == "(":
            depth += 1
        elif c == ")":
            depth -= 1
            if depth == 0:
                j += 1
                break
        elif c == " " and depth == 0:
            break
        j += 1
    t = re.sub(r"id=\d+([+-]\d+)?,?", "", line[i:j])
    return t.replace("scalar(,", "scalar(").replace(",)", ")")
