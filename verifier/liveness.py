"""Liveness: which registers and stack slots may still be read.

State pruning ignores dead values, so two states that differ only in dead
registers or slots are the same.  Two analyses, as in the kernel:

* **Registers** (kernel: compute_live_registers) - a static backward data
  flow over the instruction graph before verification: ``live_before[i]``
  is the set of r0-r10 that some path from ``i`` reads before writing.
  Calls read their argument registers (helper prototypes give the count)
  and clobber r0-r5; exit reads r0.

* **Stack slots** (kernel: kernel/bpf/liveness.c) - gathered *during*
  verification because stack addresses are only known then.  For each call
  chain (callsites + subprogram) and instruction the verifier records the
  8-byte slots an instruction may read and the slots it surely overwrites;
  a fixed-point pass per function instance turns that into "slot may be
  read at or after this instruction", and a callee's reads of its caller's
  stack flow back to the call site.  Queries combine the current function
  with the callers' return sites.
"""

from __future__ import annotations

from isa import opcodes as op
from isa.ints import U64
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
        p = get_proto(env.prog_type, insn.imm)
        if p is None:
            return None
        return len(p.args)
    if insn.src == op.PSEUDO_KFUNC_CALL:
        d = env.kfunc_by_id.get(insn.imm)
        return None if d is None else d.reg_args
    return None


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


def compute_live_registers(env) -> None:
    if env.log.level2 and env.inp.static_liveness:
        pos = env.log.pos
        try:
            arg_tracking_log(env)
        except Exception:  # noqa: BLE001 - log lines only: never let them change a verdict
            env.log.reset(pos)
    n = env.n
    use = [0] * n
    defs = [0] * n
    for i in range(n):
        use[i], defs[i] = _insn_use_def(env, i)
    live_in = [0] * n
    live_out = [0] * n
    succ = [successors(env, i) for i in range(n)]
    order = env.postorder
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
    for i in range(n):
        env.aux[i].live_regs_before = live_in[i] & 0x7FF
    if env.log.level2:
        _print_live(env)


def _print_live(env) -> None:
    env.log.line("Live regs before insn:")
    i = 0
    while i < env.n:
        live = env.aux[i].live_regs_before
        s = "".join(str(r) if live >> r & 1 else "." for r in range(10))
        mark = f"{env.aux[i].scc:3d}" if env.aux[i].scc else "   "
        text = env.insn_text(i)
        env.log.line(f"{mark} {i:3d}: {s} {text}")
        i += 2 if env.insns[i].code == op.LD_IMM64 else 1


# --- stack slots -------------------------------------------------------------------------

class _Instance:
    """Per call chain: per frame, per instruction masks."""
    __slots__ = ("key", "start", "cnt", "frames", "must_write_set", "updated",
                 "must_write_dropped", "curframe")

    def __init__(self, key: tuple, start: int, cnt: int, curframe: int):
        self.key = key            # (callsites..., subprog start)
        self.start = start
        self.cnt = cnt
        self.curframe = curframe
        # frames[f] = [may_read, must_write, must_write_acc, live_before] lists or None
        self.frames: list = [None] * (curframe + 1)
        self.must_write_set = [False] * cnt
        self.updated = False
        self.must_write_dropped = False

    def masks(self, frame: int):
        m = self.frames[frame]
        if m is None:
            m = self.frames[frame] = [[0] * self.cnt, [0] * self.cnt, [0] * self.cnt,
                                      [0] * self.cnt]
        return m


class StackLiveness:
    def __init__(self, env):
        self.instances: dict[tuple, _Instance] = {}
        self.cur: _Instance | None = None
        self.write_acc: list[int] = [0] * 8
        self.any_write = False
        self.write_idx = 0
        self.iterations_log = env.log.level2
        self.sub_po: dict[int, list[int]] = {}
        self._q = None
        for k, sp in enumerate(env.subprogs):
            self.sub_po[sp.start] = [i for i in env.postorder if sp.start <= i < sp.end]

    # call chains
    @staticmethod
    def _key(env, st, frameno: int) -> tuple:
        sites = tuple(st.frames[i + 1].callsite for i in range(frameno))
        start = env.subprogs[st.frames[frameno].subprogno].start
        return sites + (start,)

    def _lookup(self, env, key: tuple) -> _Instance:
        inst = self.instances.get(key)
        if inst is None:
            start = key[-1]
            sp = env.subprogs[env.subprog_of(start)]
            inst = _Instance(key, start, sp.end - sp.start, len(key) - 1)
            self.instances[key] = inst
        return inst

    def _instance(self, env, st, frameno: int) -> _Instance:
        return self._lookup(env, self._key(env, st, frameno))

    def reset_cur(self) -> None:
        self.cur = None

    def _ensure_cur(self, env) -> _Instance:
        if self.cur is None:
            st = env.cur
            self.cur = self._instance(env, st, st.curframe)
        return self.cur

    # recording
    def mark_read(self, env, frame: int, spi: int) -> None:
        inst = self._ensure_cur(env)
        self._mark_read(inst, frame, env.insn_idx, 1 << spi)

    def _mark_read(self, inst: _Instance, frame: int, insn_idx: int, mask: int) -> None:
        if frame > inst.curframe:
            return
        m = inst.masks(frame)
        rel = insn_idx - inst.start
        if not 0 <= rel < inst.cnt:
            return
        new = m[0][rel] | mask
        if new != m[0][rel] and (new | m[3][rel]) != m[3][rel]:
            inst.updated = True
        m[0][rel] = new

    def reset_writes(self, env, insn_idx: int) -> None:
        if self.cur is None:
            self._ensure_cur(env)
        self.write_idx = insn_idx
        if self.any_write:
            self.write_acc = [0] * 8
            self.any_write = False

    def mark_write(self, env, frame: int, spi: int) -> None:
        self.write_acc[frame] |= 1 << spi
        self.any_write = True

    def commit_writes(self, env) -> None:
        inst = self.cur
        if inst is None:
            return
        if not self.any_write:
            # nothing written: only a first visit or a non-empty must_write changes
            idx = self.write_idx - inst.start
            if 0 <= idx < inst.cnt and inst.must_write_set[idx]:
                for m in inst.frames:
                    if m is not None and m[1][idx]:
                        break
                else:
                    return
        self._commit(inst)

    def _commit(self, inst: _Instance) -> None:
        idx = self.write_idx - inst.start
        if not 0 <= idx < inst.cnt:
            return
        for frame in range(inst.curframe + 1):
            mask = self.write_acc[frame]
            if mask == 0 and not inst.must_write_set[idx]:
                continue
            m = inst.masks(frame)
            old = m[1][idx]
            if inst.must_write_set[idx]:
                mask &= old
            if old != mask:
                m[1][idx] = mask
                inst.updated = True
            if old & ~mask:
                inst.must_write_dropped = True
        inst.must_write_set[idx] = True
        self.write_idx = 0

    # propagation
    def update(self, env) -> None:
        """kernel: bpf_update_live_stack - after pop_stack and subprog exit."""
        self.cur = None
        st = env.cur
        if st is None:
            return
        for frame in range(st.curframe, -1, -1):
            inst = self._instance(env, st, frame)
            if inst.updated:
                self._update_instance(env, inst)
                inst.updated = False
                inst.must_write_dropped = False

    def _update_instance(self, env, inst: _Instance) -> None:
        if inst.must_write_dropped:
            for m in inst.frames:
                if m is not None:
                    m[2] = [0] * inst.cnt
        po = self.sub_po.get(inst.start, [])
        start = inst.start
        cnt_iter = 0
        changed = True
        while changed:
            cnt_iter += 1
            changed = False
            for frame in range(inst.curframe + 1):
                m = inst.frames[frame]
                if m is None:
                    continue
                may_read, must_write, mwa, live = m
                for i in po:
                    succ = successors(env, i)
                    if not succ:
                        continue
                    rel = i - start
                    new_after = 0
                    acc = U64
                    for s in succ:
                        srel = s - start
                        if 0 <= srel < inst.cnt:
                            new_after |= live[srel]
                            acc &= mwa[srel]
                    acc |= must_write[rel]
                    new_before = (new_after & ~must_write[rel]) | may_read[rel]
                    if env.log.level2 and (may_read[rel] or must_write[rel] or i == start
                                           or env.aux[i].prune_point):
                        self._log_change(env, inst, "live", frame, i, live[rel], new_before)
                        self._log_change(env, inst, "written", frame, i, mwa[rel], acc)
                    if new_before != live[rel] or acc != mwa[rel]:
                        changed = True
                    live[rel] = new_before
                    mwa[rel] = acc
        if env.log.level2:
            env.log.line(f"{self._fmt(inst)} live stack update done in {cnt_iter} iterations")
        if inst.curframe > 0:
            self._propagate_outer(env, inst)

    def _fmt(self, inst: _Instance) -> str:
        return "(" + ",".join(str(c) for c in inst.key) + ")"

    def _log_change(self, env, inst, pfx: str, frame: int, i: int, old: int, new: int) -> None:
        ch = old ^ new
        if not ch:
            return
        ones, zeros = new & ch, ~new & ch
        s = f"{self._fmt(inst)} frame {frame} insn {i} "
        if ones:
            s += f"+{pfx} {_fmt_mask(ones)} "
        if zeros:
            s += f"-{pfx} {_fmt_mask(zeros & U64)}"
        env.log.line(s)

    def _propagate_outer(self, env, inst: _Instance) -> None:
        key = inst.key
        outer_key = key[:-2] + (self._outer_start(env, key),)
        outer = self._lookup(env, outer_key)
        callsite = key[-2]
        self.write_idx = callsite
        self.write_acc = [0] * 8
        self.any_write = False
        for frame in range(inst.curframe):
            m = inst.frames[frame]
            if m is None:
                continue
            self.write_acc[frame] |= m[2][0]
            self._mark_read(outer, frame, callsite, m[3][0])
        self._commit(outer)
        # the accumulated writes belonged to the callsite: the next instruction
        # must start from nothing (reset_writes only clears after a write)
        self.write_acc = [0] * 8
        self.any_write = False

    @staticmethod
    def _outer_start(env, key: tuple) -> int:
        callsite = key[-2]
        return env.subprogs[env.subprog_of(callsite)].start

    # queries (kernel: bpf_live_stack_query_init / bpf_stack_slot_alive)
    def slot_alive(self, env, st, frameno: int, spi: int) -> bool:
        q = self._q
        if q is None or q[0] is not st:
            insts = [self._instance(env, st, f) for f in range(st.curframe + 1)]
            q = self._q = (st, insts)
        insts = q[1]
        cur = insts[st.curframe]
        if _live_before(cur, st.insn_idx, frameno, spi):
            return True
        for i in range(frameno, st.curframe):
            callsite = cur.key[i]
            inst = insts[i]
            at = callsite if env.aux[callsite].calls_callback else callsite + 1
            if _live_before(inst, at, frameno, spi):
                return True
        return False


def _live_before(inst: _Instance, insn_idx: int, frameno: int, spi: int) -> bool:
    if frameno > inst.curframe:
        return False
    m = inst.frames[frameno]
    if m is None:
        return False
    rel = insn_idx - inst.start
    if not 0 <= rel < inst.cnt:
        return False
    return bool(m[3][rel] >> spi & 1)


def _fmt_mask(mask: int) -> str:
    return ",".join(f"-{(i + 1) * 8}" for i in range(64) if mask >> i & 1)


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
