"""BPF disassembler: llvm-objdump text and kernel verifier-log text.

Two styles over a slot-layout ``list[Insn]`` (LD_IMM64 = 2 slots, see :mod:`isa.insn`):

- ``"llvm"`` — exactly what ``llvm-objdump-22 -d`` prints: ``r0 = *(u64 *)(r1 + 0x8)``,
  ``*(u64 *)(r11 - 0x8) = r1``, ``if r1 s> 0x5 goto +0x2 <prog+0x30>``, ``r1 = 0x0 ll``
  (:mod:`isa.objdump_text`).  :func:`render_objdump` prints a whole section the way objdump
  does (symbol headers, ``     N:\\t<bytes>\\t<text>`` lines, ``...`` for zero runs), so a
  comparison against the real tool is a plain diff.
- ``"kernel"`` — ``print_bpf_insn`` of kernel/bpf/disasm.c, as in verifier logs and
  ``bpftool prog dump xlated``: ``(7b) *(u64 *)(r11 -8) = r1``, ``(85) call bpf_map_lookup_elem#1``
  (:mod:`isa.kernel_text`).  :func:`render_kernel` prints ``   N: (..) ..`` lines.

Strict mode (the default) raises :class:`isa.IsaError` naming the slot for anything
:func:`isa.check_program` rejects, and in the llvm style also for encodings llvm-objdump
cannot print (reserved fields LLVM fixes, e.g. an ALU ``off``).  ``strict=False`` prints what
the reference tool prints instead: ``<unknown>`` (llvm) or the kernel's own text for
kernel-internal and malformed instructions (``(c2) nospec``, ``BUG_ld_60``), which is what an
xlated dump needs.

Jump labels (llvm style): objdump appends ``<sym+0xoff>`` to direct jumps.  Pass
``symbols`` — ``(name, byte_offset)`` pairs of the section's symbols, e.g. from the ELF
symbol table (functions and labels; not section or file symbols) — and ``section`` (its
name, used when no symbol starts the section) to get them; with neither, no label is printed.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from .insn import Insn, IsaError, check_program, decode
from .ints import u64
from .kernel_text import CallName, ImmText, kernel_text
from .objdump_text import ObjdumpInsn, objdump_text

Style = Literal["llvm", "kernel"]
Symbols = Mapping[str, int] | Iterable[tuple[str, int]]

UNKNOWN = "<unknown>"


@dataclass(frozen=True, slots=True)
class Line:
    """One printed instruction: its first slot, its raw bytes (8 or 16) and its text."""

    index: int
    raw: bytes
    text: str

    @property
    def slots(self) -> int:
        return max(1, len(self.raw) // 8)


class SymbolTable:
    """llvm-objdump's choice of ``<label>`` for a branch target inside one section.

    Candidates are sorted by (address, name); the label is the last one at or below the
    target (unsigned, so a jump before the section start wraps to a huge offset and lands on
    the last symbol, as objdump shows it).  If no symbol starts the section, objdump adds a
    dummy named after the section at offset 0.
    """

    def __init__(self, symbols: Symbols = (), section: str | None = None):
        pairs = list(symbols.items()) if isinstance(symbols, Mapping) else list(symbols)
        syms = sorted((u64(off), name) for name, off in pairs)
        if section is not None and (not syms or syms[0][0] != 0):
            syms.insert(0, (0, section))
        self._syms = syms
        self._addrs = [a for a, _ in syms]

    def __bool__(self) -> bool:
        return bool(self._syms)

    def label(self, target: int) -> str | None:
        target = u64(target)
        k = bisect_right(self._addrs, target)
        if not k:
            return None
        addr, name = self._syms[k - 1]
        return f"<{name}>" if addr == target else f"<{name}+{target - addr:#x}>"

    def starts(self) -> dict[int, str]:
        """Header printed at each symbol address: the last name in sort order (objdump's)."""
        return {addr: name for addr, name in self._syms}


def _table(symbols: Symbols | SymbolTable | None, section: str | None) -> SymbolTable | None:
    if isinstance(symbols, SymbolTable):
        return symbols
    if symbols is None and section is None:
        return None
    return SymbolTable(symbols or (), section)


def _slot_check(insns: Sequence[Insn], i: int) -> None:
    """Raise IsaError (with the absolute slot) if check_program rejects the insn at ``i``."""
    insn = insns[i]
    window = list(insns[i:i + 2]) if insn.is_ld_imm64 else [insn]
    try:
        check_program(window)
    except IsaError as err:  # renumber "insn N" from the window to the program
        message = re.sub(r"\binsn (\d+)", lambda m: f"insn {int(m.group(1)) + i}", str(err))
        raise IsaError(message, i + (err.index or 0)) from None


def _objdump(insns: Sequence[Insn], i: int, strict: bool) -> ObjdumpInsn | None:
    if strict:
        _slot_check(insns, i)
    second = insns[i + 1] if i + 1 < len(insns) else None
    decoded = objdump_text(insns[i], second)
    if decoded is None and strict:
        raise IsaError(f"insn {i} ({insns[i].encode().hex(' ')}) has no llvm-objdump syntax: "
                       "LLVM does not decode it (a field it requires to be zero is set)", i)
    return decoded


def format_insn(insns: Sequence[Insn], i: int, style: Style = "llvm", *, strict: bool = True,
                symbols: Symbols | SymbolTable | None = None, section: str | None = None,
                call_name: CallName | None = None, imm_text: ImmText | None = None,
                allow_ptr_leaks: bool = True) -> str:
    """Text of the instruction starting at slot ``i``.

    llvm: ``symbols``/``section`` add objdump's ``<label>`` to jumps (byte offsets within the
    section, which is assumed to start at ``insns[0]``).  kernel: ``call_name``/``imm_text``
    are the ``cb_call``/``cb_imm`` callbacks, ``allow_ptr_leaks=False`` zeroes map pointers
    as an unprivileged verifier log does.
    """
    if not 0 <= i < len(insns):
        raise IndexError(f"slot {i} out of range (program has {len(insns)} slots)")
    if style == "kernel":
        if strict:
            _slot_check(insns, i)
        second = insns[i + 1] if i + 1 < len(insns) else None
        return kernel_text(insns[i], second, call_name=call_name, imm_text=imm_text,
                           allow_ptr_leaks=allow_ptr_leaks)
    if style != "llvm":
        raise ValueError(f"unknown disassembly style {style!r} (use 'llvm' or 'kernel')")
    decoded = _objdump(insns, i, strict)
    if decoded is None:
        return UNKNOWN
    table = _table(symbols, section)
    if decoded.branch is not None and table:
        label = table.label(i * 8 + 8 + decoded.branch * 8)
        if label:
            return f"{decoded.text} {label}"
    return decoded.text


def disassemble(insns: Sequence[Insn], style: Style = "llvm", *, strict: bool = True,
                symbols: Symbols | SymbolTable | None = None, section: str | None = None,
                call_name: CallName | None = None, imm_text: ImmText | None = None,
                allow_ptr_leaks: bool = True) -> list[Line]:
    """Every instruction of ``insns`` as a :class:`Line`; an LD_IMM64 is one line of 2 slots.

    In lenient llvm mode an undecodable slot is one ``<unknown>`` line of 8 bytes (an
    LD_IMM64 whose second half is missing included).
    """
    table = _table(symbols, section)
    lines: list[Line] = []
    i = 0
    while i < len(insns):
        text = format_insn(insns, i, style, strict=strict, symbols=table, call_name=call_name,
                           imm_text=imm_text, allow_ptr_leaks=allow_ptr_leaks)
        n = 2 if insns[i].is_ld_imm64 and i + 1 < len(insns) and text != UNKNOWN else 1
        raw = b"".join(x.encode() for x in insns[i:i + n])
        lines.append(Line(i, raw, text))
        i += n
    return lines


def _as_bytes(data: bytes | Sequence[Insn]) -> bytes:
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    return b"".join(x.encode() for x in data)


def render_objdump(data: bytes | Sequence[Insn], *, section: str = ".text",
                   symbols: Symbols = (), strict: bool = False,
                   disassemble_zeroes: bool = False) -> str:
    """A section as ``llvm-objdump-22 -d`` prints it, from ``Disassembly of section`` on.

    ``data`` is the section's raw bytes (any length; objdump's byte-wise ``<unknown>`` for a
    short tail is reproduced) or its instructions.  ``symbols`` are the section's symbols
    (``(name, byte_offset)``); each starts a ``<name>:`` block and labels jumps.  Runs of 8+
    zero bytes inside a block print as ``...`` unless ``disassemble_zeroes`` (objdump ``-z``).
    ``strict=True`` raises IsaError (naming the slot) where objdump would print ``<unknown>``.
    """
    raw = _as_bytes(data)
    if not raw:
        return ""  # objdump prints nothing for an empty section
    if strict:
        disassemble(decode(raw), "llvm", strict=True)  # validates every slot
    table = SymbolTable(symbols, section)
    starts = table.starts()
    bounds = sorted(a for a in starts if a < len(raw)) or [0]
    out = [f"Disassembly of section {section}:"]
    for b, start in enumerate(bounds):
        end = bounds[b + 1] if b + 1 < len(bounds) else len(raw)
        out += ["", f"{start:016x} <{starts.get(start, section)}>:"]
        out += _render_block(raw, start, end, table, disassemble_zeroes)
    return "\n".join(out) + "\n"


def _render_block(raw: bytes, pos: int, end: int, table: SymbolTable, zeroes: bool) -> list[str]:
    """objdump's loop over one symbol's bytes: zero runs are bounded by the block, while an
    instruction is decoded from all remaining section bytes (it may straddle a symbol)."""
    lines: list[str] = []
    while pos < end:
        if not zeroes:
            n = 0
            while pos + n < end and not raw[pos + n]:
                n += 1
            if n >= 8:
                lines.append("\t\t...")
                pos += n & ~3
                continue
        size, text = _decode_at(raw, pos, table)
        lines.append(f"{pos // 8:8d}:\t{raw[pos:pos + size].hex(' ')}\t{text}")
        pos += size
    return lines


def _decode_at(raw: bytes, pos: int, table: SymbolTable) -> tuple[int, str]:
    """(bytes consumed, text) for the instruction at byte ``pos``, stepping as objdump does:
    8 bytes past an undecodable slot, 1 byte when fewer than 8 (16 for LD_IMM64) remain."""
    left = len(raw) - pos
    if left < 8:
        return 1, UNKNOWN
    first = Insn.decode_slot(raw, pos)
    second = Insn.decode_slot(raw, pos + 8) if left >= 16 else None
    decoded = objdump_text(first, second if second is not None else Insn(0))
    if decoded is None:
        return 8, UNKNOWN
    if decoded.slots == 2 and second is None:
        return 1, UNKNOWN
    text = decoded.text
    if decoded.branch is not None:
        label = table.label(pos + 8 + decoded.branch * 8)
        if label:
            text = f"{text} {label}"
    return decoded.slots * 8, text


def render_kernel(insns: Sequence[Insn], *, width: int = 4, strict: bool = True,
                  call_name: CallName | None = None, imm_text: ImmText | None = None,
                  allow_ptr_leaks: bool = True) -> str:
    """Kernel-style listing, one ``%{width}d: (..) text`` line per instruction.

    ``width=4`` matches ``bpftool prog dump xlated``; ``width=0`` the verifier log's ``N: ``.
    An LD_IMM64 takes one line and two slot numbers, as in both tools.
    """
    lines = disassemble(insns, "kernel", strict=strict, call_name=call_name, imm_text=imm_text,
                        allow_ptr_leaks=allow_ptr_leaks)
    return "".join(f"{ln.index:{width}d}: {ln.text}\n" for ln in lines)
