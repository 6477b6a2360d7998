"""Reference BPF interpreter: the oracle the JIT's results are compared against.

It runs a list of :class:`isa.Insn` slots directly, with the semantics of
RFC 9669 plus the kernel's cpu-v4 additions, as the bpf_conformance suite
pins them down: div by 0 gives 0, mod by 0 keeps dst, ``INT_MIN / -1`` is
``INT_MIN`` and ``INT_MIN % -1`` is 0, shift counts are masked, ALU32 results
are zero-extended, all atomics, sign-extending moves and loads, byte swaps.

Memory is a set of explicit regions (bytearrays at fake addresses); any
access that is not wholly inside one region raises :class:`MemoryFault`
naming the instruction index.  Each frame has its own ``stack_size``-byte
stack region; BPF-to-BPF calls push frames that save r6-r9 and r10.

The stack-argument area (``r11``, see DESIGN.md §3) is modelled as slots, not
memory: ``*(u64 *)(r11 - 8k) = x`` sets outgoing slot k of the current frame,
``r = *(u64 *)(r11 + 8k)`` in a callee reads its caller's outgoing slot k,
and every call leaves the caller's outgoing slots uninitialized, as the
verifier assumes.  Kfunc calls (``call`` with src = 2) get r1-r5 followed by
the initialized outgoing slots 1..n.  The kernel's own interpreter refuses
stack-argument programs; here they run unless ``stack_args=False``.

Helpers and kfuncs are plain dicts ``id -> callable(vm, *args) -> int``; a
callable may raise :class:`ProgramExit` to end the program (that is how the
conformance suite's helper 5, :func:`unwind_helper`, works).

Its errors and memory regions are :mod:`pipeline.vm`'s, shared with the other executors.
This module is a leaf of ``pipeline``: it imports ``isa`` and ``pipeline.vm`` only, never
the verifier or the JIT.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

from isa import opcodes as op
from isa import stack_args as sa
from isa.insn import Insn, IsaError, check_program, imm64
from isa.ints import U32, U64, sext

from .interp_ops import _JCMP, _alu, _bswap
from .vm import (MEM_BASE, BudgetExceeded, CallDepthExceeded, HelperError, InterpError,
                 InvalidInsn, Memory, MemoryFault, ProgramExit, Region, TailCallReturn, Thrown)

__all__ = ["Interpreter", "Memory", "Region", "RunResult", "InterpError", "MemoryFault",
           "InvalidInsn", "BudgetExceeded", "CallDepthExceeded", "HelperError", "ProgramExit",
           "Thrown",
           "TailCallReturn",
           "unwind_helper", "run_conformance", "STACK_BASE", "MEM_BASE", "CODE_BASE"]

# Fake address layout, with pipeline.vm.MEM_BASE (user regions).
CODE_BASE = 0x0000_1000_0000_0000   # "addresses" of BPF functions (callx, ld_imm64 PSEUDO_FUNC)
STACK_BASE = 0x0000_7000_0000_0000  # frame d's stack lives at STACK_BASE + d * STACK_STRIDE
STACK_STRIDE = 0x1_0000_0000

_TIME_CHECK = 1 << 16              # instructions between wall-clock checks
BPF_MAX_LOOPS = 8 * 1024 * 1024     # the kernel's may_goto budget per program run
MAX_CALL_FRAMES = 8                 # the kernel's MAX_CALL_FRAMES


# --- the machine ---------------------------------------------------------------
@dataclass
class _Frame:
    return_pc: int                 # slot to resume at in the caller
    saved: list[int]               # caller's r6..r10
    stack: Region
    out_slots: dict[int, int] = field(default_factory=dict)  # outgoing stack args, k -> value


@dataclass
class RunResult:
    r0: int
    regs: list[int]                # r0..r10 at the end
    insns_executed: int
    ended_by: str = "exit"         # "exit", "helper" (a helper raised ProgramExit) or
    #                                "throw" (bpf_throw unwound the program: Thrown)


NativeFn = Callable[..., int]  # fn(vm, r1, r2, r3, r4, r5[, stack args...]) -> r0


def unwind_helper(vm: "Interpreter", r1: int, *_args: int) -> int:
    """bpf_conformance helper 5: returns r1; a 0 return ends the program (r0 = 0)."""
    if r1 == 0:
        raise ProgramExit(0)
    return r1


class Interpreter:
    """Runs one program; build it, then call :meth:`run` (each run starts fresh)."""

    def __init__(self, insns: list[Insn], *, helpers: dict[int, NativeFn] | None = None,
                 kfuncs: dict[int, NativeFn] | None = None, memory: Memory | None = None,
                 stack_size: int = 512, max_insns: int = 1_000_000,
                 max_frames: int = MAX_CALL_FRAMES, stack_args: bool = True,
                 ld_imm64_resolver: Callable[[Insn, Insn, int], int] | None = None):
        if not insns:
            raise InvalidInsn("empty program")
        try:  # reject undefined encodings up front, as the kernel does at load time
            check_program(insns)
        except IsaError as e:
            err = InvalidInsn(str(e))
            err.pc = e.index
            raise err from None
        self.insns = insns
        self.helpers = dict(helpers or {})
        self.kfuncs = dict(kfuncs or {})
        self.memory = memory if memory is not None else Memory()
        self.stack_size = stack_size
        self.max_insns = max_insns
        self.deadline = 0.0             # time.monotonic() limit (0: none), see time_limit
        self.time_limit = 0.0
        self.max_frames = max_frames
        self.stack_args = stack_args
        self.ld_imm64_resolver = ld_imm64_resolver
        self.ld_abs = None              # (vm, ctx, offset, size) -> value | None: LD_ABS/IND
        self.regs = [0] * 11
        self.frames: list[_Frame] = []
        self._floor = 0                # frames below a tail-called program's

    # -- public ---------------------------------------------------------------
    def run(self, *args: int) -> RunResult:
        """Run from slot 0 with r1.. = ``args`` (at most 5); return r0 and counts."""
        if len(args) > sa.MAX_REG_ARGS:
            raise ValueError("at most 5 register arguments")
        self.regs = [0] * 11
        for i, a in enumerate(args, 1):
            self.regs[i] = a & U64
        self._floor = 0
        self.frames = [self._new_frame(return_pc=-1, saved=[])]
        self._loops = BPF_MAX_LOOPS
        try:
            r0, n, how = self._loop()
        finally:
            for f in self.frames:
                self.memory.unmap(f.stack)
            self.frames = []
        return RunResult(r0, list(self.regs), n, how)

    def call(self, addr: int, *args: int, tail: bool = False) -> int:
        """Run the BPF function at ``addr`` (a callback of ``bpf_loop``, a timer, a tail-called
        program) to completion with r1.. = ``args``; its r0.  Works from inside a helper
        (the callback's frames go above the caller's) and after :meth:`run`.  ``tail``: a
        tail-called program, whose frames do not count towards the caller's call depth
        (it replaces the caller)."""
        rel = (addr & U64) - CODE_BASE
        if not (0 <= rel < 8 * len(self.insns) and rel % 8 == 0):
            raise InvalidInsn(f"call to {addr & U64:#x}, which is not code of the program")
        if len(self.frames) - self._floor >= self.max_frames and not tail:
            raise CallDepthExceeded(f"call depth exceeds {self.max_frames} frames")
        if self.deadline and time.monotonic() > self.deadline:
            raise BudgetExceeded(f"time limit of {self.time_limit:g} s exceeded")
        outer, bottom, floor = self.regs, len(self.frames), self._floor
        if tail:
            self._floor = bottom
        self.regs = [0] * 11
        for i, a in enumerate(args[:sa.MAX_REG_ARGS], 1):
            self.regs[i] = a & U64
        self.frames.append(self._new_frame(return_pc=-1, saved=[]))
        try:
            r0, _, how = self._loop(rel // 8, bottom)
        finally:
            while len(self.frames) > bottom:
                self.memory.unmap(self.frames.pop().stack)
            self.regs, self._floor = outer, floor
        if how == "helper":
            raise ProgramExit(r0)
        if how == "throw":
            raise Thrown(r0)
        return r0

    # -- frames ---------------------------------------------------------------
    def _new_frame(self, return_pc: int, saved: list[int]) -> _Frame:
        depth = len(self.frames)
        base = STACK_BASE + depth * STACK_STRIDE
        stack = self.memory.map(f"stack#{depth}", bytearray(self.stack_size), base=base)
        self.regs[10] = stack.end
        return _Frame(return_pc, saved, stack)

    def _call_local(self, target: int, return_pc: int, pc: int) -> int:
        if not 0 <= target < len(self.insns):
            raise InvalidInsn(f"call to slot {target} outside the program", pc)
        if len(self.frames) - self._floor >= self.max_frames:
            raise CallDepthExceeded(f"call depth exceeds {self.max_frames} frames", pc)
        saved = self.regs[6:11]
        self.frames.append(self._new_frame(return_pc, saved))
        return target

    def _outgoing(self) -> list[int]:
        """Initialized outgoing slots 1..n (stopping at the first hole)."""
        slots, out, k = self.frames[-1].out_slots, [], 1
        while k in slots:
            out.append(slots[k])
            k += 1
        return out

    def _call_native(self, table: dict[int, NativeFn], kind: str, ident: int, pc: int,
                     with_stack_args: bool) -> None:
        fn = table.get(ident)
        if fn is None:
            raise HelperError(f"unknown {kind} {ident}", pc)
        args = self.regs[1:6] + (self._outgoing() if with_stack_args else [])
        try:
            ret = fn(self, *args)
        except (ProgramExit, InterpError, TailCallReturn):
            raise
        except Exception as e:  # a broken helper is a fault of this run, not a crash
            raise HelperError(f"{kind} {ident} failed: {type(e).__name__}: {e}", pc) from e
        self.regs[0] = int(ret) & U64
        self.frames[-1].out_slots.clear()  # every call consumes the outgoing slots

    # -- r11 (stack-argument area) -------------------------------------------
    def _r11_slot(self, insn: Insn, sign: int, pc: int) -> int:
        if not self.stack_args:
            raise InvalidInsn("R11 is invalid (stack arguments disabled)", pc)
        k = sa.load_slot(insn) if sign > 0 else sa.store_slot(insn)
        if k is None:
            raise InvalidInsn("R11 is invalid", pc)
        if k > sa.MAX_SLOTS:
            raise InvalidInsn(f"stack arg offset {insn.off} exceeds max "
                              f"{sa.MAX_SLOTS} stack args", pc)
        return k

    # -- the loop -------------------------------------------------------------
    def _loop(self, pc: int = 0, bottom: int = 0) -> tuple[int, int, str]:
        """Run from slot ``pc`` until the frame above ``bottom`` exits."""
        insns, regs, mem = self.insns, self.regs, self.memory
        n_insns = len(insns)
        executed = 0
        check_at = min(self.max_insns, _TIME_CHECK) if self.deadline else self.max_insns
        while True:
            if not 0 <= pc < n_insns:
                raise InvalidInsn(f"jump out of the program (to slot {pc})", pc)
            executed += 1
            if executed > check_at:
                if executed > self.max_insns:
                    raise BudgetExceeded(f"instruction budget of {self.max_insns} exhausted",
                                         pc)
                if time.monotonic() > self.deadline:
                    raise BudgetExceeded(f"time limit of {self.time_limit:g} s exceeded", pc)
                check_at = min(self.max_insns, executed + _TIME_CHECK)
            insn = insns[pc]
            code, dst, src, off, imm = insn.code, insn.dst, insn.src, insn.off, insn.imm
            cls = code & 7
            if (dst > 10 or src > 10) and not self._is_r11_access(insn):
                raise InvalidInsn(f"invalid register in insn {code:#04x}" if max(dst, src) > 11
                                  else "R11 is invalid", pc)
            nxt = pc + 1

            if cls in (op.ALU, op.ALU64):
                self._exec_alu(insn, pc)

            elif cls in (op.JMP, op.JMP32):
                o = code & 0xF0
                if o == op.JA:
                    if code & op.X:
                        raise InvalidInsn(f"unknown opcode {code:#04x}", pc)
                    nxt = pc + 1 + (imm if cls == op.JMP32 else off)
                elif o in _JCMP:
                    bits = 64 if cls == op.JMP else 32
                    mask = U64 if bits == 64 else U32
                    a = regs[dst] & mask
                    b = (regs[src] if code & op.X else imm) & mask  # imm sign-extends
                    if _JCMP[o](a, b, bits):
                        nxt = pc + 1 + off
                elif cls == op.JMP32:
                    raise InvalidInsn(f"unknown opcode {code:#04x}", pc)
                elif o == op.EXIT:
                    if len(self.frames) == bottom + 1:   # run()/call() unmap its stack
                        return regs[0], executed, "exit"
                    nxt = self._return()
                elif o == op.CALL:
                    try:
                        nxt = self._exec_call(insn, pc)
                    except ProgramExit as e:
                        regs[0] = e.value
                        return (e.value, executed,
                                "throw" if isinstance(e, Thrown) else "helper")
                    except TailCallReturn as e:        # the function returns what the
                        regs[0] = e.value               # tail-called program returned
                        if len(self.frames) == bottom + 1:
                            return regs[0], executed, "exit"
                        nxt = self._return()
                elif o == op.JCOND:
                    if src != op.MAY_GOTO:
                        raise InvalidInsn(f"unknown jcond kind {src}", pc)
                    # may_goto: falls through while the loop budget lasts, then jumps.
                    if self._loops == 0:
                        nxt = pc + 1 + off
                    else:
                        self._loops -= 1
                else:
                    raise InvalidInsn(f"unknown opcode {code:#04x}", pc)

            elif cls == op.LD:
                if code != op.LD_IMM64:
                    mode = code & 0xE0
                    if self.ld_abs is None or mode not in (op.ABS, op.IND):
                        raise InvalidInsn(f"unsupported instruction {code:#04x} "
                                          "(legacy packet access)", pc)
                    # LD_ABS/LD_IND: r0 = packet bytes at (src +) imm, big endian, from
                    # the skb in r6; out of range ends the program with 0 (r1-r5 scratched)
                    at = (imm + (regs[src] if mode == op.IND else 0)) & U32
                    v = self.ld_abs(self, regs[6], at, {op.B: 1, op.H: 2, op.W: 4}[code & 0x18])
                    regs[1:6] = [0] * 5
                    if v is None:
                        regs[0] = 0
                        return 0, executed, "exit"
                    regs[0] = v & U64
                    pc = nxt
                    continue
                if pc + 1 >= n_insns:
                    raise InvalidInsn("LD_IMM64 has no second half", pc)
                second = insns[pc + 1]
                if src == 0:
                    regs[dst] = imm64(insn, second)
                elif src == op.PSEUDO_FUNC:
                    regs[dst] = CODE_BASE + 8 * (pc + 1 + imm)
                elif self.ld_imm64_resolver is not None:
                    regs[dst] = self.ld_imm64_resolver(insn, second, pc) & U64
                else:
                    raise InvalidInsn(f"LD_IMM64 with pseudo source {src} needs a resolver", pc)
                nxt = pc + 2

            elif cls == op.LDX:
                mode, size = code & 0xE0, op.SIZE_BYTES[code & 0x18]
                if src == op.PARAMS:
                    if mode != op.MEM:
                        raise InvalidInsn("R11 is invalid", pc)
                    regs[dst] = self._read_incoming(self._r11_slot(insn, +1, pc), pc)
                elif mode == op.MEM:
                    regs[dst] = mem.load((regs[src] + off) & U64, size, pc)
                elif mode == op.MEMSX and size != 8:
                    regs[dst] = sext(mem.load((regs[src] + off) & U64, size, pc),
                                      8 * size) & U64
                else:
                    raise InvalidInsn(f"unknown opcode {code:#04x}", pc)

            elif cls in (op.ST, op.STX):
                mode, size = code & 0xE0, op.SIZE_BYTES[code & 0x18]
                if cls == op.STX and mode == op.ATOMIC:
                    if dst == op.PARAMS:
                        raise InvalidInsn("R11 is invalid", pc)
                    self._exec_atomic(insn, size, pc)
                elif mode != op.MEM:
                    raise InvalidInsn(f"unknown opcode {code:#04x}", pc)
                else:
                    value = regs[src] if cls == op.STX else imm & U64
                    if dst == op.PARAMS:
                        self.frames[-1].out_slots[self._r11_slot(insn, -1, pc)] = value
                    else:
                        mem.store((regs[dst] + off) & U64, size, value, pc)
            pc = nxt

    def _return(self) -> int:
        """Leave the current BPF function (``exit`` of a callee); the slot to resume at."""
        frame = self.frames.pop()
        self.memory.unmap(frame.stack)
        self.regs[6:11] = frame.saved
        self.frames[-1].out_slots.clear()
        return frame.return_pc

    def _is_r11_access(self, insn: Insn) -> bool:
        """Only memory operands may name r11 (dst of ST/STX, src of LDX)."""
        cls = insn.code & 7
        if cls in (op.ST, op.STX):
            return insn.dst == op.PARAMS and insn.src <= 10
        if cls == op.LDX:
            return insn.src == op.PARAMS and insn.dst <= 10
        return False

    def _read_incoming(self, k: int, pc: int) -> int:
        if len(self.frames) < 2:
            raise InterpError(f"invalid read from stack arg off {8 * k}: the main program "
                              "has no caller", pc)
        slots = self.frames[-2].out_slots
        if k not in slots:
            raise InterpError(f"stack arg{k} of the caller is not initialized", pc)
        return slots[k]

    def _exec_call(self, insn: Insn, pc: int) -> int:
        code, regs = insn.code, self.regs
        if code & op.X:  # callx: the target is in dst
            target = regs[insn.dst]
            rel = target - CODE_BASE
            if 0 <= rel < 8 * len(self.insns) and rel % 8 == 0:
                return self._call_local(rel // 8, pc + 1, pc)
            # ubpf / bpf_conformance convention: a small value names a helper.
            self._call_native(self.helpers, "helper", target, pc, with_stack_args=False)
            return pc + 1
        if insn.src == op.PSEUDO_CALL:
            return self._call_local(pc + 1 + insn.imm, pc + 1, pc)
        if insn.src == op.PSEUDO_KFUNC_CALL:
            self._call_native(self.kfuncs, "kfunc", insn.imm, pc, with_stack_args=True)
            return pc + 1
        if insn.src == op.CALL_HELPER:
            self._call_native(self.helpers, "helper", insn.imm, pc, with_stack_args=False)
            return pc + 1
        raise InvalidInsn(f"unknown call kind src={insn.src}", pc)

    def _exec_alu(self, insn: Insn, pc: int) -> None:
        regs = self.regs
        code, dst, off, imm = insn.code, insn.dst, insn.off, insn.imm
        is64 = (code & 7) == op.ALU64
        bits, mask = (64, U64) if is64 else (32, U32)
        o = code & 0xF0
        a = regs[dst] & mask
        b = (regs[insn.src] if code & op.X else imm) & mask  # imm sign-extends to 64
        if o == op.END:
            if is64 or code & op.TO_BE:  # bswap (ALU64) and to-BE swap on a LE machine
                if imm not in (16, 32, 64):
                    raise InvalidInsn(f"byte swap width {imm}", pc)
                regs[dst] = _bswap(regs[dst], imm)
            else:  # to-LE on a LE machine only truncates
                if imm not in (16, 32, 64):
                    raise InvalidInsn(f"byte swap width {imm}", pc)
                regs[dst] = regs[dst] & ((1 << imm) - 1)
            return
        if o == op.NEG:
            regs[dst] = (-a) & mask
            return
        if o == op.MOV:
            if off == 0:
                regs[dst] = b
            elif code & op.X and off in (8, 16) or (is64 and off == 32 and code & op.X):
                regs[dst] = sext(regs[insn.src], off) & mask  # movsx
            else:
                raise InvalidInsn(f"unsupported mov with offset {off}", pc)
            return
        if o in (op.DIV, op.MOD) and off not in (0, 1):
            raise InvalidInsn(f"div/mod with offset {off}", pc)
        if o not in (op.ADD, op.SUB, op.MUL, op.DIV, op.MOD, op.OR, op.AND, op.XOR,
                     op.LSH, op.RSH, op.ARSH):
            raise InvalidInsn(f"unknown opcode {code:#04x}", pc)
        r = _alu(o, a, b, off, bits)
        # mod by zero keeps dst; for ALU32 that still zero-extends the low half.
        regs[dst] = a if r is None else r

    def _exec_atomic(self, insn: Insn, size: int, pc: int) -> None:
        regs, mem = self.regs, self.memory
        imm = insn.imm
        if imm == op.LOAD_ACQ:  # dst = *(src + off)
            regs[insn.dst] = mem.load((regs[insn.src] + insn.off) & U64, size, pc)
            return
        if imm == op.STORE_REL:  # *(dst + off) = src
            mem.store((regs[insn.dst] + insn.off) & U64, size, regs[insn.src], pc)
            return
        if size not in (4, 8):
            raise InvalidInsn(f"atomic of {size} bytes", pc)
        addr = (regs[insn.dst] + insn.off) & U64
        mask = (1 << (8 * size)) - 1
        old = mem.load(addr, size, pc)
        src_val = regs[insn.src] & mask
        if imm == op.XCHG:
            mem.store(addr, size, src_val, pc)
            regs[insn.src] = old
        elif imm == op.CMPXCHG:
            if old == regs[0] & mask:
                mem.store(addr, size, src_val, pc)
            regs[0] = old  # zero-extended for the 32-bit form
        elif (imm & ~op.FETCH) in op.ATOMIC_RMW_OPS:
            o = imm & ~op.FETCH
            new = {op.ADD: old + src_val, op.OR: old | src_val, op.AND: old & src_val,
                   op.XOR: old ^ src_val}[o]
            mem.store(addr, size, new & mask, pc)
            if imm & op.FETCH:
                regs[insn.src] = old
        else:
            raise InvalidInsn(f"unknown atomic op {imm:#x}", pc)


# --- conformance-suite convenience ------------------------------------------------
def run_conformance(insns: list[Insn], mem: bytes = b"", *, max_insns: int = 1_000_000,
                    helpers: dict[int, NativeFn] | None = None) -> RunResult:
    """Run a conformance program as the suite's plugins do.

    r1 = pointer to a writable copy of ``mem`` (0 if empty), r2 = its length,
    512 bytes of stack, helper 5 = :func:`unwind_helper`.
    """
    memory = Memory()
    table = {5: unwind_helper, **(helpers or {})}
    vm = Interpreter(insns, helpers=table, memory=memory, max_insns=max_insns)
    if mem:
        region = memory.map("mem", bytearray(mem))
        return vm.run(region.base, len(mem))
    return vm.run(0, 0)
