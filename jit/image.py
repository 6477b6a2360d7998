"""What the JIT produces: an :class:`Image` of x86-64 code plus what is left to bind.

The translator emits position-independent code for everything inside the
program (jumps, BPF-to-BPF calls) and leaves a :class:`Reloc` wherever an
address from outside is needed: helper and kfunc call targets (``rel32`` of a
``call``), map and global-data addresses and callback addresses (``abs64`` of
a ``movabs``).  An executor picks a load address, decides where each target
lives (trampolines, mapped regions) and calls :meth:`Image.link`.

``insn_offsets[i]`` is the code offset of BPF slot ``i`` (-1 for the second
half of an LD_IMM64 and for dead code the verifier never reached), so listings can interleave BPF and x86 and a faulting
x86 address maps back to the BPF instruction (:meth:`Image.insn_at`).
"""

from __future__ import annotations

import bisect
import struct
from dataclasses import dataclass, field
from typing import Callable

from isa.errors import REJECTED, Error
from isa.ints import fits_s32, u64

__all__ = ["Target", "Reloc", "FuncLayout", "Image", "JitError", "LinkError"]


class JitError(Error):
    """The program cannot be translated; ``insn`` is the BPF slot index (if any)."""
    kind = "jit"
    exit_code = REJECTED

    def __init__(self, message: str, insn: int | None = None):
        where = f" at insn {insn}" if insn is not None else ""
        super().__init__(f"{message}{where}", None if insn is None else f"insn {insn}")
        self.reason = message
        self.insn = insn


class LinkError(JitError):
    """A relocation target the executor could not (or would not) provide."""


@dataclass(frozen=True)
class Target:
    """Something outside the image an instruction refers to.

    kind:
      ``helper``       helper call, ``ident`` = helper id
      ``kfunc``        kfunc call, ``ident`` = kernel BTF id (imm of the call)
      ``helper_table`` base of the id-indexed helper trampolines (callx by helper id);
                       trampoline of helper ``n`` is at ``base + n * HELPER_STRIDE``
      ``ld_abs``       the legacy packet-load routine (LD_ABS / LD_IND)
      ``map``          address of map ``ident`` (index of BPF_PSEUDO_MAP_IDX / _FD)
      ``map_value``    address of byte ``addend`` of map ``ident``'s value (global data)
      ``ksym``         address of the kernel symbol with BTF id ``ident``
      ``func``         address of the image's function starting at BPF slot ``ident``
    """
    kind: str
    ident: int = 0
    addend: int = 0

    def describe(self) -> str:
        if self.kind == "map_value":
            return f"map_value#{self.ident}+{self.addend:#x}"
        if self.kind in ("helper_table", "ld_abs"):
            return self.kind
        return f"{self.kind}#{self.ident}"


@dataclass(frozen=True)
class Reloc:
    offset: int            # image offset of the field to patch
    kind: str              # "rel32" (relative to offset + 4) or "abs64"
    target: Target
    insn: int              # BPF slot the instruction belongs to


@dataclass(frozen=True)
class FuncLayout:
    """One BPF function in the image and its native frame.

    Frame, from high to low addresses: incoming args 7+ at ``[rbp+16]``...,
    return address, saved rbp at ``[rbp]``, the BPF stack
    (``[rbp - stack_size, rbp)``, may_goto counter in its lowest 8 bytes when
    used), alignment padding, pushed callee-saved registers, the outgoing
    stack-argument area (arg 7 at ``[rsp]``).  ``frame_size`` is everything
    below rbp; in a function that calls anything it is a multiple of 16, so rsp
    is 16-byte aligned at calls (a leaf function has no padding).  Without
    pushed registers one ``sub rsp`` reserves it all and ``leave`` frees it.
    """
    name: str
    start: int             # first BPF slot
    end: int               # one past the last BPF slot
    offset: int            # code offset of the prologue
    size: int              # code bytes, prologue to epilogue
    body_offset: int       # code offset of the first BPF instruction's code
    epilogue_offset: int
    stack_size: int        # bytes below rbp for the BPF stack (and the may_goto counter)
    pushed: tuple[int, ...]  # x86 callee-saved registers pushed, in push order
    out_slots: int         # outgoing stack-argument slots written (max k of r11 - 8k)
    out_area: int          # bytes reserved for outgoing args 7+ (8 * (out_slots - 1))
    frame_size: int
    stack_arg_cnt: int | None = None  # incoming slots, when known (BTF / verifier)
    may_goto_slot: int | None = None  # rbp-relative offset of the may_goto counter


@dataclass
class Image:
    code: bytes
    funcs: list[FuncLayout]
    relocs: list[Reloc]
    insn_offsets: list[int]           # per BPF slot; -1 for LD_IMM64 second halves and dead slots
    insn_count: int = 0
    passes: int = 0                    # layout passes until jump sizes converged
    notes: dict[int, list[str]] = field(default_factory=dict)  # code offset -> comments

    @property
    def entry(self) -> int:
        return self.funcs[0].offset

    @property
    def size(self) -> int:
        """Bytes of x86-64 code (the kernel's ``jited_prog_len``)."""
        return len(self.code)

    def disasm(self) -> list[tuple[int, bytes, str, int | None]]:
        """``(offset, bytes, "mnemonic operands", BPF slot or None)`` per x86-64 instruction,
        decoded by capstone (relocated operands show as 0, as in an object file)."""
        import capstone
        md = capstone.Cs(capstone.CS_ARCH_X86, capstone.CS_MODE_64)
        return [(i.address, bytes(i.bytes), f"{i.mnemonic} {i.op_str}".strip(),
                 self.insn_at(i.address)) for i in md.disasm(self.code, 0)]

    def func_at_slot(self, slot: int) -> FuncLayout:
        for f in self.funcs:
            if f.start <= slot < f.end:
                return f
        raise KeyError(slot)

    def func_offset(self, slot: int) -> int:
        for f in self.funcs:
            if f.start == slot:
                return f.offset
        raise LinkError(f"no function starts at BPF slot {slot}")

    def insn_at(self, offset: int) -> int | None:
        """The BPF slot whose code contains image ``offset`` (None for prologues/epilogues)."""
        for f in self.funcs:
            if f.offset <= offset < f.offset + f.size:
                if offset < f.body_offset or offset >= f.epilogue_offset:
                    return None
                starts = [(self.insn_offsets[i], i) for i in range(f.start, f.end)
                          if self.insn_offsets[i] >= 0]
                keys = [s for s, _ in starts]
                k = bisect.bisect_right(keys, offset) - 1
                return starts[k][1] if k >= 0 else None
        return None

    def link(self, base: int, resolve: Callable[[Target], int]) -> bytes:
        """The code placed at ``base`` with every relocation patched.

        ``resolve(target)`` returns an absolute address (or raises
        :class:`LinkError`); ``func`` targets are resolved here.
        """
        code = bytearray(self.code)
        for r in self.relocs:
            if r.target.kind == "func":
                addr = base + self.func_offset(r.target.ident)
            else:
                addr = resolve(r.target)
            if r.kind == "abs64":
                struct.pack_into("<Q", code, r.offset, u64(addr))
            elif r.kind == "rel32":
                rel = addr - (base + r.offset + 4)
                if not fits_s32(rel):
                    raise LinkError(f"{r.target.describe()} at {addr:#x} is out of rel32 range "
                                    f"of the image at {base:#x}", r.insn)
                struct.pack_into("<i", code, r.offset, rel)
            else:
                raise LinkError(f"unknown relocation kind {r.kind}", r.insn)
        return bytes(code)


HELPER_STRIDE = 16        # bytes between id-indexed helper trampolines (callx by helper id)
MAX_HELPER_ID = 4096      # callx values below this are helper ids, others code addresses
