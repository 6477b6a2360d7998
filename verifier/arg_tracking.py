"""The kernel's argument-tracking data flow (kernel/bpf/liveness.c, compute_subprog_args).

The stack-argument kernel runs a forward data flow before verification that follows which
frame's stack a value may point into; this module reproduces it for its level-2 log lines
(``arg JOIN ...``).  Called from :func:`verifier.liveness.compute_live_registers`.
"""

from __future__ import annotations

from isa import opcodes as op
from verifier.liveness import successors

# --- argument tracking (kernel: liveness.c, compute_subprog_args) --------------------------
#
# The stack-argument kernel runs a forward data flow before verification that follows which
# frame's stack a value may point into: each of r0-r10, the seven outgoing stack-argument
# slots (sa0-sa6) and 64 spill slots holds an "arg track" - unvisited ("?"), not derived from
# a frame pointer ("_"), frame f at up to four known offsets ("fp0-8|fp0+0"), frame f at an
# unknown offset ("fp0 ?"), or a set of possible frames ("IMP3").  The kernel uses the result
# for its static stack liveness; this verifier gathers stack liveness during the walk
# (StackLiveness above), so here the analysis only reproduces the log: at level 2 every join
# that changes an already visited value prints
#     arg JOIN insn 9 -> 10 r1: fp0-8 + _ => fp0-8|fp0+0
# (the selftests match these lines).  The analysis' other level-2 dumps (per-insn
# transitions, "stack use/def") are not printed, and callbacks are analysed as roots only.

_UNVISITED, _NONE, _IMPRECISE = -2, -1, -3
_MAX_OFFS = 4
_SPILL_SLOTS = 64
_SA_SLOTS = 7
_NREGS = 11 + _SA_SLOTS                   # r0-r10, then sa0-sa6
_AT_UNV = (_UNVISITED, (), 0)
_AT_NONE = (_NONE, (), 0)


def _at_single(frame: int, off: int):
    return (frame, (off,), 0)


def _at_merge(a, b):
    offs = sorted(set(a[1]) | set(b[1]))
    if len(offs) > _MAX_OFFS:
        return (a[0], (), 0)
    return (a[0], tuple(offs), 0)


def _at_imprecise(a, b):
    m = 0
    for x in (a, b):
        if x[0] >= 0:
            m |= 1 << x[0]
        elif x[0] == _IMPRECISE:
            m |= x[2]
    return (_IMPRECISE, (), m)


def _at_join(a, b):
    if b[0] == _UNVISITED:
        return a
    if a[0] == _UNVISITED:
        return b
    if a[0] == b[0] and a[0] >= 0:
        if not a[1] or not b[1]:
            return (a[0], (), 0)
        return _at_merge(a, b)
    if a[0] == _NONE and b[0] == _NONE:
        return a
    if a[0] >= 0 and b[0] == _NONE:
        return _at_merge(a, _at_single(a[0], 0)) if len(a[1]) == 1 else a
    if b[0] >= 0 and a[0] == _NONE:
        return _at_merge(b, _at_single(b[0], 0)) if len(b[1]) == 1 else b
    return _at_imprecise(a, b)


def _at_text(at) -> str:
    f = at[0]
    if f == _NONE:
        return "_"
    if f == _UNVISITED:
        return "?"
    if f == _IMPRECISE:
        return "IMP%x" % at[2]
    if not at[1]:
        return "fp%d ?" % f
    return "|".join("fp%d%+d" % (f, o) for o in at[1])


def _is_fp(at) -> bool:
    return at[0] >= 0 or at[0] == _IMPRECISE


def _s16_add(off: int, delta: int):
    d = ((delta + 0x8000) & 0xFFFF) - 0x8000
    if d != delta:
        return None
    r = off + d
    return r if -0x8000 <= r <= 0x7FFF else None


def _at_padd(at, delta: int):
    if not at[1]:
        return at
    out = []
    for o in at[1]:
        r = _s16_add(o, delta)
        if r is None:
            return (at[0], (), 0)
        out.append(r)
    return (at[0], tuple(out), 0)


def _fp_slot(off: int) -> int:
    if off >= 0 or off < -_SPILL_SLOTS * 8 or off % 8:
        return -1
    return -off // 8 - 1


def _sa_slot(off: int) -> int:
    a = -off if off < 0 else off
    return -1 if a // 8 > _SA_SLOTS else a // 8 - 1


def _fill(insn, regs, reg, stack, depth):
    imp = (_IMPRECISE, (), (1 << (depth + 1)) - 1)
    if reg == 10:
        s = _fp_slot(insn.off)
        return stack[s] if s >= 0 else imp
    base = regs[reg]
    if not base[1]:
        return imp
    res = _AT_NONE
    for o in base[1]:
        r = _s16_add(o, insn.off)
        if r is None:
            return imp
        s = _fp_slot(r)
        if s < 0:
            return imp
        res = _at_join(res, stack[s])
    return res


def _spill(insn, regs, reg, stack, val, size):
    new = val if size == 8 else _AT_NONE
    if reg == 10:
        s = _fp_slot(insn.off)
        if s >= 0:
            stack[s] = new
        return
    base = regs[reg]
    if not base[1]:
        for s in range(_SPILL_SLOTS):
            stack[s] = _at_join(stack[s], new)
        return
    for o in base[1]:
        r = _s16_add(o, insn.off)
        if r is None:
            continue
        s = _fp_slot(r)
        if s < 0:
            continue
        stack[s] = new if len(base[1]) == 1 else _at_join(stack[s], new)


def _clear_overlap(stack, off, size, cnt):
    if cnt == 0:
        for i in range(_SPILL_SLOTS):
            stack[i] = _at_join(stack[i], _AT_NONE)
        return
    for i in range(_SPILL_SLOTS):
        lo = -(i + 1) * 8
        if lo < off + size and lo + 8 > off:
            stack[i] = _AT_NONE if cnt == 1 else _at_join(stack[i], _AT_NONE)


def _clear_all_offs(insn, regs, reg, stack, size):
    if reg == 10:
        _clear_overlap(stack, insn.off, size, 1)
        return
    base = regs[reg]
    if not base[1]:
        _clear_overlap(stack, 0, size, 0)
        return
    for o in base[1]:
        r = _s16_add(o, insn.off)
        if r is None:
            _clear_overlap(stack, 0, size, 0)
            break
        _clear_overlap(stack, r, size, len(base[1]))


_SIZES = {op.W: 4, op.H: 2, op.B: 1, op.DW: 8}


def _local_fp(depth, reg, at) -> bool:
    return reg == 10 or at[0] == depth or (at[0] == _IMPRECISE and at[2] >> depth & 1)


def _xfer(insn, regs, stack, sa_entry, depth, callsites, at_stack_at):
    code = insn.code
    cls = code & 7
    o = code & 0xF0
    mode = code & 0xE0
    dst, src = insn.dst, insn.src
    if cls in (op.ST, op.STX) and mode == op.MEM and dst == 11:
        s = _sa_slot(insn.off)
        if s >= 0:
            regs[11 + s] = regs[src] if cls == op.STX else _AT_NONE
    elif cls == op.LDX and mode == op.MEM and src == 11:
        s = _sa_slot(insn.off)
        regs[dst] = sa_entry[s] if s >= 0 else _AT_NONE
    elif cls == op.ALU64 and not code & op.X:
        d = regs[dst]
        if o == op.MOV:
            regs[dst] = _AT_NONE
        elif d[0] >= 0:
            imm = insn.imm
            if o == op.ADD:
                regs[dst] = _at_padd(d, imm)
            elif o == op.SUB:
                regs[dst] = _at_padd(d, -imm)
            else:
                regs[dst] = (d[0], (), 0)
    elif cls == op.ALU64:
        if o == op.MOV:
            regs[dst] = regs[src] if insn.off == 0 else _AT_NONE
        else:
            d, s_ = regs[dst], regs[src]
            if d[0] >= 0 and (s_[0] == _NONE or s_[0] == d[0]):
                regs[dst] = (d[0], (), 0)
            elif s_[0] >= 0 and d[0] == _NONE:
                regs[dst] = (s_[0], (), 0)
            elif not (d[0] == _NONE and s_[0] == _NONE):
                regs[dst] = _at_imprecise(d, s_)
    elif cls == op.ALU:
        regs[dst] = _AT_NONE
    elif cls == op.JMP and o == op.CALL:
        for r in range(6):
            regs[r] = _AT_NONE
    elif cls == op.LDX:
        size = _SIZES[code & 0x18]
        s_ = regs[src]
        full = mode == op.MEM and size == 8
        if _local_fp(depth, src, s_) and full:
            regs[dst] = _fill(insn, regs, src, stack, depth)
        elif s_[0] >= 0 and s_[0] < depth and full:
            parent = at_stack_at.get(callsites[s_[0]])
            regs[dst] = (_fill(insn, regs, src, parent, s_[0]) if parent is not None
                         else (_IMPRECISE, (), (1 << (s_[0] + 1)) - 1))
        elif s_[0] == _IMPRECISE and not s_[2] >> depth & 1 and s_[2] and full:
            regs[dst] = s_
        else:
            regs[dst] = _AT_NONE
    elif cls == op.LD and mode == op.IMM:
        regs[dst] = _AT_NONE
    elif cls == op.STX:
        size = _SIZES[code & 0x18]
        local = _local_fp(depth, dst, regs[dst])
        if local and mode == op.MEM:
            _spill(insn, regs, dst, stack, regs[src], size)
        if mode == op.ATOMIC:
            if local and insn.imm != op.LOAD_ACQ:
                _clear_all_offs(insn, regs, dst, stack, size)
            if insn.imm == op.CMPXCHG:
                regs[0] = _AT_NONE
            elif insn.imm == op.LOAD_ACQ:
                regs[dst] = _AT_NONE
            elif insn.imm & op.FETCH:
                regs[src] = _AT_NONE
    elif cls == op.ST and mode == op.MEM:
        if _local_fp(depth, dst, regs[dst]):
            _clear_all_offs(insn, regs, dst, stack, _SIZES[code & 0x18])


def _log_join(env, idx, target, r, old, out, new) -> None:
    if r >= 11:
        name = "sa%d" % (r - 11)
    elif r >= 0:
        name = "r%d" % r
    else:
        name = "fp%+d" % (r * 8)
    env.log.line(f"arg JOIN insn {idx} -> {target} {name}: {_at_text(old)} + {_at_text(out)}"
                 f" => {_at_text(new)}")


def _subprog_args(env, k: int, entry, depth: int, callsites, at_stack_at, po):
    sp = env.subprogs[k]
    start, end = sp.start, sp.end
    n = end - start
    at_in = [[_AT_UNV] * _NREGS for _ in range(n)]
    st_in = [[_AT_UNV] * _SPILL_SLOTS for _ in range(n)]
    at_in[0] = [_AT_NONE] * _NREGS
    at_in[0][10] = _at_single(depth, 0)
    if entry is not None:
        for r in range(1, 6):
            at_in[0][r] = entry[r]
    st_in[0] = [_AT_NONE] * _SPILL_SLOTS
    sa_entry = [entry[11 + r] if entry is not None else _AT_NONE for r in range(_SA_SLOTS)]
    insns = env.insns
    rpo = po[::-1]
    level2 = env.log.level2
    changed = True
    while changed:
        changed = False
        for idx in rpo:
            i = idx - start
            if at_in[i][0][0] == _UNVISITED and at_in[i][1][0] == _UNVISITED:
                continue
            regs = at_in[i].copy()
            stack = st_in[i].copy()
            _xfer(insns[idx], regs, stack, sa_entry, depth, callsites, at_stack_at)
            for t in successors(env, idx):
                if t < start or t >= end:
                    continue
                ti = t - start
                tin, tst = at_in[ti], st_in[ti]
                for r in range(_NREGS):
                    old = tin[r]
                    new = _at_join(old, regs[r])
                    if new != old:
                        tin[r] = new
                        changed = True
                        if level2 and old[0] != _UNVISITED:
                            _log_join(env, idx, t, r, old, regs[r], new)
                for r in range(_SPILL_SLOTS):
                    old = tst[r]
                    new = _at_join(old, stack[r])
                    if new != old:
                        tst[r] = new
                        changed = True
                        if level2 and old[0] != _UNVISITED:
                            _log_join(env, idx, t, -r - 1, old, stack[r], new)
    for idx in rpo:
        insn = insns[idx]
        if insn.code == (op.JMP | op.CALL) and insn.src == op.PSEUDO_CALL:
            at_stack_at[idx] = st_in[idx - start].copy()
    return at_in


def arg_tracking_log(env) -> None:
    """Run the kernel's argument-tracking data flow for its level-2 ``arg JOIN`` lines
    (see above): every subprogram as a root with nothing derived from a frame pointer on
    entry, callers first, and from each call site a callee that receives a frame-pointer
    derived argument (in r1-r5 or a stack-argument slot) one frame deeper."""
    subs = env.subprogs
    if not subs:
        return
    po: dict[int, list[int]] = {k: [] for k in range(len(subs))}
    for i in env.postorder:
        po[env.subprog_of(i)].append(i)
    # callers before callees: the reverse of a post-order walk of the call graph
    calls: dict[int, list[int]] = {k: [] for k in range(len(subs))}
    for k in range(len(subs)):
        for idx in po[k]:
            insn = env.insns[idx]
            if insn.code == (op.JMP | op.CALL) and insn.src == op.PSEUDO_CALL:
                calls[k].append(env.subprog_of(idx + insn.imm + 1))
    seen: set[int] = set()
    post: list[int] = []

    def walk(k: int) -> None:
        stack = [(k, iter(calls[k]))]
        seen.add(k)
        while stack:
            cur, it = stack[-1]
            nxt = next((c for c in it if c not in seen), None)
            if nxt is None:
                post.append(cur)
                stack.pop()
            else:
                seen.add(nxt)
                stack.append((nxt, iter(calls[nxt])))

    for k in range(len(subs)):
        if k not in seen:
            walk(k)
    analysed: set[int] = set()
    at_stack_at: dict[int, list] = {}
    budget = [10000]

    def analyse(k: int, entry, depth: int, callsites: list[int]) -> None:
        budget[0] -= 1
        if budget[0] < 0:
            return
        analysed.add(k)
        at_in = _subprog_args(env, k, entry, depth, callsites, at_stack_at, po[k])
        start = subs[k].start
        for idx in po[k]:
            insn = env.insns[idx]
            if insn.code != (op.JMP | op.CALL) or insn.src != op.PSEUDO_CALL:
                continue
            row = at_in[idx - start]
            args = [_AT_NONE] * _NREGS
            for r in range(1, 6):
                args[r] = row[r]
            for r in range(_SA_SLOTS):
                args[11 + r] = row[11 + r]
            if not any(_is_fp(a) for a in args[1:6] + args[11:]):
                continue
            if depth == 7:
                return
            callee = env.subprog_of(idx + insn.imm + 1)
            analyse(callee, args, depth + 1, callsites[:depth] + [idx])

    for k in reversed(post):
        if k in analysed and not subs[k].is_global:
            continue
        analyse(k, None, 0, [])
