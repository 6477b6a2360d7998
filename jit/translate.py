"""BPF -> x86-64, one function at a time into one image (the kernel's ``do_jit``).

Layout follows the kernel: code size depends on jump distances (rel8 vs
rel32) and distances depend on code size, so the whole program is emitted in
passes, each pass using the previous pass's instruction offsets, until the
offsets stop changing (the kernel starts from a 64-bytes-per-instruction
guess, so early passes over-estimate and jumps only shrink).  If that does not
settle in :data:`MAX_PASSES`, every jump is forced to its rel32 form, whose
size does not depend on distances, and two more passes are exact.

Within a pass each BPF instruction's code ends with its BPF branch (if any),
so a jump's displacement is ``target start - this instruction's end``, both
from the previous pass — exact once converged.  Jumps *inside* one
instruction's code (division guards, the atomic cmpxchg loop) are over
code of known size and computed directly.

Semantics the ISA fixes and x86 does not give for free (DESIGN.md §3):
division by zero yields 0 and modulo by zero keeps dst, ``INT_MIN / -1``
yields ``INT_MIN`` (x86 would trap); the kernel relies on the verifier having
patched guards into the program, this JIT emits them itself.  Shift counts
are masked by the CPU exactly as BPF masks them, and 32-bit operations
zero-extend on both.

Stack arguments (``r11``): slot 1 is r9 both ways; incoming slot ``k >= 2``
is ``[rbp + 8k]``; outgoing slot ``k >= 2`` is written straight into the
outgoing area at the bottom of the frame, which puts argument 7 at ``[rsp]``
at the call.  The area is reserved in the prologue, sized by the largest
``k`` the function stores.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from isa import Insn
from isa import opcodes as op
from isa import stack_args as sa
from isa.insn import IsaError, check_program

from . import x86_encode as x
from .emit_alu import AluEmitter
from .emit_mem import MemEmitter
from .facts import FuncFacts, FuncSpec, analyse
from .fuse import fuse
from .image import HELPER_STRIDE, MAX_HELPER_ID, FuncLayout, Image, JitError, Reloc, Target
from .regmap import AUX, AX, CALLEE_SAVED, reg

__all__ = ["jit", "JitOptions", "MAX_PASSES", "BPF_MAX_LOOPS"]

MAX_PASSES = 20
BPF_MAX_LOOPS = 8 * 1024 * 1024   # may_goto budget per function invocation (the kernel's)
RAX, RCX, RDX, RSI, RDI, RBP, RSP = x.RAX, x.RCX, x.RDX, x.RSI, x.RDI, x.RBP, x.RSP

_JCC = {op.JEQ: "e", op.JNE: "ne", op.JGT: "a", op.JGE: "ae", op.JLT: "b", op.JLE: "be",
        op.JSGT: "g", op.JSGE: "ge", op.JSLT: "l", op.JSLE: "le", op.JSET: "ne"}


def host_has_bmi2() -> bool:
    """Whether this machine's CPU has BMI2 (the ``bmi2`` flag of /proc/cpuinfo)."""
    global _HOST_BMI2
    if _HOST_BMI2 is None:
        try:
            with open("/proc/cpuinfo") as f:
                _HOST_BMI2 = any(line.startswith("flags") and "bmi2" in line.split()
                                 for line in f)
        except OSError:
            _HOST_BMI2 = False
    return _HOST_BMI2


_HOST_BMI2: bool | None = None


@dataclass
class JitOptions:
    endbr: bool = False   # emit endbr64 at function entries (the kernel does with IBT)
    # shifts by a register as BMI2 shlx/shrx/sarx (one instruction, no rcx shuffle), as the
    # kernel does when boot_cpu_has(X86_FEATURE_BMI2); default: what this CPU has
    bmi2: bool = field(default_factory=host_has_bmi2)
    # two BPF instructions as one x86 one where x86 has the form (see jit.fuse): mov + op as
    # imul/lea, an incoming stack argument's load folded into its single use
    fuse: bool = True
    # a leaf function that never touches r10, pushes nothing and has no stack gets no
    # rbp frame (push rbp / mov rbp, rsp / leave); its stack arguments are rsp-relative
    frameless_leaves: bool = True


@dataclass
class _Frame:
    facts: FuncFacts
    stack_size: int
    pushed: tuple[int, ...]
    out_area: int
    pad: int
    may_goto_slot: int | None
    frameless: bool = False

    def arg_mem(self, k: int) -> tuple[int, int]:
        """(base, disp) of incoming stack-argument slot k >= 2 (arg 5 + k)."""
        return (RSP, 8 * k - 8) if self.frameless else (RBP, 8 * k)

    @property
    def frame_size(self) -> int:
        return self.stack_size + 8 * len(self.pushed) + self.pad + self.out_area

    def out_slot_disp(self, k: int) -> int:
        """rbp-relative address of outgoing slot k >= 2 (arg 5+k): [rsp + 8(k-2)] at a call."""
        return -self.frame_size + 8 * (k - 2)


def _round8(n: int) -> int:
    return (n + 7) & ~7


def _frame(f: FuncFacts, options: JitOptions) -> _Frame:
    stack = _round8(max(f.stack_depth, 0))
    slot = None
    if f.uses_may_goto:
        stack += 8
        slot = -stack
    pushed = tuple(CALLEE_SAVED[r] for r in f.used_callee_saved)
    out_area = 8 * max(0, f.out_slots - 1)
    below = stack + 8 * len(pushed) + out_area
    pad = (-below) % 16 if f.makes_calls else 0     # rsp is 16-byte aligned at calls
    frameless = (options.frameless_leaves and below == 0 and not f.makes_calls
                 and not f.uses_fp and slot is None)
    return _Frame(f, stack, pushed, out_area, pad, slot, frameless)


@dataclass
class _Layout:
    """Offsets one pass produced (and the next pass uses for displacements)."""
    starts: list[int]
    ends: list[int]
    func_offsets: list[int]
    epilogues: list[int]
    size: int

    def same(self, other: "_Layout") -> bool:
        return (self.starts == other.starts and self.ends == other.ends
                and self.func_offsets == other.func_offsets and self.epilogues == other.epilogues
                and self.size == other.size)


@dataclass
class _Pass(AluEmitter, MemEmitter):
    """One emission of the whole program."""
    insns: list[Insn]
    funcs: list[FuncFacts]
    frames: list[_Frame]
    prev: _Layout
    force_long: bool
    options: JitOptions
    dead: frozenset[int] = frozenset()
    fused: dict[int, bytes] = field(default_factory=dict)
    buf: bytearray = field(default_factory=bytearray)
    relocs: list[Reloc] = field(default_factory=list)
    layouts: list[FuncLayout] = field(default_factory=list)

    def run(self) -> _Layout:
        n = len(self.insns)
        self.starts, self.ends = [-1] * n, [-1] * n
        self.func_offsets, self.epilogues = [], []
        self.func_index = {f.start: k for k, f in enumerate(self.funcs)}
        for k, (f, fr) in enumerate(zip(self.funcs, self.frames)):
            self.fidx, self.frame = k, fr
            offset = len(self.buf)
            self.func_offsets.append(offset)
            self._prologue(fr)
            body = len(self.buf)
            i = f.start
            while i < f.end:
                self.cur, self.cur_start = i, len(self.buf)
                self.starts[i] = self.cur_start
                if i in self.dead:      # never reached: no code (the kernel removes it)
                    width = 2 if self.insns[i].code == op.LD_IMM64 and i + 1 < f.end else 1
                elif i in self.fused:   # this slot and the next as one x86 instruction
                    self.emit(self.fused[i])
                    self.starts[i + 1] = len(self.buf)
                    width = 2
                else:
                    width = self._insn(i, self.insns[i])
                self.ends[i] = len(self.buf)
                if width == 2:
                    self.ends[i + 1] = len(self.buf)
                i += width
            epi = len(self.buf)
            self.epilogues.append(epi)
            self._epilogue(fr)
            self.layouts.append(FuncLayout(
                name=f.name, start=f.start, end=f.end, offset=offset, size=len(self.buf) - offset,
                body_offset=body, epilogue_offset=epi, stack_size=fr.stack_size,
                pushed=fr.pushed, out_slots=f.out_slots, out_area=fr.out_area,
                frame_size=fr.frame_size, stack_arg_cnt=f.stack_arg_cnt,
                may_goto_slot=fr.may_goto_slot))
        return _Layout(self.starts, self.ends, self.func_offsets, self.epilogues, len(self.buf))

    # -- emission helpers --------------------------------------------------------------
    def emit(self, *chunks: bytes) -> None:
        for c in chunks:
            self.buf += c

    def fail(self, message: str) -> JitError:
        return JitError(message, self.cur)

    def _pos_prev(self) -> int:
        """Where the next byte of this instruction was in the previous pass."""
        return self.prev.starts[self.cur] + (len(self.buf) - self.cur_start)

    def _branch(self, cc: str | None, target_prev: int, tail: int = 0) -> None:
        """Jump (or Jcc) to a previous-pass offset; ``tail`` bytes of this instruction follow.
        A jump to the very next byte is left out (the kernel's "optimize out nop jumps"):
        the code in between is empty, so it stays empty in the next pass."""
        end_prev = self.prev.ends[self.cur] - tail
        rel = target_prev - end_prev
        if rel == 0 and not tail and not self.force_long:
            return
        if not self.force_long and x.fits_i8(rel):
            self.emit(x.jmp_rel8(rel) if cc is None else x.jcc_rel8(cc, rel))
        else:
            self.emit(x.jmp_rel32(rel) if cc is None else x.jcc_rel32(cc, rel))

    def _bpf_target(self, i: int, rel: int) -> int:
        t = i + 1 + rel
        f = self.funcs[self.fidx]
        if not f.start <= t < f.end:
            raise self.fail(f"jump to slot {t} leaves function {f.name} [{f.start}, {f.end})")
        if self.prev.starts[t] < 0:   # only LD_IMM64 second halves have no code
            raise self.fail(f"jump into the middle of LD_IMM64 at slot {t - 1}")
        return t

    def _reloc(self, field_offset: int, kind: str, target: Target) -> None:
        self.relocs.append(Reloc(field_offset, kind, target, self.cur))

    def _call_target(self, target: Target) -> None:
        """``call rel32`` to something outside the image (a trampoline)."""
        self.emit(b"\xE8")
        self._reloc(len(self.buf), "rel32", target)
        self.emit(b"\0\0\0\0")

    # -- prologue / epilogue -----------------------------------------------------------
    def _prologue(self, fr: _Frame) -> None:
        if self.options.endbr:
            self.emit(x.endbr64())
        if fr.frameless:
            return
        self.emit(x.push(RBP), x.mov_rr(RBP, RSP))
        # the BPF stack and the padding sit above the pushed registers (leave frees them),
        # the outgoing area below; without pushed registers one sub reserves everything
        above, below = fr.stack_size + fr.pad, fr.out_area
        if not fr.pushed:
            above, below = above + below, 0
        if above == 8:
            self.emit(x.push(RAX))  # 1 byte instead of 4; the slot's contents do not matter
        elif above:
            self.emit(x.alu_ri("sub", RSP, above))
        for r in fr.pushed:
            self.emit(x.push(r))
        if below:
            self.emit(x.alu_ri("sub", RSP, below))
        if fr.may_goto_slot is not None:
            self.emit(x.store_imm(8, RBP, fr.may_goto_slot, BPF_MAX_LOOPS))

    def _epilogue(self, fr: _Frame) -> None:
        if fr.out_area and fr.pushed:   # otherwise leave restores rsp by itself
            self.emit(x.alu_ri("add", RSP, fr.out_area))
        for r in reversed(fr.pushed):
            self.emit(x.pop(r))
        if not fr.frameless:
            self.emit(x.leave())
        self.emit(x.ret())

    # -- one instruction ---------------------------------------------------------------
    def _insn(self, i: int, insn: Insn) -> int:
        cls = insn.code & 7
        if insn.dst > 11 or insn.src > 11:
            raise self.fail(f"invalid register in insn {insn.code:#04x}")
        if sa.touches_r11(insn) and not ((cls in (op.ST, op.STX) and insn.dst == op.PARAMS and insn.src <= 10)
                        or (cls == op.LDX and insn.src == op.PARAMS and insn.dst <= 10)):
            raise self.fail("R11 is invalid")
        if insn.dst == op.FP and cls in (op.ALU, op.ALU64, op.LDX) or (
                cls == op.LD and insn.code == op.LD_IMM64 and insn.dst == op.FP):
            raise self.fail("frame pointer is read only")
        if cls in (op.ALU, op.ALU64):
            self._alu(insn)
        elif cls in (op.JMP, op.JMP32):
            self._jmp(i, insn)
        elif cls == op.LD:
            return self._ld(i, insn)
        elif cls == op.LDX:
            self._ldx(insn)
        elif cls in (op.ST, op.STX):
            self._st(insn)
        return 1

    # -- ALU ---------------------------------------------------------------------------
    def _jmp(self, i: int, insn: Insn) -> None:
        cls, o = insn.code & 7, insn.code & 0xF0
        if o == op.JA:
            if insn.code & op.X:
                raise self.fail(f"unknown opcode {insn.code:#04x}")
            t = self._bpf_target(i, insn.imm if cls == op.JMP32 else insn.off)
            return self._branch(None, self.prev.starts[t])
        if o in _JCC:
            t = self._bpf_target(i, insn.off)
            if t in self.dead:          # never taken: no code at all
                return
            if i + 1 in self.dead:      # never falls through: an unconditional jump
                return self._branch(None, self.prev.starts[t])
            is64 = cls == op.JMP
            a = reg(insn.dst)
            if insn.code & op.X:
                b = reg(insn.src)
                self.emit(x.test_rr(a, b, is64) if o == op.JSET else x.alu_rr("cmp", a, b, is64))
            elif insn.imm == 0 and o != op.JSET:   # same flags as cmp a, 0, shorter
                self.emit(x.test_rr(a, a, is64))
            elif o == op.JSET and 0 <= insn.imm <= 0xFF:   # only ZF matters
                self.emit(x.test_ri8(a, insn.imm))
            else:
                self.emit(x.test_ri(a, insn.imm, is64) if o == op.JSET
                          else x.alu_ri("cmp", a, insn.imm, is64))
            return self._branch(_JCC[o], self.prev.starts[t])
        if cls == op.JMP32:
            raise self.fail(f"unknown opcode {insn.code:#04x}")
        if o == op.EXIT:
            if insn.code != op.EXIT_OP:
                raise self.fail(f"unknown opcode {insn.code:#04x}")
            if i + 1 < self.funcs[self.fidx].end:    # the last one falls into the epilogue
                self._branch(None, self.prev.epilogues[self.fidx])
            return
        if o == op.CALL:
            return self._call(i, insn)
        if o == op.JCOND:
            if insn.src != op.MAY_GOTO:
                raise self.fail(f"unknown jcond kind {insn.src}")
            return self._may_goto(i, insn)
        raise self.fail(f"unknown opcode {insn.code:#04x}")

    def _may_goto(self, i: int, insn: Insn) -> None:
        """Fall through while this invocation's budget lasts, then jump (counter stays 0).
        ``may_goto +0`` goes to the next instruction either way: no code."""
        t = self._bpf_target(i, insn.off)
        if insn.off == 0:
            return
        slot = self.frame.may_goto_slot
        dec = x.alu_mi("sub", RBP, slot, 1)
        self.emit(x.alu_mi("cmp", RBP, slot, 0))
        self._branch("e", self.prev.starts[t], tail=len(dec))
        self.emit(dec)

    def _call(self, i: int, insn: Insn) -> None:
        if insn.code & op.X:                     # callx: function address or helper id in dst
            return self._callx(reg(insn.dst))
        if insn.src == op.PSEUDO_CALL:
            t = i + 1 + insn.imm
            k = self.func_index.get(t)
            if k is None:
                raise self.fail(f"call to slot {t}, which starts no function")
            rel = self.prev.func_offsets[k] - (self._pos_prev() + x.CALL_LEN)
            return self.emit(x.call_rel32(rel))
        if insn.src == op.PSEUDO_KFUNC_CALL:
            return self._call_target(Target("kfunc", insn.imm))
        if insn.src == op.CALL_HELPER:
            return self._call_target(Target("helper", insn.imm))
        raise self.fail(f"unknown call kind src={insn.src}")

    def _callx(self, target: int) -> None:
        # values below MAX_HELPER_ID are helper ids (the ubpf / bpf_conformance convention):
        # aux = helper_table + id * HELPER_STRIDE; anything else is called as an address
        shift = HELPER_STRIDE.bit_length() - 1
        table = x.movabs(AX, 0)
        via_table = x.shift_ri("shl", AUX, shift) + table + x.alu_rr("add", AUX, AX)
        self.emit(x.mov_rr(AUX, target), x.alu_ri("cmp", AUX, MAX_HELPER_ID),
                  x.jcc_rel8("ae", len(via_table)), x.shift_ri("shl", AUX, shift))
        self._reloc(len(self.buf) + 2, "abs64", Target("helper_table"))
        self.emit(table, x.alu_rr("add", AUX, AX), x.call_r(AUX))

    # -- loads -------------------------------------------------------------------------
def jit(insns: list[Insn], funcs: list[FuncSpec] | None = None,
        options: JitOptions | None = None, *, dead: Iterable[int] | None = None,
        seen: Sequence[bool] | None = None) -> Image:
    """Translate a linked BPF program (main function at slot 0) into an :class:`Image`.

    ``dead``: slots the verifier proved unreachable, or ``seen``: the verifier's
    per-slot "reached" flags (``Verdict.seen_insns``; a slot is dead where it is
    false).  Dead slots get no code and ``insn_offsets`` -1, a conditional jump
    into dead code becomes no code, one whose fall-through is dead becomes a
    ``jmp`` (the kernel's ``opt_hard_wire_dead_code_branches`` and
    ``opt_remove_dead_code``).  Without either, every slot is translated.
    """
    options = options or JitOptions()
    try:  # undefined encodings are refused up front, as the kernel does at load time
        check_program(list(insns))
    except IsaError as e:
        raise JitError(str(e), e.index) from None
    n = len(insns)
    gone = set(dead or ())
    if seen is not None:
        if len(seen) != n:
            raise JitError(f"seen has {len(seen)} flags for {n} instructions")
        gone |= {i for i, s in enumerate(seen) if not s}
    skip = set()
    i = 0
    while i < n:            # an LD_IMM64's second half lives and dies with its first
        if insns[i].code == op.LD_IMM64:
            skip.add(i + 1)
            i += 2
        else:
            i += 1
    dead_set = frozenset(k for k in gone if 0 <= k < n and k not in skip)
    facts = analyse(list(insns), funcs, dead_set)
    frames = [_frame(f, options) for f in facts]
    fused: dict[int, bytes] = {}
    if options.fuse:
        # which pairs fuse does not depend on the frame; a folded load's register is never
        # touched in x86 (so it may need no saving, which may make a leaf frameless): decide,
        # redo the facts and frames, then encode with the final frames
        pairs = fuse(list(insns), facts, dead_set, lambda fi, k: frames[fi].arg_mem(k))
        untouched = {}
        for i in pairs:
            if insns[i].code & 7 == op.LDX and insns[i].src == op.PARAMS:
                untouched[i] = insns[i].dst          # the load's destination
                untouched[i + 1] = insns[i].dst      # ... read by its use as src
        if untouched:
            facts = analyse(list(insns), funcs, dead_set, untouched)
            frames = [_frame(f, options) for f in facts]
        fused = fuse(list(insns), facts, dead_set, lambda fi, k: frames[fi].arg_mem(k))
        assert fused.keys() == pairs.keys()
    # the kernel's first guess: 64 bytes per instruction (over-estimates, so jumps shrink)
    guess = [64 * (i + 1) for i in range(n)]
    prev = _Layout(starts=[64 * i for i in range(n)], ends=guess,
                   func_offsets=[64 * f.start for f in facts],
                   epilogues=[64 * f.end for f in facts], size=64 * n)
    force_long = False
    passes = 0
    while True:
        passes += 1
        p = _Pass(list(insns), facts, frames, prev, force_long, options, dead_set, fused)
        layout = p.run()
        if layout.same(prev):
            break
        prev = layout
        if passes >= MAX_PASSES and not force_long:
            force_long = True
        if passes > MAX_PASSES + 3:
            raise JitError("code layout did not converge")
    offsets = list(layout.starts)
    for k in skip | dead_set:   # LD_IMM64 second halves and dead slots have no code
        if k < n:
            offsets[k] = -1
    return Image(code=bytes(p.buf), funcs=p.layouts, relocs=p.relocs, insn_offsets=offsets,
                 insn_count=n, passes=passes)
