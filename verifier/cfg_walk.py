"""The CFG walk (kernel, verifier.c: check_cfg, visit_insn, push_insn): every insn
reachable from a function's start (``unreachable insn 2``), no edge out of the program
or, unprivileged, back (``back-edge from insn 5 to 2``), no jump into the middle of an
LD_IMM64; on the way the prune points, jump points and forced checkpoints the state
cache uses are marked, and which functions may change packet data.  Then the orders the
later passes walk (:mod:`verifier.cfg_order`).  Runs after the other structure checks of
:mod:`verifier.cfg`, which it relies on (jumps stay inside their function, each function
ends in an exit or a jump, no unknown opcode).
"""

from __future__ import annotations

from heapq import heappop, heappush

from isa import opcodes as op
from isa.uapi import BPF_FUNC_tail_call
from verifier.cfg_order import (DISCOVERED, EXPLORED, compute_postorder,
                                postorder_forward)
from verifier.env import Env
from verifier.errors import EINVAL, VerifierError
from verifier.helpers import HELPERS
from verifier.liveness import forward_only, successor_table

_SYNC_CALLBACK_HELPERS = (164, 180, 181, 209)   # for_each_map_elem, loop, find_vma, user_ringbuf_drain
_ASYNC_CALLBACK_HELPERS = (170,)                # timer_set_callback
# the helpers whose call reaches the function's packet-data flag: those that change packet
# data (helpers.helper_changes_pkt_data) and the tail call, which may run a program that does
_PKT_DATA_CALLS = frozenset([fid for fid, p in HELPERS.items() if p.changes_pkt_data]
                            + [BPF_FUNC_tail_call])
# the helper calls visit_insn marks at all (_helper_call_marks does nothing for any other)
HELPER_CALLS_MARKED = (frozenset(_SYNC_CALLBACK_HELPERS + _ASYNC_CALLBACK_HELPERS)
                       | _PKT_DATA_CALLS)

FALLTHROUGH = 1
BRANCH = 2
DONE_EXPLORING = 0
KEEP_EXPLORING = 1
_DISCOVERED_FT = DISCOVERED | FALLTHROUGH


_LD_IMM64 = op.LD_IMM64
_JMP, _JMP32, _EXIT, _CALL, _JA, _X = op.JMP, op.JMP32, op.EXIT, op.CALL, op.JA, op.X
_CALL_OP, _PSEUDO_CALL, _PSEUDO_FUNC = op.CALL_OP, op.PSEUDO_CALL, op.PSEUDO_FUNC
_PSEUDO_KFUNC_CALL = op.PSEUDO_KFUNC_CALL
_JCOND = op.JMP | op.JCOND


def _push(env: Env, state: list, stack: list, t: int, w: int, e: int) -> int:
    """kernel: push_insn - the edge t -> w of kind e (FALLTHROUGH or BRANCH)."""
    if state[t] >= (DISCOVERED | e):
        return DONE_EXPLORING
    if w < 0 or w >= env.n:
        raise VerifierError(f"jump out of range from insn {t} to {w}", EINVAL)
    if e == BRANCH:
        env.prune_point[w] = env.jmp_point[w] = True
    sw = state[w]
    if sw == 0:
        state[t] = DISCOVERED | e
        state[w] = DISCOVERED
        stack.append(w)
        return KEEP_EXPLORING
    if (sw & 0xF0) == DISCOVERED:
        if env.bpf_capable:
            return DONE_EXPLORING
        raise VerifierError(f"back-edge from insn {t} to {w}", EINVAL)
    if sw == EXPLORED:
        state[t] = DISCOVERED | e
    return DONE_EXPLORING


def _visit_call(env: Env, state: list, stack: list, t: int, insn, visit_callee: bool) -> int:
    n = env.n
    aux = env.aux
    nxt = t + (2 if insn.code == _LD_IMM64 else 1)
    r = _push(env, state, stack, t, nxt, FALLTHROUGH)
    if r:
        return r
    if nxt < n:
        env.prune_point[nxt] = env.jmp_point[nxt] = True
    if visit_callee:
        env.prune_point[t] = True
        w = t + insn.imm + 1
        # kernel: merge_callee_effects - once the callee is explored (this insn is
        # visited again after it), its effects reach the caller, nesting included
        if 0 <= w < n and env.subprogs[aux[w].subprog].changes_pkt_data:
            env.subprogs[aux[t].subprog].changes_pkt_data = True
        return _push(env, state, stack, t, w, BRANCH)
    return DONE_EXPLORING


def check_cfg(env: Env) -> None:
    """kernel: check_cfg - the depth-first walk (visit_insn / push_insn), then every insn
    must have been explored; sets ``env.succ``, ``env.postorder`` and ``env.loop_free``.
    A program of one function whose jumps all go forward takes :func:`_check_cfg_forward`
    instead, with the same marks, the same first error and the same orders (its
    postorder built only when asked for: :attr:`Env.postorder`)."""
    ldimm = env.ldimm_insns         # filed by add_subprogs
    edges = _check_cfg_forward(env, ldimm)
    if edges is None:
        _check_cfg_dfs(env, ldimm)
        env.loop_free = forward_only(env)
        env.postorder = compute_postorder(env, ldimm)
    else:
        env.loop_free = True
        env._postorder_from = (postorder_forward, edges)


def _check_cfg_dfs(env: Env, ldimm: list[int]) -> None:
    n = env.n
    insns = env.insns
    aux = env.aux
    state = [0] * n
    stack = [0]
    state[0] = DISCOVERED
    capable = env.bpf_capable
    ex_cb = None
    if len(env.subprogs) > 1:
        for sp in env.subprogs:
            if sp.is_exception_cb:
                ex_cb = sp.start
                break
    while True:
        if not stack:
            # kernel: the exception callback is never called, its walk starts on its own
            if ex_cb is None or state[ex_cb]:
                break
            state[ex_cb] = DISCOVERED
            stack.append(ex_cb)
        t = stack[-1]
        # visit(t): the kernel's visit_insn
        insn = insns[t]
        code = insn.code
        cls = code & 7
        if cls != _JMP and cls != _JMP32:
            if code == _LD_IMM64 and insn.src == _PSEUDO_FUNC:
                r = _visit_call(env, state, stack, t, insn, True)
            else:
                # push(t, next, FALLTHROUGH), inlined: most instructions take only this
                r = DONE_EXPLORING
                if state[t] < _DISCOVERED_FT:
                    w = t + 2 if code == _LD_IMM64 else t + 1
                    if w >= n:
                        raise VerifierError(f"jump out of range from insn {t} to {w}", EINVAL)
                    sw = state[w]
                    if sw == 0:
                        state[t] = _DISCOVERED_FT
                        state[w] = DISCOVERED
                        stack.append(w)
                        continue
                    if sw == EXPLORED:
                        state[t] = _DISCOVERED_FT
                    elif (sw & 0xF0) == DISCOVERED and not capable:
                        raise VerifierError(f"back-edge from insn {t} to {w}", EINVAL)
        else:
            o = code & 0xF0
            if o == _EXIT:
                r = DONE_EXPLORING
            elif o == _CALL:
                src = insn.src
                if src == 0:
                    _helper_call_marks(env, aux, t, insn.imm)
                r = _visit_call(env, state, stack, t, insn, src == _PSEUDO_CALL)
            elif o == _JA:
                if code & _X:
                    raise VerifierError(f"unknown opcode {code:02x}", EINVAL)
                off = insn.off if cls == _JMP else insn.imm
                r = _push(env, state, stack, t, t + off + 1, FALLTHROUGH)
                if not r:
                    env.prune_point[t + off + 1] = env.jmp_point[t + off + 1] = True
            else:
                # conditional jump (and may_goto)
                env.prune_point[t] = True
                if code == _JCOND:
                    aux[t].force_checkpoint = True
                r = _push(env, state, stack, t, t + 1, FALLTHROUGH)
                if not r:
                    r = _push(env, state, stack, t, t + insn.off + 1, BRANCH)
        if r == DONE_EXPLORING:
            state[t] = EXPLORED
            stack.pop()
    # every insn explored, the second slot of an LD_IMM64 never entered: compared at
    # once against that expectation, walked only to name the first insn that is not
    want = [EXPLORED] * n
    for i in ldimm:
        if i + 1 < n:
            want[i + 1] = 0
    if state != want:
        _cfg_walk_error(insns, state, n)
    env.succ = successor_table(env, ldimm)


def _check_cfg_forward(env: Env, ldimm: list[int]) -> dict | None:
    """check_cfg for a program of one function (no BPF-to-BPF call, no callback address,
    no exception callback) whose jumps all go forward; None, having changed nothing,
    for any other program.  Returns the successors of its exits, JAs and conditional
    jumps (every other insn falls through to the next one).  Such a graph has no back-edge and, after check_subprogs, no
    edge out of range, so the walk can only end in "unreachable insn" or "jump into the
    middle of ldimm64 insn", and which insns it reaches does not depend on its order:
    the straight runs between jumps are taken in index order, a run reached when the
    insn before it falls through or a reached jump targets a place in it.  The marks
    are the depth-first walk's (each edge of a reached insn is pushed once there)."""
    if len(env.subprogs) != 1:
        return None
    insns = env.insns
    for i in ldimm:
        if insns[i].src == _PSEUDO_FUNC:
            return None
    jmps = env.jmp_insns
    edges = {}
    for j in jmps:
        insn = insns[j]
        code = insn.code
        o = code & 0xF0
        if o == _CALL:
            if insn.src == _PSEUDO_CALL:
                return None
        elif o == _EXIT:
            edges[j] = ()
        else:
            if o == _JA:
                if code & _X:
                    return None         # "unknown opcode": the walk raises it
                off = insn.off if code & 7 == _JMP else insn.imm
            else:
                off = insn.off
            if off < 0:
                return None
            edges[j] = (j + off + 1,) if o == _JA else (j + 1, j + off + 1)
    n = env.n
    aux = env.aux
    prune = env.prune_point
    jmp = env.jmp_point
    pos = 0                     # first insn of the run that ends at jump j
    fall = True                 # pos is reached from the insn before it (or is insn 0)
    pending: list[int] = []     # heap: targets of reached jumps, not yet passed
    reached = set()             # targets of reached jumps
    unreachable = -1
    for j in jmps:
        entry = pos if fall else (pending[0] if pending and pending[0] <= j else n)
        while pending and pending[0] <= j:
            reached.add(heappop(pending))
        if entry > pos and unreachable < 0:
            unreachable = pos
        pos = j + 1
        if entry > j:
            fall = False        # nothing reaches the jump: its edges are never pushed
            continue
        insn = insns[j]
        code = insn.code
        o = code & 0xF0
        if o == _EXIT:
            fall = False
        elif o == _CALL:
            if insn.src == 0:
                _helper_call_marks(env, aux, j, insn.imm)
            prune[j + 1] = jmp[j + 1] = True
            fall = True
        else:
            w = edges[j][-1]
            prune[w] = jmp[w] = True
            heappush(pending, w)
            if o == _JA:
                fall = False
            else:
                prune[j] = True
                if code == _JCOND:
                    aux[j].force_checkpoint = True
                fall = True
    # the kernel's scan after the walk, by index: every insn before the first unreached
    # one was reached, so an LD_IMM64 before it whose second slot a jump reached comes first
    if reached:
        for i in ldimm:
            if 0 <= unreachable <= i:
                break
            if i + 1 in reached:
                raise VerifierError(f"jump into the middle of ldimm64 insn {i}", EINVAL)
    if unreachable >= 0:
        raise VerifierError(f"unreachable insn {unreachable}", EINVAL)
    return edges


def _helper_call_marks(env: Env, aux: list, t: int, imm: int) -> None:
    """visit_insn of a helper call: callback helpers are prune points (the synchronous
    ones also jump and checkpoint points), and packet-data changes reach the function."""
    if imm in _ASYNC_CALLBACK_HELPERS:
        env.prune_point[t] = True
    if imm in _SYNC_CALLBACK_HELPERS:
        a = aux[t]
        a.calls_callback = a.force_checkpoint = True
        env.prune_point[t] = env.jmp_point[t] = True
    if imm in _PKT_DATA_CALLS:
        env.subprogs[aux[t].subprog].changes_pkt_data = True


def _cfg_walk_error(insns, state: list, n: int) -> None:
    i = 0
    while i < n:
        if state[i] != EXPLORED:
            raise VerifierError(f"unreachable insn {i}", EINVAL)
        if insns[i].code == _LD_IMM64:
            if i + 1 < n and state[i + 1] != 0:
                raise VerifierError(f"jump into the middle of ldimm64 insn {i}", EINVAL)
            i += 2
        else:
            i += 1
