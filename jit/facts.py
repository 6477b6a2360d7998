"""Per-function facts the translator needs, from the caller or from the code itself.

The kernel's JIT gets these from the verifier (``env->subprog_info``): where
each function starts, its stack depth, how many stack-argument slots it
receives and how many it writes.  Here they come from a :class:`FuncSpec`
list (built from the verifier's ``SubprogFacts``, or from BTF and the
loader's function table) and whatever is missing is derived from the
instructions:

* function starts: slot 0, every BPF-to-BPF call target and every
  ``LD_IMM64 PSEUDO_FUNC`` (callback) target — the kernel's ``add_subprog``;
* outgoing slots: the largest ``k`` of any ``*(u64 *)(r11 - 8k)`` store in
  the function (exact: r11 has no other write shape);
* stack depth: ``MAX_BPF_STACK`` (512) unless known, which is always enough;
* which callee-saved registers (BPF r6-r9) the function touches, whether
  it uses ``may_goto`` (it then needs a loop counter in its frame) and whether
  it calls anything (only then must its frame keep rsp 16-byte aligned).
"""

from __future__ import annotations

from dataclasses import dataclass

from isa import Insn
from isa import opcodes as op
from isa import stack_args as sa

from .image import JitError

MAX_BPF_STACK = 512


@dataclass(frozen=True)
class FuncSpec:
    """What the caller knows about one function; ``None`` fields are derived."""
    start: int
    name: str = ""
    stack_depth: int | None = None     # bytes of r10 stack (verifier's stack_depth)
    stack_arg_cnt: int | None = None   # incoming stack-argument slots (BTF prototype)
    out_slots: int | None = None       # outgoing slots written (verifier's out_stack_arg_cnt)


@dataclass(frozen=True)
class FuncFacts:
    name: str
    start: int
    end: int
    stack_depth: int
    stack_arg_cnt: int | None
    out_slots: int
    used_callee_saved: tuple[int, ...]  # BPF registers among r6..r9 the function uses
    uses_may_goto: bool
    makes_calls: bool = True            # any call (helper, kfunc, bpf2bpf, callx, LD_ABS)
    uses_fp: bool = True                # reads r10 anywhere


def _second_halves(insns: list[Insn]) -> set[int]:
    out, i = set(), 0
    while i < len(insns):
        if insns[i].code == op.LD_IMM64:
            out.add(i + 1)
            i += 2
        else:
            i += 1
    return out


def function_starts(insns: list[Insn]) -> list[int]:
    """Slot 0 plus every call and callback target, sorted (the kernel's add_subprog)."""
    starts = {0}
    skip = _second_halves(insns)
    for i, insn in enumerate(insns):
        if i in skip:
            continue
        if insn.code == op.CALL_OP and insn.src == op.PSEUDO_CALL:
            starts.add(i + 1 + insn.imm)
        elif insn.code == op.LD_IMM64 and insn.src == op.PSEUDO_FUNC:
            starts.add(i + 1 + insn.imm)
    for s in starts:
        if not 0 <= s < len(insns) or s in skip:
            raise JitError(f"call or callback target {s} is not an instruction of the program")
    return sorted(starts)


def analyse(insns: list[Insn], specs: list[FuncSpec] | None = None,
            dead: frozenset[int] | set[int] = frozenset(),
            untouched: dict[int, int] | None = None) -> list[FuncFacts]:
    """One :class:`FuncFacts` per function, in slot order.  Slots in ``dead`` (code the
    verifier never reached) count for nothing: no registers, slots or may_goto.
    ``untouched``: {slot: BPF register} that slot mentions but its x86 code does not
    (a stack-argument load folded into its use), so it needs no saving for that slot."""
    untouched = untouched or {}
    if not insns:
        raise JitError("empty program")
    given = {s.start: s for s in specs or ()}
    starts = sorted(set(function_starts(insns)) | set(given))
    if starts[0] != 0:
        raise JitError("the first function must start at slot 0")
    skip = _second_halves(insns)
    out = []
    for n, start in enumerate(starts):
        end = starts[n + 1] if n + 1 < len(starts) else len(insns)
        spec = given.get(start, FuncSpec(start))
        out_slots, used, may_goto, calls, fp = 0, set(), False, False, False
        for i in range(start, end):
            if i in skip or i in dead:
                continue
            insn = insns[i]
            k = sa.store_slot(insn)
            if k is not None:
                out_slots = max(out_slots, k)
            # an LD_IMM64's src field is its pseudo kind (6 = PSEUDO_MAP_IDX_VALUE), no register
            for r in (insn.dst,) if insn.code == op.LD_IMM64 else (insn.dst, insn.src):
                if untouched.get(i) == r:
                    continue
                if 6 <= r <= 9:
                    used.add(r)
                elif r == op.FP:
                    fp = True
            if insn.code == op.JMP | op.JCOND and insn.off != 0:   # may_goto +0 is a nop
                may_goto = True
            cls = insn.code & 7
            if (insn.code & 0xF0 == op.CALL and cls == op.JMP) or (
                    cls == op.LD and insn.code & 0xE0 in (op.ABS, op.IND)):
                calls = True
        depth = MAX_BPF_STACK if spec.stack_depth is None else spec.stack_depth
        if spec.out_slots is not None:
            out_slots = spec.out_slots
        out.append(FuncFacts(spec.name or ("main" if start == 0 else f"func_{start}"), start, end,
                             depth, spec.stack_arg_cnt, out_slots, tuple(sorted(used)), may_goto,
                             calls, fp))
    return out
