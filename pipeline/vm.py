"""What every executor shares: the run-time errors, the explicit memory regions and the
fake address layout.

The reference interpreter (:mod:`pipeline.interp`), the unicorn executor
(:mod:`pipeline.exec_unicorn`), the native executor (:mod:`pipeline.exec_native`) and the
mock kernel's helpers raise and catch the same exceptions and hand helpers the same
``vm.memory`` interface, so those live here, in a leaf that imports ``isa`` only.
Kernel counterpart: none as such; the faults stand for what the kernel's JIT makes
impossible (a verified program cannot fault) and ``ProgramExit``/``Thrown``/
``TailCallReturn`` for the kernel's ways of ending a program early (bpf_throw,
bpf_tail_call).
"""

from __future__ import annotations

from dataclasses import dataclass

from isa.errors import REJECTED, Error
from isa.ints import U64

__all__ = ["InterpError", "MemoryFault", "InvalidInsn", "BudgetExceeded", "CallDepthExceeded",
           "HelperError", "TailCallReturn", "ProgramExit", "Thrown", "Region", "Memory",
           "MEM_BASE", "REGION_STRIDE"]

# Fake address layout (the interpreter adds CODE_BASE and STACK_BASE). Far apart so an
# off-by-a-page bug faults instead of silently landing in a neighbouring region; nothing
# is ever at address 0.
MEM_BASE = 0x0000_2000_0000_0000    # the conformance input buffer and other user regions
REGION_STRIDE = 0x1_0000_0000


# --- errors ------------------------------------------------------------------
class InterpError(Error):
    """A runtime fault; ``pc`` is the slot index of the faulting instruction."""
    kind = "runtime"
    exit_code = REJECTED

    def __init__(self, message: str, pc: int | None = None):
        where = f" at insn {pc}" if pc is not None else ""
        super().__init__(f"{message}{where}", None if pc is None else f"insn {pc}")
        self.reason = message
        self.pc = pc


class MemoryFault(InterpError):
    pass


class InvalidInsn(InterpError):
    pass


class BudgetExceeded(InterpError):
    pass


class CallDepthExceeded(InterpError):
    pass


class HelperError(InterpError):
    pass


class TailCallReturn(Exception):
    """Raised by ``bpf_tail_call`` after the target program ran: the calling BPF function
    returns ``value`` at once (the target replaced it, as the kernel's tail call does)."""

    def __init__(self, value: int):
        super().__init__(value)
        self.value = value & U64


class ProgramExit(Exception):
    """Raised by a helper to end the program at once with r0 = ``value``."""

    def __init__(self, value: int):
        super().__init__(value)
        self.value = value & U64


class Thrown(ProgramExit):
    """Raised by the ``bpf_throw`` kfunc: a BPF exception unwinds every frame of the
    program that threw, which returns ``value`` (what its exception callback returned).
    A tail-called program that throws ends there: its caller sees ``value`` as the tail
    call's result (kernel: the tail-called program is its own exception boundary)."""


# --- memory ------------------------------------------------------------------
@dataclass
class Region:
    name: str
    base: int
    data: bytearray
    writable: bool = True

    @property
    def end(self) -> int:
        return self.base + len(self.data)


class Memory:
    """Explicit regions at fake addresses; every access must fit inside one region."""

    def __init__(self) -> None:
        self.regions: list[Region] = []
        self._next_base = MEM_BASE

    def map(self, name: str, data: bytes | bytearray, base: int | None = None,
            writable: bool = True) -> Region:
        """Add a region (a *copy* of ``data`` unless it is already a bytearray)."""
        buf = data if isinstance(data, bytearray) else bytearray(data)
        if base is None:
            base, self._next_base = self._next_base, self._next_base + max(
                REGION_STRIDE, (len(buf) + REGION_STRIDE) & ~(REGION_STRIDE - 1))
        region = Region(name, base, buf, writable)
        for r in self.regions:
            if base < r.end and r.base < region.end:
                raise ValueError(f"region {name} overlaps {r.name}")
        self.regions.append(region)
        return region

    def unmap(self, region: Region) -> None:
        self.regions.remove(region)

    def find(self, addr: int, size: int, write: bool, pc: int | None = None) -> tuple[Region, int]:
        for r in reversed(self.regions):  # newest first: the innermost stack frame
            if r.base <= addr and addr + size <= r.end:
                if write and not r.writable:
                    raise MemoryFault(f"write of {size} bytes to read-only region {r.name} "
                                      f"at {addr:#x}", pc)
                return r, addr - r.base
        kind = "write" if write else "read"
        raise MemoryFault(f"invalid memory {kind} of {size} bytes at {addr:#x}", pc)

    def load(self, addr: int, size: int, pc: int | None = None) -> int:
        r, o = self.find(addr, size, False, pc)
        return int.from_bytes(r.data[o:o + size], "little")

    def store(self, addr: int, size: int, value: int, pc: int | None = None) -> None:
        r, o = self.find(addr, size, True, pc)
        r.data[o:o + size] = (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little")

    def read(self, addr: int, size: int) -> bytes:
        """Bytes for helpers; faults like a load."""
        r, o = self.find(addr, size, False)
        return bytes(r.data[o:o + size])

    def write(self, addr: int, data: bytes) -> None:
        r, o = self.find(addr, len(data), True)
        r.data[o:o + len(data)] = data
