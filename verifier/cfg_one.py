"""The structure passes of a program whose jumps all go forward, in one walk over its
instructions (kernel, verifier.c: add_subprog_and_kfunc, check_subprogs and check_cfg's
visit_insn / push_insn, and compute_live_registers, for this shape of program).

Most programs are one function with forward jumps only, and most others a few functions
(BPF-to-BPF calls, callbacks: LD_IMM64 of a function) each with forward jumps only,
calling one another without a cycle: :func:`scan` stands in for
:func:`verifier.cfg.add_subprogs` and :func:`verifier.cfg.check_subprogs` (the same
instruction lists, the same subprograms and flags), and checks on the same walk what
:func:`verifier.cfg_walk.check_cfg` checks (every insn reachable, no jump into an
LD_IMM64's second slot, no call cycle); :func:`finish`, called where check_cfg runs, sets
check_cfg's marks and orders and the live registers :func:`scan` worked out (so
:func:`verifier.liveness.compute_live_registers` does not run but at log level 2, whose
log prints them).  :func:`scan` takes on only programs that none of those passes rejects,
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

from bisect import bisect_right

from isa import opcodes as op
from verifier.calls import find_exception_callback_insn_off
from verifier.cfg import _K_JMP, _K_LDX, _K_RES, _SCAN_KIND, _VALID_CODES
from verifier.cfg_order import compute_postorder, postorder_forward
from verifier.cfg_walk import HELPER_CALLS_MARKED, _helper_call_marks
from verifier.env import BPF_MAX_SUBPROGS, Env, Subprog
from verifier.liveness import (_FLOW, _KILL_D, _KILL_D_USE_S, _UD_MEMO, _USE_D, _USE_DS,
                               ALL_CALLER_SAVED, _call_params, _use_def)

_LD, _LD_IMM64, _CALL_OP, _EXIT_OP = op.LD, op.LD_IMM64, op.CALL_OP, op.EXIT_OP
_JMP, _JA, _X, _CALL, _EXIT = op.JMP, op.JA, op.X, op.CALL, op.EXIT
_JCOND = op.JMP | op.JCOND
_PSEUDO_FUNC, _PSEUDO_CALL = op.PSEUDO_FUNC, op.PSEUDO_CALL
_LAST_OK = (op.EXIT_OP, op.JMP32 | op.JA, op.JMP | op.JA)    # check_subprogs' last insn
_TAIL_CALL = 12                                            # BPF_FUNC_tail_call
# the LD-class opcodes the fused walk takes: LD_IMM64, LD_ABS, LD_IND (any other is an
# unknown opcode: resolve_pseudo_ldimm64's error, left to the general passes)
_LD_OK = frozenset(c for c in _VALID_CODES if c & 7 == _LD)

# scan's opcode classes, what it does per insn by the opcode byte (ordered so that a range
# test picks a group): no jump nor LD class, by how the insn changes the live registers
# (liveness._FLOW: kill dst and read src, read dst, kill dst, read both; an LDX with a
# valid mode, which kills dst and reads src, on its own for its reserved imm; atomics,
# through liveness._use_def), then the JMP/JMP32 class but calls, then the rest
_B_KDUS, _B_LDX, _B_UD, _B_KD, _B_OTHER, _B_UDS = range(6)
_B_EXIT, _B_JA, _B_JA32, _B_CONDK, _B_CONDX, _B_JCOND = range(6, 12)
_B_CALL, _B_SECOND, _B_LDIMM64, _B_LDABS, _B_BAIL = range(12, 17)


def _back_kind(code: int) -> int:
    """The class of ``code`` in :data:`_BACK`, read off add_subprogs' filing
    (cfg._SCAN_KIND) and liveness's (_FLOW)."""
    cls = code & 7
    k = _SCAN_KIND[code]
    if k == _K_LDX:
        assert _FLOW[code] == _KILL_D_USE_S
        return _B_LDX
    if k & _K_JMP:
        o = code & 0xF0
        if k & _K_RES or (o == _JA and code & _X) or (o == _CALL and code != _CALL_OP):
            return _B_BAIL          # unknown opcode, JA|X (check_cfg), callx
        if o == _CALL:
            return _B_CALL
        if o == _EXIT:
            return _B_EXIT
        if o == _JA:
            return _B_JA if cls == _JMP else _B_JA32
        if code == _JCOND:
            return _B_JCOND
        return _B_CONDX if code & _X else _B_CONDK
    if cls == _LD:
        if not code:
            return _B_SECOND
        if code == _LD_IMM64:
            assert _FLOW[code] == _KILL_D
            return _B_LDIMM64
        return _B_LDABS if code in _LD_OK else _B_BAIL
    if k & _K_RES:
        return _B_BAIL              # an unknown opcode, an LDX of a bad mode
    return {_KILL_D_USE_S: _B_KDUS, _USE_D: _B_UD, _KILL_D: _B_KD,
            _USE_DS: _B_UDS}.get(_FLOW[code], _B_OTHER)


_BACK = tuple(_back_kind(code) for code in range(256))


def scan(env: Env) -> tuple | None:
    """add_subprogs + check_subprogs (+ check_cfg's checks) of a program whose jumps all
    go forward and, if it has several functions (no kfunc call, no exception callback),
    whose call graph reaches every function from the main one without a cycle; or None
    (nothing changed) for any other program or one any of those passes would reject.
    Returns, for :func:`finish`, the successors of its exits, JAs and conditional jumps
    (every other insn falls through), the registers live before each insn and, for
    several functions, the call sites and call graph (:func:`_call_graph`).

    The walk goes backwards, last insn first, so that it also works out the registers
    live before each insn (liveness.compute_live_registers, whose one backward pass is
    the fixpoint of a program without a loop: that pass then does not run for the
    program): what is live after an insn was worked out the step before, and a jump's
    target, ahead of it, before the jump.  What the forward passes check as they go is
    checked at the end: the insns no insn falls through to (after an exit or a JA) are
    jump targets or function starts, and no jump lands in an LD_IMM64's second slot;
    with several functions, every function is called from one reached (the walk
    reaches a function's insns only from its start, then all of them, as in one
    function) and no call chain comes back (:func:`_call_graph`).  Liveness needs
    nothing more there: compute_live_registers takes a call for its next insn alone,
    reading r1-r5, and a function ends in an exit or JA.  A second slot is told
    by the LD_IMM64 before it, whose pair check then holds it to code 0 and zero fields,
    so a run of LD_IMM64 codes cannot be cut into pairs otherwise than forwards."""
    insns = env.insns
    n = env.n
    kind = _BACK
    jmps: list[int] = []
    calls: list[int] = []
    res: list[int] = []
    ldimm: list[int] = []
    edges: dict[int, tuple] = {}
    targets = set()         # where the jumps lead (all ahead of them)
    need: list[int] = []    # insns nothing falls through to: jump targets, or unreachable
    live = [0] * (n + 1)    # registers live before each insn (a second slot's: 0)
    v = 0                   # ... before the insn after the current one
    tail_call: list[int] = []   # helper tail calls
    ld_abs: list[int] = []      # LD_ABS / LD_IND
    sites: list[tuple] = []     # (insn, target) of BPF-to-BPF calls and callback addresses
    for i in range(n - 1, -1, -1):
        insn = insns[i]
        code = insn.code
        k = kind[code]
        if k <= _B_UDS:                 # ALU, ST, STX, LDX: no jump, no LD class
            if k == _B_KDUS:
                v = v & ~(1 << insn.dst) | 1 << insn.src
            elif k == _B_LDX:
                if insn.imm:
                    res.append(i)       # reserved fields: resolve_pseudo_ldimm64 says so
                v = v & ~(1 << insn.dst) | 1 << insn.src
            elif k == _B_UD:
                v |= 1 << insn.dst
            elif k == _B_KD:
                v &= ~(1 << insn.dst)
            elif k == _B_UDS:
                v |= 1 << insn.dst | 1 << insn.src
            else:                       # atomics
                ud = _use_def(env, i, insn, _UD_MEMO)
                v = v & ~ud[1] | ud[0]
        elif k <= _B_JCOND:             # JMP/JMP32 class but calls
            jmps.append(i)
            if k == _B_EXIT:
                edges[i] = ()
                if i + 1 < n:
                    need.append(i + 1)
                v = 1
            else:
                off = insn.imm if k == _B_JA32 else insn.off
                t = i + off + 1
                if off < 0 or t >= n:
                    return None         # a backward jump, or check_subprogs' out of range
                targets.add(t)
                if k <= _B_JA32:
                    edges[i] = (t,)
                    if i + 1 < n:
                        need.append(i + 1)
                    v = live[t]
                else:
                    edges[i] = (i + 1, t)
                    v |= live[t]
                    if k == _B_CONDK:
                        v |= 1 << insn.dst
                    elif k == _B_CONDX:
                        v |= 1 << insn.dst | 1 << insn.src
        elif k == _B_CALL:
            src = insn.src
            if src:
                if src != _PSEUDO_CALL:
                    return None         # a kfunc call, an unknown source
                sites.append((i, i + insn.imm + 1))
            elif insn.imm == _TAIL_CALL:
                tail_call.append(i)
            jmps.append(i)
            calls.append(i)
            params = _call_params(env, insn)
            v = v & ~ALL_CALLER_SAVED | (0b111110 if params is None else
                                         ((1 << params) - 1) << 1)
        elif k == _B_SECOND:
            # code 0: only an LD_IMM64's second slot (whose pair check comes next)
            if not i or insns[i - 1].code != _LD_IMM64:
                return None             # unknown opcode
            res.append(i)               # (filed as add_subprogs files code 0: LD class)
            continue                    # (live[i] stays 0, as liveness leaves it)
        elif k == _B_LDIMM64:
            if i == n - 1:
                return None             # a pair cut short
            nxt = insns[i + 1]
            if nxt.code or nxt.dst or nxt.src or nxt.off:
                return None             # resolve_pseudo_ldimm64: a broken pair
            if insn.src == _PSEUDO_FUNC:
                sites.append((i, i + insn.imm + 1))
            res.append(i)
            ldimm.append(i)
            v &= ~(1 << insn.dst)
        elif k == _B_LDABS:
            res.append(i)
            ld_abs.append(i)
            ud = _use_def(env, i, insn, _UD_MEMO)
            v = v & ~ud[1] | ud[0]
        else:
            return None                 # an unknown opcode, callx, JA|X
        live[i] = v
    if insns[n - 1].code not in _LAST_OK:
        return None                 # check_subprogs: last insn is not an exit or jmp
    graph = None
    if sites:
        order = _functions(insns, n, sites, edges)
        if order is None:
            return None
        starts = set(order)
        for i in need:
            if i not in targets and i not in starts:
                return None         # check_cfg: unreachable insn
        graph = _call_graph(order, sites)
        if graph is None:
            return None             # check_cfg: a function nothing calls, or a call cycle
    else:
        for i in need:
            if i not in targets:
                return None         # check_cfg: unreachable insn
    for i in ldimm:
        if i + 1 in targets:
            return None             # check_cfg: a jump into the middle of an LD_IMM64
    # add_subprogs' own tail: the exception callback named in func_info (a second
    # function: the general passes then)
    if env.inp.func_info and find_exception_callback_insn_off(env):
        return None
    jmps.reverse()
    calls.reverse()
    res.reverse()
    ldimm.reverse()
    env.jmp_insns, env.call_insns, env.res_insns, env.ldimm_insns = jmps, calls, res, ldimm
    if graph is None:
        sp = Subprog(0, n)
        env.subprogs = [sp]
        if env.log.level2:
            env.log.line("func#0 @0")
        if tail_call:
            sp.has_tail_call = sp.tail_call_reachable = True
        if ld_abs:
            sp.has_ld_abs = True
        return edges, live, None
    # add_subprogs' table and its aux.subprog marks, check_subprogs' flags
    subprogs = env.subprogs = [Subprog(order[k], order[k + 1])
                               for k in range(len(order) - 1)]
    if env.log.level2:
        for k, sp in enumerate(subprogs):
            env.log.line(f"func#{k} @{sp.start}")
    aux = env.aux
    for k in range(1, len(subprogs)):
        for i in range(order[k], order[k + 1]):
            aux[i].subprog = k
    for i in tail_call:
        sp = subprogs[bisect_right(order, i) - 1]
        sp.has_tail_call = sp.tail_call_reachable = True
    for i in ld_abs:
        subprogs[bisect_right(order, i) - 1].has_ld_abs = True
    return edges, live, (sites,) + graph


def _functions(insns, n: int, sites: list, edges: dict) -> list | None:
    """The function starts (add_subprogs), then n, of a program with BPF-to-BPF calls or
    callback addresses (``sites``: (insn, target)), or None where add_subprogs or
    check_subprogs rejects it: a target out of the program, too many functions, a
    function's last insn no exit or jmp, a jump (``edges``, all forward and inside the
    program) past the end of its function."""
    starts = {0}
    for _, t in sites:
        if t < 0 or t >= n:
            return None             # call to invalid destination
        starts.add(t)
    if len(starts) > BPF_MAX_SUBPROGS:
        return None                 # too many subprograms
    order = sorted(starts)
    order.append(n)
    for k in range(1, len(order) - 1):
        if insns[order[k] - 1].code not in _LAST_OK:
            return None             # last insn is not an exit or jmp
    for j, s in edges.items():
        if s and s[-1] >= order[bisect_right(order, j)]:
            return None             # jump out of range
    return order


def _call_graph(order: list, sites: list) -> tuple | None:
    """Per function (by index in ``order``), the functions its call sites name, and the
    functions in an order that puts each after every function it calls; None unless
    every function is reached from the main one by calls and no call chain comes back
    to a function on it (check_cfg's walk: an unreachable insn, a back-edge)."""
    nf = len(order) - 1
    calls_of: list[list[int]] = [[] for _ in range(nf)]
    for i, t in sites:
        calls_of[bisect_right(order, i) - 1].append(bisect_right(order, t) - 1)
    state = [0] * nf                # 1: on the chain being walked, 2: done
    state[0] = 1
    callees_first: list[int] = []
    stack = [(0, iter(calls_of[0]))]
    while stack:
        f, it = stack[-1]
        for g in it:
            if state[g] == 1:
                return None
            if not state[g]:
                state[g] = 1
                stack.append((g, iter(calls_of[g])))
                break
        else:
            state[f] = 2
            callees_first.append(f)
            stack.pop()
    if 0 in state:
        return None
    return calls_of, callees_first


def finish(env: Env, scanned: tuple) -> None:
    """check_cfg of a program :func:`scan` took (every insn reached, so every edge is
    pushed once): the prune, jump and checkpoint marks, the functions' packet-data
    flag, and the orders (cfg_walk._check_cfg_forward's, for a graph it walks whole);
    and compute_live_registers' ``live_regs_before`` of the prune points, the only insns
    whose live registers anything reads below log level 2 (state cleaning and
    comparison at prune points, linked registers at conditional jumps, which are prune
    points); in a program of several functions, where a frame's call site is read too,
    and check_cfg's visit of a call site (cfg_walk._visit_call) marks it and the callee,
    the whole list."""
    aux = env.aux
    prune = env.prune_point
    jmp = env.jmp_point
    lrb = env.live_regs_before
    insns = env.insns
    edges, live, more = scanned
    for j, s in edges.items():
        if s:
            w = s[-1]
            prune[w] = jmp[w] = True
            lrb[w] = live[w] & 0x7FF
            if len(s) == 2:         # a conditional jump (or may_goto)
                prune[j] = True
                lrb[j] = live[j] & 0x7FF
                if insns[j].code == _JCOND:
                    aux[j].force_checkpoint = True
    for j in env.call_insns:        # helper calls and BPF-to-BPF calls (scan)
        insn = insns[j]
        imm = insn.imm
        if imm in HELPER_CALLS_MARKED and not insn.src:
            _helper_call_marks(env, aux, j, imm)
            lrb[j] = live[j] & 0x7FF        # (a callback helper's call)
        prune[j + 1] = jmp[j + 1] = True
        lrb[j + 1] = live[j + 1] & 0x7FF
    env.loop_free = True
    if more is None:
        env._postorder_from = (postorder_forward, edges)
        return
    # several functions: check_cfg's visit of a call site (cfg_walk._visit_call) and its
    # merge of the callee's packet-data flag, which the depth-first walk makes once the
    # callee is explored: over a call graph without a cycle, callees first
    sites, calls_of, callees_first = more
    n = env.n
    subprogs = env.subprogs
    for t, w in sites:
        prune[t] = True
        prune[w] = jmp[w] = True
        if insns[t].code == _LD_IMM64 and t + 2 < n:     # (a call's next: above)
            prune[t + 2] = jmp[t + 2] = True
    for f in callees_first:
        sp = subprogs[f]
        for g in calls_of[f]:
            if subprogs[g].changes_pkt_data:
                sp.changes_pkt_data = True
    # a frame's call site is read too: compute_live_registers' whole list
    lrb[:] = [v & 0x7FF for v in live[:n]]
    env._postorder_from = (_postorder, None)


def _postorder(env: Env, _edges, ldimm: list[int]) -> list[int]:
    """Env.postorder of a program of several functions: cfg_order.compute_postorder."""
    return compute_postorder(env, ldimm)


__all__ = ["scan", "finish"]
