"""Reader for bpf_conformance ``.data`` test files.

The format is line based (see ``reference/conformance_format.md``).  This
module reads it the way the suite's runner does:

- a trailing CR is dropped and everything from the first ``#`` is a comment
  (so ``#include`` lines in a ``-- c`` section vanish too);
- a line containing ``--`` opens a section whose keyword is matched as a
  *substring*, in the runner's order: ``asm``, ``result``, ``mem``, ``raw``,
  ``no register offset`` and `` c`` (both ignored), ``error``; any other
  keyword means the runner would skip the whole test;
- ``result`` keeps the last non-empty line (hex if it contains ``0x``),
  ``error`` likewise; ``mem`` and ``raw`` accumulate over lines;
- ``raw`` (whitespace-separated little-endian u64 slots) replaces ``asm``.

:func:`parse_file` / :func:`parse_text` return a :class:`ConformanceTest`;
bad content raises :class:`ConformanceError` (an ``IsaError``) with the
file and line in its one-line message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .asm import assemble_lines
from .insn import Insn, IsaError

__all__ = ["ConformanceError", "ConformanceTest", "parse_file", "parse_text"]


class ConformanceError(IsaError):
    """A malformed ``.data`` file."""


@dataclass
class ConformanceTest:
    name: str
    path: str
    asm: str = ""                      # the asm section, comments stripped, one insn per line
    asm_lines: list[tuple[int, str]] = field(default_factory=list)  # (file line, text)
    raw: list[int] | None = None       # the raw section's u64 slots, if present
    mem: bytes = b""
    result: int | None = None          # expected full 64-bit r0
    error: str | None = None           # expected error text
    skip_reason: str | None = None     # why the suite's runner would skip this test
    insns: list[Insn] = field(default_factory=list)  # the program: raw if present, else asm

    @property
    def runnable(self) -> bool:
        return self.skip_reason is None


_ASM, _RESULT, _MEM, _RAW, _ERROR, _IGNORE = "asm", "result", "mem", "raw", "error", "ignore"


def _section_of(line: str) -> str | None:
    """Section for a ``--`` line, using the runner's substring order; None = unknown."""
    for key, state in (("asm", _ASM), ("result", _RESULT), ("mem", _MEM), ("raw", _RAW),
                       ("no register offset", _IGNORE), (" c", _IGNORE), ("error", _ERROR)):
        if key in line:
            return state
    return None


def _u64(tok: str, where: str, hex_: bool | None = None) -> int:
    if hex_ is None:
        hex_ = tok[:2].lower() == "0x"
    try:
        value = int(tok, 16 if hex_ else 10)
    except ValueError:
        raise ConformanceError(f"{where}: invalid number '{tok}'") from None
    if not 0 <= value < (1 << 64):
        raise ConformanceError(f"{where}: '{tok}' is not a 64-bit unsigned value")
    return value


def parse_text(text: str, name: str = "<data>", assemble: bool = True) -> ConformanceTest:
    """Parse the text of a ``.data`` file; ``name`` is used in messages."""
    test = ConformanceTest(name=Path(name).stem, path=name)
    state = _IGNORE
    result_line: tuple[int, str] | None = None
    error_line: str | None = None
    mem_toks: list[tuple[int, str]] = []
    raw_toks: list[tuple[int, str]] = []
    for lineno, line in enumerate(text.split("\n"), 1):
        line = line.removesuffix("\r").split("#", 1)[0]
        if "--" in line:
            section = _section_of(line)
            if section is None:
                # The runner stops reading and skips the test here.
                test.skip_reason = f"unknown directive '{line.strip()}' at line {lineno}"
                break
            state = section
            continue
        if not line.strip():
            continue
        if state == _ASM:
            test.asm_lines.append((lineno, line))
        elif state == _RESULT:
            result_line = (lineno, line.strip())
        elif state == _ERROR:
            error_line = line.rstrip()
        elif state == _MEM:
            mem_toks += [(lineno, t) for t in line.split()]
        elif state == _RAW:
            raw_toks += [(lineno, t) for t in line.split()]

    if result_line is not None:
        lineno, value = result_line
        where = f"{name}:{lineno}"
        # Hex if the value contains "0x" anywhere, as the runner decides.
        test.result = _u64(value, where, hex_="0x" in value)
    test.error = error_line
    if test.skip_reason is None and test.result is None and test.error is None:
        test.skip_reason = "no result or error section"

    mem = bytearray()
    for lineno, tok in mem_toks:
        try:
            byte = int(tok, 16)
        except ValueError:
            raise ConformanceError(f"{name}:{lineno}: invalid mem byte '{tok}'") from None
        if not 0 <= byte <= 0xFF:
            raise ConformanceError(f"{name}:{lineno}: mem value '{tok}' is not a byte")
        mem.append(byte)
    test.mem = bytes(mem)

    test.asm = "\n".join(t.strip() for _, t in test.asm_lines)
    if raw_toks:
        test.raw = [_u64(tok, f"{name}:{lineno}") for lineno, tok in raw_toks]
    if assemble:
        test.insns = program_of(test)
    return test


def program_of(test: ConformanceTest) -> list[Insn]:
    """The test's instructions: the raw section if there is one, else its assembly."""
    if test.raw is not None:
        return [Insn.decode_slot(v.to_bytes(8, "little")) for v in test.raw]
    return assemble_lines(test.asm_lines, test.path)  # AsmError names file and line


def parse_file(path: str | Path, assemble: bool = True) -> ConformanceTest:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise ConformanceError(f"{p}: cannot read: {e}") from None
    return parse_text(text, str(p), assemble=assemble)
