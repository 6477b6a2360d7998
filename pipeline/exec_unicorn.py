"""Run a JIT :class:`jit.Image` in unicorn (DESIGN.md §6), with the mock kernel behind trampolines.

Address space (every region mapped explicitly, page-aligned, with unmapped
guard pages around the stack and between data regions, so a stray access
is a reported fault, never a crash of the host):

====================  ==================================================
``TRAMP_BASE``        trampolines: helper ``n`` at ``+16 n`` (n < 4096),
                      then kfuncs, then the LD_ABS routine and the stop
                      address the entry function returns to
``CODE_BASE``         the linked image (within rel32 reach of trampolines), then
                      the images of tail-call targets, a guard page apart
``DATA_BASE``...      caller-placed regions (ctx, packet, maps, globals)
``DYN_BASE``...       regions the mock kernel maps while running
``STACK_TOP``         the native stack (BPF stacks live in its frames)
====================  ==================================================

A trampoline is ``int3; ret``.  The interrupt hook identifies it by address,
reads the SysV arguments — rdi, rsi, rdx, rcx, r8, then for kfuncs argument 6
from r9 and 7+ from ``[rsp + 8]``, ``[rsp + 16]``, ... (rsp points at the
return address) — runs the Python implementation, puts the result in rax
and lets the ``ret`` return to the JIT code.  It also checks that rsp was
16-byte aligned at the ``call`` (SysV), which the JIT promises.

Helpers and kfuncs are called as ``fn(vm, *args)`` (the convention of
:mod:`pipeline.interp`), where ``vm`` is this executor: ``vm.memory`` offers
``load``/``store``/``read``/``write``/``map`` over unicorn memory, and
``vm.call(addr, *args)`` runs a BPF callback (``bpf_loop``) to completion.

A verified program runs without a per-instruction hook; :data:`pipeline.watchdog.WATCHDOG`,
one daemon thread for the whole process, stops an emulation whose wall-clock limit has passed.
"""

from __future__ import annotations

import struct
import time
from dataclasses import dataclass
from typing import Callable

from unicorn import (UC_ARCH_X86, UC_HOOK_INTR, UC_HOOK_MEM_FETCH_UNMAPPED,
                     UC_HOOK_MEM_READ_UNMAPPED, UC_HOOK_MEM_WRITE_PROT,
                     UC_HOOK_MEM_WRITE_UNMAPPED, UC_HOOK_MEM_FETCH_PROT, UC_HOOK_MEM_READ_PROT,
                     UC_MEM_FETCH_PROT, UC_MEM_FETCH_UNMAPPED, UC_MEM_READ_PROT,
                     UC_MEM_READ_UNMAPPED, UC_MEM_WRITE_PROT, UC_MEM_WRITE_UNMAPPED, UC_MODE_64,
                     UC_PROT_EXEC, UC_PROT_READ, UC_PROT_WRITE, Uc, UcError)
from unicorn import x86_const as X

from isa.ints import U64, u32
from jit.image import HELPER_STRIDE, MAX_HELPER_ID, Image, LinkError, Target

from .vm import InterpError, ProgramExit, TailCallReturn, Thrown
from .kernel.layout import DATA_BASE
from .native_code import PER_RUN_HELPERS, REPEAT_LOOP

__all__ = ["UnicornExecutor", "UcMemory", "RegionSpec", "ExecResult", "ExecFault",
           "TRAMP_BASE", "CODE_BASE", "DATA_BASE", "DYN_BASE", "STACK_TOP", "page_round"]

PAGE = 0x1000

TRAMP_BASE = 0x0010_0000
KFUNC_TRAMP = TRAMP_BASE + MAX_HELPER_ID * HELPER_STRIDE          # 64 KiB of helper slots
SPECIAL_TRAMP = KFUNC_TRAMP + 0x1_0000
TRAMP_SIZE = 0x3_0000
LD_ABS_ADDR = SPECIAL_TRAMP
STOP_ADDR = SPECIAL_TRAMP + 0x100                                  # the entry's return address
REPEAT_ADDR = SPECIAL_TRAMP + 0x200          # repeat(entry, ctx, n): N runs, one emu_start
CODE_BASE = 0x0040_0000
DYN_BASE = 0x4000_0000
STACK_SIZE = 0x10_0000
STACK_TOP = 0x7000_0000
MAX_STACK_ARGS = 7

_ARG_REGS = (X.UC_X86_REG_RDI, X.UC_X86_REG_RSI, X.UC_X86_REG_RDX, X.UC_X86_REG_RCX,
             X.UC_X86_REG_R8)
_SAVED_REGS = (X.UC_X86_REG_RAX, X.UC_X86_REG_RBX, X.UC_X86_REG_RCX, X.UC_X86_REG_RDX,
               X.UC_X86_REG_RSI, X.UC_X86_REG_RDI, X.UC_X86_REG_RBP, X.UC_X86_REG_RSP,
               X.UC_X86_REG_R8, X.UC_X86_REG_R9, X.UC_X86_REG_R10, X.UC_X86_REG_R11,
               X.UC_X86_REG_R12, X.UC_X86_REG_R13, X.UC_X86_REG_R14, X.UC_X86_REG_R15,
               X.UC_X86_REG_RIP, X.UC_X86_REG_EFLAGS)


def page_round(n: int) -> int:
    return (n + PAGE - 1) & ~(PAGE - 1)


class ExecFault(InterpError):
    """A runtime fault of the JIT code: bad memory access, bad helper call, misalignment.

    It is an :class:`pipeline.vm.InterpError`, so callers handle both
    engines' faults alike; ``pc`` is the BPF slot when known.
    """


@dataclass
class RegionSpec:
    """A region the caller places: ``data`` is copied in, read back by :meth:`UcMemory.region_bytes`."""
    name: str
    base: int
    data: bytes | bytearray
    writable: bool = True


@dataclass
class _Region:
    name: str
    base: int
    size: int          # bytes the caller asked for (the mapping is page-rounded)
    writable: bool

    @property
    def end(self) -> int:
        return self.base + self.size


class UcMemory:
    """The :class:`pipeline.vm.Memory` interface over unicorn memory.

    Accesses are checked against the named regions (not just pages), so a
    helper reading past a 6-byte key faults exactly as in the interpreter.
    """

    def __init__(self, uc: Uc):
        self.uc = uc
        self.regions: list[_Region] = []
        self._next_dyn = DYN_BASE

    def add(self, name: str, base: int, data: bytes | bytearray, writable: bool = True,
            size: int | None = None) -> _Region:
        size = len(data) if size is None else size
        span = page_round(max(size, 1))
        if base % PAGE:
            raise ValueError(f"region {name} at {base:#x} is not page aligned")
        for r in self.regions:
            if base < r.base + page_round(max(r.size, 1)) and r.base < base + span:
                raise ValueError(f"region {name} overlaps {r.name}")
        perms = UC_PROT_READ | (UC_PROT_WRITE if writable else 0)
        self.uc.mem_map(base, span, perms)
        if data:
            self.uc.mem_write(base, bytes(data))
        region = _Region(name, base, size, writable)
        self.regions.append(region)
        return region

    def map(self, name: str, data: bytes | bytearray, base: int | None = None,
            writable: bool = True) -> _Region:
        """A new region (for the mock kernel's own objects); a guard page follows it."""
        if base is None:
            base = self._next_dyn
            self._next_dyn += page_round(max(len(data), 1)) + PAGE
        return self.add(name, base, data, writable)

    def find(self, addr: int, size: int, write: bool) -> _Region:
        for r in self.regions:
            if r.base <= addr and addr + size <= r.end:
                if write and not r.writable:
                    raise ExecFault(f"write of {size} bytes to read-only region {r.name} "
                                    f"at {addr:#x}")
                return r
        kind = "write" if write else "read"
        raise ExecFault(f"invalid memory {kind} of {size} bytes at {addr:#x}")

    def region_of(self, addr: int) -> _Region | None:
        for r in self.regions:
            if r.base <= addr < r.base + page_round(max(r.size, 1)):
                return r
        return None

    def read(self, addr: int, size: int) -> bytes:
        addr &= U64
        if size <= 0:
            return b""
        self.find(addr, size, False)
        return bytes(self.uc.mem_read(addr, size))

    def write(self, addr: int, data: bytes) -> None:
        addr &= U64
        if not data:
            return
        self.find(addr, len(data), True)
        self.uc.mem_write(addr, bytes(data))

    def load(self, addr: int, size: int, pc: int | None = None) -> int:
        return int.from_bytes(self.read(addr, size), "little")

    def store(self, addr: int, size: int, value: int, pc: int | None = None) -> None:
        self.write(addr, (value & ((1 << (8 * size)) - 1)).to_bytes(size, "little"))

    def region_bytes(self, name: str) -> bytes:
        for r in self.regions:
            if r.name == name:
                return bytes(self.uc.mem_read(r.base, r.size))
        raise KeyError(name)


class _Lazy:
    """A value computed on first call (the caller's BPF slot: an error message needs it)."""

    def __init__(self, fn):
        self._fn, self._done, self._v = fn, False, None

    def __call__(self):
        if not self._done:
            self._v, self._done = self._fn(), True
        return self._v


@dataclass
class ExecResult:
    retval: int                  # rax at the entry function's return (full 64 bits)
    ended_by: str = "exit"       # "exit", "helper" (a helper ended the program), "throw"
    calls: int = 0               # trampoline calls made (helpers + kfuncs)


NativeFn = Callable[..., int]


@dataclass
class _Tramp:
    kind: str                    # "helper", "kfunc", "ld_abs"
    ident: int
    fn: NativeFn | None
    nr_slots: int | None = None  # kfunc argument slots (None: pass r1-r5 and all 7 slots)


class UnicornExecutor:
    """One loaded image plus its memory; :meth:`run` may be called repeatedly.

    ``helpers``: helper id -> ``fn(vm, r1, ..., r5)``; ``kfuncs``: the call's imm
    (kernel BTF id) -> ``fn(vm, *pieces)`` (objects with an ``nr_slots``
    attribute, like the mock kernel's Kfunc, get exactly that many pieces);
    ``resolve(target)`` gives addresses of maps, global data and ksyms;
    ``ld_abs(vm, ctx, offset, size)`` serves LD_ABS/LD_IND (value, or None
    when out of range).  ``max_insns`` bounds the x86 instructions of every run
    (0: unbounded), so an endless loop of an unverified program is a reported fault.
    """

    def __init__(self, image: Image, *, helpers: dict[int, NativeFn] | None = None,
                 kfuncs: dict[int, NativeFn] | None = None,
                 regions: list[RegionSpec] = (),
                 resolve: Callable[[Target], int] | None = None,
                 ld_abs: Callable[..., int | None] | None = None,
                 max_insns: int = 50_000_000, timeout_s: float = 0.0,
                 name: str = "main", programs: dict[str, Image] | None = None):
        self.image = image
        self.name = name
        self._extra = dict(programs or {})
        self.programs: dict[str, int] = {}      # program name -> entry address (tail calls)
        self._codes: list[tuple[int, Image, bytes]] = []   # (base, image, linked code)
        self.helpers = dict(helpers or {})
        self.kfuncs = dict(kfuncs or {})
        self.ld_abs_fn = ld_abs
        self.max_insns = max_insns
        self.timeout_us = int(timeout_s * 1_000_000)
        self.time_limit = timeout_s       # what a time-limit message names
        self.deadline = 0.0               # time.monotonic() limit of callbacks (0: none)
        self.watchdog_fired = False       # set by pipeline.execute's watchdog thread
        self.uc = Uc(UC_ARCH_X86, UC_MODE_64)
        self.memory = UcMemory(self.uc)
        self._tramps: dict[int, _Tramp] = {}
        self._kfunc_slots: dict[int, int] = {}
        self._error: BaseException | None = None
        self._exit: ProgramExit | None = None
        self._calls = 0
        self._running = 0              # nesting of emu_start (callbacks run inside helpers)
        self._call_rsps: list[int] = []  # each nested call's stack top (its return address)
        self._thrown: Thrown | None = None   # bpf_throw that ended a nested call
        self._entry_ctx = None         # ((addr, args, rsp), saved registers) of the last entry
        self._helpers_linked: set[int] = set()
        for spec in regions:
            self.memory.add(spec.name, spec.base, spec.data, spec.writable)
        self._resolve_ext = resolve
        self._map_code_and_trampolines()
        self.memory.add("stack", STACK_TOP - STACK_SIZE, b"", size=STACK_SIZE)
        self.uc.hook_add(UC_HOOK_INTR, self._on_interrupt)
        self.uc.hook_add(UC_HOOK_MEM_READ_UNMAPPED | UC_HOOK_MEM_WRITE_UNMAPPED
                         | UC_HOOK_MEM_FETCH_UNMAPPED | UC_HOOK_MEM_WRITE_PROT
                         | UC_HOOK_MEM_READ_PROT | UC_HOOK_MEM_FETCH_PROT, self._on_bad_access)
        self._bad_access: tuple[int, int, int, int] | None = None

    # -- setup ---------------------------------------------------------------------------
    def _map_code_and_trampolines(self) -> None:
        uc = self.uc
        uc.mem_map(TRAMP_BASE, TRAMP_SIZE, UC_PROT_READ | UC_PROT_EXEC)
        stub = b"\xCC\xC3" + b"\xCC" * (HELPER_STRIDE - 2)
        uc.mem_write(TRAMP_BASE, stub * MAX_HELPER_ID)
        base = CODE_BASE
        for name, image in [(self.name, self.image), *self._extra.items()]:
            code = image.link(base, self._resolve)
            uc.mem_map(base, page_round(max(len(code), 1)), UC_PROT_READ | UC_PROT_EXEC)
            uc.mem_write(base, code)
            self._codes.append((base, image, code))
            self.programs[name] = base + image.entry
            base += page_round(max(len(code), 1)) + PAGE
        self.code = self._codes[0][2]
        uc.mem_write(LD_ABS_ADDR, b"\xCC\xC3")
        uc.mem_write(STOP_ADDR, b"\xF4")      # hlt; emu_start stops before it runs
        uc.mem_write(REPEAT_ADDR, REPEAT_LOOP)
        self._tramps[LD_ABS_ADDR] = _Tramp("ld_abs", 0, self.ld_abs_fn)

    def _resolve(self, target: Target) -> int:
        if target.kind in ("helper", "helper_table"):
            self._helpers_linked.update([target.ident] if target.kind == "helper"
                                       else self.helpers)
        if target.kind == "helper":
            if not 0 <= target.ident < MAX_HELPER_ID:
                raise LinkError(f"helper id {target.ident} out of range")
            return TRAMP_BASE + HELPER_STRIDE * target.ident
        if target.kind == "helper_table":
            return TRAMP_BASE
        if target.kind == "ld_abs":
            return LD_ABS_ADDR
        if target.kind == "kfunc":
            if target.ident not in self._kfunc_slots:
                n = len(self._kfunc_slots)
                addr = KFUNC_TRAMP + HELPER_STRIDE * n
                self.uc.mem_write(addr, b"\xCC\xC3")
                self._kfunc_slots[target.ident] = addr
                fn = self.kfuncs.get(target.ident)
                self._tramps[addr] = _Tramp("kfunc", target.ident, fn,
                                            getattr(fn, "nr_slots", None))
            return self._kfunc_slots[target.ident]
        if self._resolve_ext is None:
            raise LinkError(f"no address for {target.describe()}")
        return self._resolve_ext(target)

    # -- running -------------------------------------------------------------------------
    def run(self, *args: int) -> ExecResult:
        """Call the entry function with r1.. = ``args`` (at most 5); rax is the result."""
        self._calls = 0
        self._exit = None
        self._error = None
        self._bad_access = None
        rax = self._call_at(CODE_BASE + self.image.entry, args, STACK_TOP - 64)
        if self._exit is not None:
            return ExecResult(self._exit.value, _ended_by(self._exit), self._calls)
        return ExecResult(rax, "exit", self._calls)

    def can_repeat(self) -> bool:
        """True when N runs may go through one emulation (:meth:`run_repeat`): no
        instruction budget to count per run, no helper that needs Python between runs
        (tail-call counter, timers that fire after each run)."""
        return not self.max_insns and not self._helpers_linked & PER_RUN_HELPERS

    def run_repeat(self, ctx: int, n: int) -> ExecResult:
        """``n`` runs of the entry with r1 = ``ctx`` in one emulation of a machine-code loop
        (one emu_start instead of n); the last run's result.  A run a helper ends
        (ProgramExit) ends the loop; the runs left then go one by one."""
        self._calls = 0
        self._exit = self._error = self._bad_access = None
        stack_top = STACK_TOP - 64
        rsp0 = (stack_top & ~0xF) - 8
        rax = self._call_at(REPEAT_ADDR, (CODE_BASE + self.image.entry, ctx, n), stack_top,
                            code_check=False)
        if self._exit is not None:
            left = struct.unpack("<Q", self.uc.mem_read(rsp0 - 56, 8))[0] - 1
            r = ExecResult(self._exit.value, _ended_by(self._exit), self._calls)
            for _ in range(left):
                r = self.run(ctx)
            return r
        return ExecResult(rax, "exit", self._calls)

    def call(self, addr: int, *args: int, tail: bool = False) -> int:
        """Run the BPF function at ``addr`` (a callback) to completion, from inside a helper
        (``bpf_loop``: on the stack below the helper's caller) or after :meth:`run` (timer
        callbacks: on a fresh stack).  ``tail``: a tail-called program (runs the same way)."""
        if self.deadline and time.monotonic() > self.deadline:
            raise ExecFault(f"time limit of {self.time_limit:g} s exceeded")
        if not self._running:
            self._exit = self._error = self._bad_access = None
            try:
                ret = self._call_at(addr, args, STACK_TOP - 64)
            finally:
                exited, self._exit = self._exit, None
            if exited is not None:
                raise exited
            return ret
        rsp = self.uc.reg_read(X.UC_X86_REG_RSP)
        saved = [self.uc.reg_read(r) for r in _SAVED_REGS]
        try:
            ret = self._call_at(addr, args, (rsp - 256) & ~0xF)
        finally:
            for r, v in zip(_SAVED_REGS, saved):
                self.uc.reg_write(r, v)
        if self._thrown is not None:      # the called program threw (a tail call's target)
            thrown, self._thrown = self._thrown, None
            raise thrown
        if self._exit is not None:        # a helper ended the program inside the callback:
            # raised into the hook that called us, which records it again unless the
            # helper handles it (a tail call whose program threw)
            exited, self._exit = self._exit, None
            raise exited
        return ret

    def _call_at(self, addr: int, args, stack_top: int, code_check: bool = True) -> int:
        if len(args) > 5:
            raise ValueError("at most 5 register arguments")
        uc = self.uc
        if code_check and self._code_at(addr) is None:
            raise ExecFault(f"call to {addr:#x}, which is not code of the program")
        rsp = (stack_top & ~0xF) - 8            # as after a call from 16-byte aligned code
        key = (addr, tuple(args), rsp)
        if not self._running and self._entry_ctx is not None and self._entry_ctx[0] == key:
            # the same entry again (--repeat, timers): one context restore instead of six
            # register writes through the binding; the return address is still in place
            uc.context_restore(self._entry_ctx[1])
        else:
            uc.mem_write(rsp, struct.pack("<Q", STOP_ADDR))
            uc.reg_write(X.UC_X86_REG_RSP, rsp)
            for r, v in zip(_ARG_REGS, list(args) + [0] * (5 - len(args))):
                uc.reg_write(r, v & U64)
            if not self._running:
                self._entry_ctx = (key, uc.context_save())
        self._running += 1
        self._call_rsps.append(rsp)
        t0 = time.monotonic()
        try:
            # one timer per emulation: unicorn's timeout thread does not nest (callbacks run
            # inside a hook check self.deadline instead)
            uc.emu_start(addr, STOP_ADDR, timeout=self.timeout_us if self._running == 1 else 0,
                         count=self.max_insns)
        except UcError as e:
            if self._error is None:
                self._error = self._fault_from(e)
        finally:
            self._running -= 1
            self._call_rsps.pop()
        if self._error is not None:      # nested: raised into the hook that called us
            err, self._error = self._error, None
            raise err
        if self._exit is not None:
            return self._exit.value
        pc = uc.reg_read(X.UC_X86_REG_RIP)
        if pc != STOP_ADDR:
            if self.watchdog_fired or self.timeout_us and (
                    time.monotonic() - t0 >= self.timeout_us / 1e6 * 0.99
                    or self.deadline and time.monotonic() > self.deadline):
                raise ExecFault(f"time limit of {self.time_limit:g} s exceeded",
                                self._bpf_pc(pc))
            raise ExecFault(f"instruction budget of {self.max_insns} exhausted"
                            if self.max_insns else "emulation stopped early",
                            self._bpf_pc(pc))
        return uc.reg_read(X.UC_X86_REG_RAX)

    # -- hooks ---------------------------------------------------------------------------
    def _code_at(self, x86: int) -> tuple[int, Image] | None:
        for base, image, code in self._codes:
            if base <= x86 < base + len(code):
                return base, image
        return None

    def _bpf_pc(self, x86: int) -> int | None:
        hit = self._code_at(x86)
        return None if hit is None else hit[1].insn_at(x86 - hit[0])

    def _tail_call_return(self, value: int) -> None:
        """The helper's ``ret`` goes to the calling function's epilogue with rax = value:
        the function returns what the tail-called program returned."""
        uc = self.uc
        rsp = uc.reg_read(X.UC_X86_REG_RSP)
        ret_addr = struct.unpack("<Q", uc.mem_read(rsp, 8))[0]
        hit = self._code_at(ret_addr - 1)
        slot = self._bpf_pc(ret_addr - 1)
        if hit is None or slot is None:
            raise ExecFault(f"tail call from {ret_addr:#x}, outside the program's code")
        base, image = hit
        uc.mem_write(rsp, struct.pack("<Q", base + image.func_at_slot(slot).epilogue_offset))
        uc.reg_write(X.UC_X86_REG_RAX, value & U64)

    def _on_bad_access(self, uc, access, address, size, value, _data) -> bool:
        self._bad_access = (access, address, size, uc.reg_read(X.UC_X86_REG_RIP))
        return False

    def _fault_from(self, e: UcError) -> ExecFault:
        if self._bad_access is not None:
            access, addr, size, rip = self._bad_access
            self._bad_access = None
            pc = self._bpf_pc(rip)
            kind = {UC_MEM_READ_UNMAPPED: "read", UC_MEM_WRITE_UNMAPPED: "write",
                    UC_MEM_FETCH_UNMAPPED: "fetch", UC_MEM_READ_PROT: "read",
                    UC_MEM_FETCH_PROT: "fetch"}.get(access)
            if access == UC_MEM_WRITE_PROT:
                r = self.memory.region_of(addr)
                name = r.name if r else "code"
                return ExecFault(f"write of {size} bytes to read-only region {name} "
                                 f"at {addr:#x}", pc)
            what = self._describe_addr(addr)
            return ExecFault(f"invalid memory {kind or 'access'} of {size} bytes at "
                             f"{addr:#x}{what}", pc)
        rip = self.uc.reg_read(X.UC_X86_REG_RIP)
        return ExecFault(f"CPU exception: {e}", self._bpf_pc(rip))

    def _describe_addr(self, addr: int) -> str:
        lo = STACK_TOP - STACK_SIZE
        if lo - 16 * PAGE <= addr < lo:
            return " (stack overflow)"
        return ""

    def _on_interrupt(self, uc, intno, _data) -> None:
        try:
            rip = uc.reg_read(X.UC_X86_REG_RIP)
            site = rip - 1
            if intno != 3:
                raise ExecFault(f"CPU exception {intno}", self._bpf_pc(rip))
            tramp = self._trampoline(site)
            rsp = uc.reg_read(X.UC_X86_REG_RSP)
            ret_addr = struct.unpack("<Q", uc.mem_read(rsp, 8))[0]
            caller = _Lazy(lambda: self._bpf_pc(ret_addr - 1))   # only errors need it
            if (rsp + 8) % 16:
                raise ExecFault(f"stack not 16-byte aligned at the call into {tramp.kind} "
                                f"{tramp.ident} (rsp = {rsp + 8:#x})", caller())
            args = [uc.reg_read(r) for r in _ARG_REGS]
            self._calls += 1
            if tramp.kind == "ld_abs":
                uc.reg_write(X.UC_X86_REG_RAX, 0)
                if tramp.fn is None:
                    raise ExecFault("LD_ABS/LD_IND: no packet for this program type", caller())
                v = tramp.fn(self, args[0], u32(args[1]), args[2])
                uc.reg_write(X.UC_X86_REG_RAX, 0 if v is None else v & U64)
                uc.reg_write(X.UC_X86_REG_RDX, 1 if v is None else 0)
                return
            if tramp.fn is None:
                raise ExecFault(f"unknown {tramp.kind} {tramp.ident}", caller())
            if tramp.kind == "kfunc":
                n = MAX_STACK_ARGS if tramp.nr_slots is None else max(0, tramp.nr_slots - 5)
                if n:
                    args.append(uc.reg_read(X.UC_X86_REG_R9))
                if n > 1:
                    args += struct.unpack(f"<{n - 1}Q", uc.mem_read(rsp + 8, 8 * (n - 1)))
            try:
                ret = tramp.fn(self, *args)
            except TailCallReturn as e:
                self._tail_call_return(e.value)
                return
            except (ProgramExit, InterpError):
                raise
            except Exception as e:    # a broken helper is a fault of this run, not a crash
                raise ExecFault(f"{tramp.kind} {tramp.ident} failed: {type(e).__name__}: {e}",
                                caller()) from e
            uc.reg_write(X.UC_X86_REG_RAX, int(ret) & U64)
        except ProgramExit as e:
            if isinstance(e, Thrown) and self._running > 1:
                # bpf_throw in a nested call unwinds only that call: the trampoline's ret
                # goes to the stop address its caller pushed, ending that emulation
                self._thrown = e
                uc.reg_write(X.UC_X86_REG_RSP, self._call_rsps[-1])
                return
            self._exit = e
            uc.emu_stop()
        except BaseException as e:  # noqa: BLE001 - reported after emu_start returns
            if isinstance(e, InterpError) and e.pc is None:
                ret_addr = struct.unpack("<Q", uc.mem_read(uc.reg_read(X.UC_X86_REG_RSP), 8))[0]
                e = type(e)(e.reason, self._bpf_pc(ret_addr - 1))
            self._error = e
            uc.emu_stop()

    def _trampoline(self, site: int) -> _Tramp:
        t = self._tramps.get(site)
        if t is not None:
            return t
        off = site - TRAMP_BASE
        if 0 <= off < MAX_HELPER_ID * HELPER_STRIDE and off % HELPER_STRIDE == 0:
            ident = off // HELPER_STRIDE
            t = _Tramp("helper", ident, self.helpers.get(ident))
            self._tramps[site] = t
            return t
        raise ExecFault(f"int3 at {site:#x} outside any trampoline", self._bpf_pc(site))


def _ended_by(e: ProgramExit) -> str:
    return "throw" if isinstance(e, Thrown) else "helper"
