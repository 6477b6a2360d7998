"""Liveness: which registers and stack slots may still be read.

State pruning ignores dead values, so two states that differ only in dead
registers or slots are the same.  Two analyses, as in the kernel:

* **Registers** (kernel: compute_live_registers) - a static backward data
  flow over the instruction graph before verification: ``live_before[i]``
  is the set of r0-r10 that some path from ``i`` reads before writing.
  Calls read their argument registers (helper prototypes give the count)
  and clobber r0-r5; exit reads r0.

* **Stack slots** (kernel: kernel/bpf/liveness.c) - gathered *during*
  verification because stack addresses are only known then: :mod:`verifier.stack_liveness`.

The stack-argument kernel's argument-tracking flow (its ``arg JOIN`` log lines) is in
:mod:`verifier.arg_tracking`.
"""

from __future__ import annotations

from isa import Insn
from isa import opcodes as op
from verifier.helpers import get_proto

ALL_CALLER_SAVED = 0b111111   # r0-r5
_ALL = 0xFFFF


def _insn_use_def(env, i: int) -> tuple[int, int]:
    insn = env.insns[i]
    code = insn.code
    cls = code & 7
    mode = code & 0xE0
    o = code & 0xF0
    src = 1 << insn.src if insn.src < 16 else 0
    dst = 1 << insn.dst if insn.dst < 16 else 0
    use, d = _ALL, 0
    if cls == op.LD:
        if mode == op.IMM and (code & 0x18) == op.DW:
            d, use = dst, 0
    elif cls == op.LDX:
        if mode in (op.MEM, op.MEMSX):
            d, use = dst, src
    elif cls == op.ST:
        if mode == op.MEM:
            d, use = 0, dst
    elif cls == op.STX:
        if mode == op.MEM:
            d, use = 0, dst | src
        elif mode == op.ATOMIC:
            imm = insn.imm
            if imm == op.CMPXCHG:
                use, d = 1 | dst | src, 1
            elif imm == op.LOAD_ACQ:
                d, use = dst, src
            elif imm == op.STORE_REL:
                d, use = 0, dst | src
            else:
                use = dst | src
                d = src if imm & op.FETCH else 0
    elif cls in (op.ALU, op.ALU64):
        if o == op.END:
            use = d = dst
        elif o == op.MOV:
            d = dst
            use = src if code & op.X else 0
        else:
            d = dst
            use = dst | src if code & op.X else dst
    elif cls in (op.JMP, op.JMP32):
        if o == op.JA:
            d = 0
            use = dst if code & op.X else 0
        elif o == op.JCOND:
            d = use = 0
        elif o == op.EXIT:
            d, use = 0, 1
        elif o == op.CALL:
            d = ALL_CALLER_SAVED
            use = d & ~1
            n = _call_params(env, insn)
            if n is not None:
                use = ((1 << n) - 1) << 1
        else:
            d = 0
            use = dst | src if code & op.X else dst
    return use, d


def _call_params(env, insn) -> int | None:
    """kernel: get_call_summary - argument count of helpers and kfuncs."""
    if insn.src == 0:
        key = (env.prog_type, insn.imm, env.inp.expected_attach_type)
        try:
            return _HELPER_PARAMS[key]
        except KeyError:
            pass
        p = get_proto(*key)
        if len(_HELPER_PARAMS) > 4096:
            _HELPER_PARAMS.clear()
        n = _HELPER_PARAMS[key] = None if p is None else len(p.args)
        return n
    if insn.src == op.PSEUDO_KFUNC_CALL:
        d = env.kfunc_by_id.get(insn.imm)
        return None if d is None else d.reg_args
    return None


# a helper's argument count by (program type, helper id, expected attach type): what
# get_proto gives for those three is a fact of the helper tables, not of a program
_HELPER_PARAMS: dict[tuple, int | None] = {}


def successors(env, i: int) -> tuple[int, ...]:
    """kernel: bpf_insn_successors."""
    insn = env.insns[i]
    code = insn.code
    cls = code & 7
    sz = 2 if code == op.LD_IMM64 else 1
    if cls in (op.JMP, op.JMP32):
        o = code & 0xF0
        if o == op.EXIT:
            return ()
        if o == op.JA:
            off = insn.imm if code == (op.JMP32 | op.JA) else insn.off
            return (i + off + 1,)
        if o == op.CALL:
            return (i + sz,)
        return (i + sz, i + insn.off + 1)
    return (i + sz,)


def successor_table(env, ldimm: list[int]) -> list[tuple[int, ...]]:
    """``successors(env, i)`` for every instruction, computed once per run (``env.succ``:
    set by check_cfg's walk or built on first use; the liveness passes walk it many
    times): ``(i + 1,)`` but at the JMP/JMP32-class insns (``env.jmp_insns``) and the
    LD_IMM64s (``ldimm``)."""
    n = env.n
    out = _FALL_THROUGH[:n] if n <= _FALL_THROUGH_MAX else [(i,) for i in range(1, n + 1)]
    insns = env.insns
    for i in env.jmp_insns:
        insn = insns[i]
        code = insn.code
        o = code & 0xF0
        if o == _EXIT:
            out[i] = ()
        elif o == _JA:
            out[i] = (i + (insn.imm if code == _JA32 else insn.off) + 1,)
        elif o != _CALL:
            out[i] = (i + 1, i + insn.off + 1)
    for i in ldimm:
        out[i] = (i + 2,)
    return out


# (i + 1,) for each insn index i below the bound: the fall-through successors, shared by
# every table (a tuple is immutable; a table replaces its jumps' entries)
_FALL_THROUGH_MAX = 1024
_FALL_THROUGH = [(i,) for i in range(1, _FALL_THROUGH_MAX + 1)]


def forward_only(env) -> bool:
    """Every edge of ``env.succ`` goes to a later insn (no loop): only a jump's can not."""
    succ = env.succ
    for i in env.jmp_insns:
        for s in succ[i]:
            if s <= i:
                return False
    return True


_JMP, _JMP32, _EXIT, _JA, _CALL = op.JMP, op.JMP32, op.EXIT, op.JA, op.CALL
_JA32, _LD_IMM64 = op.JMP32 | op.JA, op.LD_IMM64
_JCOND, _X = op.JCOND, op.X
# _insn_use_def of an instruction that is no call depends on its opcode, registers and
# (atomics) immediate only: remembered by that key (a fact of the ISA, not of a program)
_UD_MEMO: dict[int, tuple[int, int]] = {}
_CALL_OP = op.CALL_OP
_STX = op.STX


# how an instruction that is no call or jump changes the live set, by opcode, where that
# depends on its two registers only: kill dst and read src (loads, mov), read dst (ALU by
# a constant, byte swaps, stores of a constant), kill dst (mov of a constant, LD_IMM64),
# read both (ALU by a register, stores of a register); 0: any other (atomics, LD_ABS and
# LD_IND, which read every register, invalid modes), through _UD_MEMO
_KILL_D_USE_S, _USE_D, _KILL_D, _USE_DS = 1, 2, 3, 4


def _flow_kind(code: int) -> int:
    """The class of ``code`` in :data:`_FLOW`, read off :func:`_insn_use_def` itself for
    two register pairs (so the table cannot disagree with it)."""
    cls = code & 7
    if not code or cls in (op.JMP, op.JMP32) or (cls == _STX and code & 0xE0 == op.ATOMIC):
        return 0
    kinds = set()
    for dst, src in ((1, 2), (7, 3)):
        use, d = _insn_use_def(_OneInsn(Insn(code, dst, src)), 0)
        dm, sm = 1 << dst, 1 << src
        kinds.add({(sm, dm): _KILL_D_USE_S, (dm, dm): _USE_D, (dm, 0): _USE_D,
                   (0, dm): _KILL_D, (dm | sm, dm): _USE_DS,
                   (dm | sm, 0): _USE_DS}.get((use, d), 0))
    return kinds.pop() if len(kinds) == 1 else 0


class _OneInsn:
    """What _insn_use_def reads of an env, for one instruction (no call)."""
    __slots__ = ("insns",)

    def __init__(self, insn):
        self.insns = [insn]


def _use_def(env, i: int, insn, memo: dict) -> tuple[int, int]:
    code = insn.code
    if code == _CALL_OP:
        return _insn_use_def(env, i)
    key = code | insn.dst << 8 | insn.src << 16 | insn.imm << 24 \
        if (code & 7) == op.STX else code | insn.dst << 8 | insn.src << 16
    ud = memo.get(key)
    if ud is None:
        if len(memo) > 65536:
            memo.clear()
        ud = memo[key] = _insn_use_def(env, i)
    return ud


_FLOW = tuple(_flow_kind(code) for code in range(256))


def compute_live_registers(env) -> None:
    """kernel: compute_live_registers - ``live_regs_before`` of every insn: a backward
    data flow over ``env.succ`` iterated in ``env.postorder`` until nothing changes.
    Without a loop (``env.loop_free``: every edge goes forward) one backward pass in
    index order is the fixpoint: every successor comes before its predecessors then, as
    in postorder, and the insns are the same (check_cfg reached every one)."""
    n = env.n
    insns = env.insns
    memo = _UD_MEMO
    if env.loop_free:
        live_before = env.live_regs_before
        flow = _FLOW
        live = [0] * (n + 1)
        for i in range(n - 1, -1, -1):
            insn = insns[i]
            code = insn.code
            cls = code & 7
            if code == _CALL_OP:        # clobbers r0-r5, reads its arguments
                params = _call_params(env, insn)
                v = live[i + 1] & ~ALL_CALLER_SAVED | (
                    0b111110 if params is None else ((1 << params) - 1) << 1)
            elif (cls == _JMP or cls == _JMP32) and (code & 0xF0) != _CALL:
                o = code & 0xF0
                if o == _EXIT:
                    v = 1
                elif o == _JA:          # JA|X never passes check_cfg
                    v = live[i + (insn.imm if code == _JA32 else insn.off) + 1]
                else:
                    v = live[i + 1] | live[i + insn.off + 1]
                    if o != _JCOND:
                        v |= 1 << insn.dst | (1 << insn.src if code & _X else 0)
            elif not code:
                # an LD_IMM64's second slot (code 0 anywhere else failed
                # resolve_pseudo_ldimm64): no insn, passes on what follows
                live[i] = live[i + 1]
                continue
            else:
                k = flow[code]
                if k == _KILL_D_USE_S:
                    v = live[i + 1] & ~(1 << insn.dst) | 1 << insn.src
                elif k == _USE_D:
                    v = live[i + 1] | 1 << insn.dst
                elif k == _KILL_D:
                    v = live[i + 1] & ~(1 << insn.dst)
                elif k == _USE_DS:
                    v = live[i + 1] | 1 << insn.dst | 1 << insn.src
                else:
                    key = code | insn.dst << 8 | insn.src << 16 | insn.imm << 24 \
                        if cls == _STX else code | insn.dst << 8 | insn.src << 16
                    ud = memo.get(key)
                    if ud is None:
                        if len(memo) > 65536:
                            memo.clear()
                        ud = memo[key] = _insn_use_def(env, i)
                    v = live[i + 1] & ~ud[1] | ud[0]
            live[i] = v
            live_before[i] = v & 0x7FF
        if env.log.level2:
            _print_live(env)
        return
    succ = env.succ
    order = env.postorder
    use = [0] * n
    defs = [0] * n
    for i, insn in enumerate(insns):
        use[i], defs[i] = _use_def(env, i, insn, memo)
    live_in = [0] * n
    live_out = [0] * n
    changed = True
    while changed:
        changed = False
        for i in order:
            new_out = 0
            for s in succ[i]:
                if s < n:
                    new_out |= live_in[s]
            new_in = (new_out & ~defs[i]) | use[i]
            if new_out != live_out[i] or new_in != live_in[i]:
                live_in[i] = new_in
                live_out[i] = new_out
                changed = True
    env.live_regs_before = [v & 0x7FF for v in live_in]
    if env.log.level2:
        _print_live(env)


def _print_live(env) -> None:
    env.log.line("Live regs before insn:")
    i = 0
    while i < env.n:
        live = env.live_regs_before[i]
        s = "".join(str(r) if live >> r & 1 else "." for r in range(10))
        mark = f"{env.aux[i].scc:3d}" if env.aux[i].scc else "   "
        text = env.insn_text(i)
        env.log.line(f"{mark} {i:3d}: {s} {text}")
        i += 2 if env.insns[i].code == op.LD_IMM64 else 1
