"""The structure passes of a program of one function whose jumps all go forward, in one
walk over its instructions (kernel, verifier.c: add_subprog_and_kfunc, check_subprogs and
check_cfg's visit_insn / push_insn, for this shape of program).

Most programs are one function with forward jumps only: :func:`scan` stands in for
:func:`verifier.cfg.add_subprogs` and :func:`verifier.cfg.check_subprogs` (the same
instruction lists, the same subprogram and flags), and checks on the same walk what
:func:`verifier.cfg_walk.check_cfg` checks (every insn reachable, no jump into an
LD_IMM64's second slot); :func:`finish`, called where check_cfg runs, sets check_cfg's
marks and orders.  :func:`scan` takes on only programs that none of those passes rejects,
nor resolve_pseudo_ldimm64 for a reason it could see first (an unknown opcode, a broken
LD_IMM64 pair): for any other program it returns None having changed nothing, and the
general passes run and give their first error.  So a program gets the same first error
either way; check_btf_func and resolve_pseudo_ldimm64 (the passes between the two halves)
run as usual, and nothing they or a rejected program's Verdict read is set early
(check_cfg's marks and packet-data flag wait for :func:`finish`).

Why not the general passes: they cost a call, a set-up and a walk each, which is most of
the fixed cost of verifying a small program.  tests/verifier/test_cfg_one.py holds both
halves to the general passes on fixed-seed random programs, well-formed and malformed.
"""

from __future__ import annotations

from isa import opcodes as op
from verifier.calls import find_exception_callback_insn_off
from verifier.cfg import _K_JMP, _K_LDX, _K_RES, _LD_ABS_CODES, _SCAN_KIND, _VALID_CODES
from verifier.cfg_order import postorder_forward
from verifier.cfg_walk import HELPER_CALLS_MARKED, _helper_call_marks
from verifier.env import Env, Subprog

_LD, _LD_IMM64, _CALL_OP, _EXIT_OP = op.LD, op.LD_IMM64, op.CALL_OP, op.EXIT_OP
_JMP, _JA, _X, _CALL, _EXIT = op.JMP, op.JA, op.X, op.CALL, op.EXIT
_JCOND = op.JMP | op.JCOND
_PSEUDO_FUNC = op.PSEUDO_FUNC
_LAST_OK = (op.EXIT_OP, op.JMP32 | op.JA, op.JMP | op.JA)    # check_subprogs' last insn
_TAIL_CALL = 12                                            # BPF_FUNC_tail_call
# the LD-class opcodes the fused walk takes: LD_IMM64, LD_ABS, LD_IND (any other is an
# unknown opcode: resolve_pseudo_ldimm64's error, left to the general passes)
_LD_OK = frozenset(c for c in _VALID_CODES if c & 7 == _LD)


def scan(env: Env) -> dict | None:
    """add_subprogs + check_subprogs (+ check_cfg's checks) of a program of one function
    whose jumps all go forward, or None (nothing changed) for any other program or one
    any of those passes would reject.  Returns the successors of its exits, JAs and
    conditional jumps (every other insn falls through), for :func:`finish`."""
    insns = env.insns
    n = env.n
    kind = _SCAN_KIND
    jmps: list[int] = []
    calls: list[int] = []
    res: list[int] = []
    ldimm: list[int] = []
    edges: dict[int, tuple] = {}
    targets = set()         # where the jumps seen so far lead (all ahead of them)
    fall = True             # the insn before falls through to this one (insn 0: entry)
    second = -1             # the second slot of the last LD_IMM64
    tail_call = ld_abs = False
    for i, insn in enumerate(insns):
        code = insn.code
        k = kind[code]
        if i == second:
            # resolve_pseudo_ldimm64's pair check; check_cfg's "jump into the middle"
            if code or insn.dst or insn.src or insn.off or i in targets:
                return None
            res.append(i)           # (filed as add_subprogs files code 0: LD class)
            continue
        if not fall:
            if i not in targets:
                return None         # check_cfg: unreachable insn
            fall = True
        if not k:
            continue
        if k == _K_LDX:
            if insn.imm:
                res.append(i)       # reserved fields: resolve_pseudo_ldimm64 says so
            continue
        if k & _K_JMP:
            if k & _K_RES:
                return None         # unknown opcode
            jmps.append(i)
            o = code & 0xF0
            if o == _CALL:
                if code != _CALL_OP or insn.src:
                    return None     # callx, a BPF-to-BPF or kfunc call
                calls.append(i)
                if insn.imm == _TAIL_CALL:
                    tail_call = True
            elif o == _EXIT:
                edges[i] = ()
                fall = False
            else:
                if o == _JA:
                    if code & _X:
                        return None     # check_cfg: unknown opcode
                    off = insn.off if code & 7 == _JMP else insn.imm
                else:
                    off = insn.off
                t = i + off + 1
                if off < 0 or t >= n:
                    return None     # a backward jump, or check_subprogs' out of range
                targets.add(t)
                if o == _JA:
                    edges[i] = (t,)
                    fall = False
                else:
                    edges[i] = (i + 1, t)
            continue
        # _K_RES, not a jump: the LD class (or an unknown opcode)
        if code not in _LD_OK:
            return None
        res.append(i)
        if code == _LD_IMM64:
            if insn.src == _PSEUDO_FUNC or i == n - 1:
                return None         # a callback address, or a pair cut short
            ldimm.append(i)
            second = i + 1
        elif code in _LD_ABS_CODES:
            ld_abs = True
    if insns[n - 1].code not in _LAST_OK:
        return None                 # check_subprogs: last insn is not an exit or jmp
    # add_subprogs' own tail: the exception callback named in func_info (a second
    # function: the general passes then)
    if env.inp.func_info and find_exception_callback_insn_off(env):
        return None
    env.jmp_insns, env.call_insns, env.res_insns, env.ldimm_insns = jmps, calls, res, ldimm
    sp = Subprog(0, n)
    env.subprogs = [sp]
    if env.log.level2:
        env.log.line("func#0 @0")
    if tail_call:
        sp.has_tail_call = sp.tail_call_reachable = True
    if ld_abs:
        sp.has_ld_abs = True
    return edges


def finish(env: Env, edges: dict) -> bool:
    """check_cfg of a program :func:`scan` took (every insn reached, so every edge is
    pushed once): the prune, jump and checkpoint marks, the functions' packet-data
    flag, and the orders (cfg_walk._check_cfg_forward's, for a graph it walks whole).
    Returns whether it marked any prune point (False: a straight-line program, no jump
    nor call)."""
    aux = env.aux
    insns = env.insns
    marked = bool(env.call_insns)
    for j, s in edges.items():
        if s:
            marked = True
            a = aux[s[-1]]
            a.prune_point = a.jmp_point = True
            if len(s) == 2:         # a conditional jump (or may_goto)
                a = aux[j]
                a.prune_point = True
                if insns[j].code == _JCOND:
                    a.force_checkpoint = True
    for j in env.call_insns:        # helper calls only (scan)
        imm = insns[j].imm
        if imm in HELPER_CALLS_MARKED:
            _helper_call_marks(env, aux, j, imm)
        a = aux[j + 1]
        a.prune_point = a.jmp_point = True
    env.loop_free = True
    env._postorder_from = (postorder_forward, edges)
    return marked


__all__ = ["scan", "finish"]
