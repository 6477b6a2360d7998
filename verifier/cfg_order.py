"""The instruction orders the liveness passes and the state cache use, computed after
the CFG walk (kernel, verifier.c: compute_postorder, compute_scc).

:func:`compute_postorder` gives the order the liveness fixpoints walk (and their level-2
log lines come out in); :func:`compute_scc` numbers the loops (``aux.scc``), which
is_state_visited consults.  Both read ``env.succ`` (:mod:`verifier.cfg`).
"""

from __future__ import annotations

from isa import opcodes as op
from verifier.env import Env

DISCOVERED = 0x10       # DFS insn states (check_cfg's walk uses them too)
EXPLORED = 0x20
_CALL, _EXIT = op.CALL, op.EXIT


def compute_postorder(env: Env, ldimm: list[int]) -> list[int]:
    """kernel: compute_postorder - per subprogram, a DFS from its first insn that
    pushes every undiscovered successor at once (fall-through, then jump
    target, so the target is explored first); an insn is emitted when it is
    met again after its successors.  Liveness fixpoints walk this order, and
    their level-2 log lines come out in it.  A program without jumps (every
    subprogram a straight line to its exit: check_cfg saw every insn reached)
    gives each subprogram's insns backwards (``ldimm``: the LD_IMM64s, whose
    second slot is no insn)."""
    n = env.n
    succ = env.succ
    insns = env.insns
    out: list[int] = []
    if not any((insns[i].code & 0xF0) not in (_CALL, _EXIT) for i in env.jmp_insns):
        for sp in env.subprogs:
            out.extend(range(sp.end - 1, sp.start - 1, -1))
        if ldimm:
            second = {i + 1 for i in ldimm}
            out = [i for i in out if i not in second]
        return out
    state = [0] * n
    for sp in env.subprogs:
        stack = [sp.start]
        while stack:
            top = stack[-1]
            if state[top] & EXPLORED:
                out.append(top)
                stack.pop()
                continue
            for s in succ[top]:
                if 0 <= s < n and not state[s]:
                    stack.append(s)
                    state[s] |= DISCOVERED
            state[top] |= EXPLORED
    return out


def postorder_forward(env: Env, edges: dict, ldimm: list[int]) -> list[int]:
    """compute_postorder of a program of one function whose jumps all go forward
    (cfg_walk._check_cfg_forward; ``edges``: the successors of its exits, JAs and conditional
    jumps), walked by straight runs: a run is entered only at its first insn and every
    insn of it has one successor, so the walk pushes the run's insns one after another and
    emits them backwards once what follows the run is emitted.  Nothing before the walk
    reaches a run twice, and what it pushes after a run is what the run's last insn
    pushes, in the same order."""
    n = env.n
    if len(edges) == 1:
        # no jump but the exit, which ends the program (every insn was reached)
        out = list(range(n - 1, -1, -1))
    else:
        starts = {0}            # runs start at insn 0, at targets and after a jump
        for j, s in edges.items():
            starts.update(s)
            starts.add(j + 1)
        starts.discard(n)
        order = sorted(starts)
        order.append(n)
        run_end = dict(zip(order, order[1:]))
        out = []
        stack = [0]
        state = dict.fromkeys(order, 0)     # per run: 1 discovered, 2 explored
        state[0] = 1
        while stack:
            top = stack[-1]
            end = run_end[top]
            if state[top] == 2:
                out.extend(range(end - 1, top - 1, -1))
                stack.pop()
                continue
            state[top] = 2
            s = edges.get(end - 1)
            for w in (end,) if s is None else s:
                if not state[w]:
                    stack.append(w)
                    state[w] = 1
    if ldimm:
        second = {i + 1 for i in ldimm}
        out = [i for i in out if i not in second]
    return out


def compute_scc(env: Env) -> None:
    """Strongly connected components of the instruction graph (Tarjan,
    iterative).  Instructions in loops get a non-zero ``aux.scc``."""
    if env.loop_free:
        return      # every edge goes forward (check_cfg): no cycle, every aux.scc stays 0
    n = env.n
    # env.succ (check_cfg): every edge of a program that passed check_cfg stays inside
    # it (jumps were range-checked, the last insn is an exit or a jump)
    succ = env.succ
    index = [0] * n
    low = [0] * n
    on = [False] * n
    counter = 1
    st: list[int] = []
    scc_id = 0
    for root in range(n):
        if index[root]:
            continue
        work = [(root, 0)]
        while work:
            v, pi = work.pop()
            if pi == 0:
                index[v] = low[v] = counter
                counter += 1
                st.append(v)
                on[v] = True
            recurse = False
            s = succ[v]
            while pi < len(s):
                w = s[pi]
                pi += 1
                if not index[w]:
                    work.append((v, pi))
                    work.append((w, 0))
                    recurse = True
                    break
                if on[w]:
                    low[v] = min(low[v], index[w])
            if recurse:
                continue
            if low[v] == index[v]:
                comp = []
                while True:
                    w = st.pop()
                    on[w] = False
                    comp.append(w)
                    if w == v:
                        break
                loop = len(comp) > 1 or v in succ[v]
                if loop:
                    scc_id += 1
                    for w in comp:
                        env.aux[w].scc = scc_id
            if work:
                u, _ = work[-1]
                low[u] = min(low[u], low[v])
