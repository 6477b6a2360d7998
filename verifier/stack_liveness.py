"""Stack-slot liveness (kernel: kernel/bpf/liveness.c): which 8-byte stack slots may
still be read, gathered *during* verification because stack addresses are only known
then.  For each call chain (callsites + subprogram) and instruction the verifier records
the slots an instruction may read and the slots it surely overwrites; a fixed-point pass
per function instance turns that into "slot may be read at or after this instruction",
and a callee's reads of its caller's stack flow back to the call site.  Queries combine
the current function with the callers' return sites.  Register liveness, computed
before the walk, is :mod:`verifier.liveness`."""

from __future__ import annotations

from isa.ints import U64
from verifier.errors import EFAULT, VerifierError

class _Instance:
    """Per call chain: per frame, per instruction masks."""
    __slots__ = ("key", "start", "cnt", "frames", "must_write_set", "updated",
                 "must_write_dropped", "curframe", "any_must_write")

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
        self.any_must_write = False     # some must_write mask was ever set nonzero

    def masks(self, frame: int):
        m = self.frames[frame]
        if m is None:
            m = self.frames[frame] = [[0] * self.cnt, [0] * self.cnt, [0] * self.cnt,
                                      [0] * self.cnt]
        return m


class StackLiveness:
    """kernel: bpf_stack_liveness (liveness.c) - the per-call-chain instances, the write
    marks of the instruction being verified and the fixed-point update."""
    __slots__ = ("instances", "cur", "write_acc", "any_write", "write_idx", "_sub_po", "_env",
                 "_q", "any_updated", "_edges", "_journal", "_open")

    def __init__(self, env):
        # the run, for sub_po (the driver drops env.liveness at the end: no cycle remains)
        self._env = env
        self._init_marks()

    def _init_marks(self) -> None:
        self.instances: dict[tuple, _Instance] = {}
        self.cur: _Instance | None = None
        self.write_acc: list[int] = [0] * 8
        self.any_write = False
        self.write_idx = 0
        # some instance has updated marks (update() has work to do); False = none has
        self.any_updated = False
        self._sub_po: dict[int, list[int]] | None = None    # sub_po, once asked for
        # subprogram start -> (its flow edges in postorder, relative; one sweep enough?)
        self._edges: dict[int, tuple[list, bool]] = {}
        self._q = None

    @property
    def sub_po(self) -> dict[int, list[int]]:
        """Subprogram start -> its insns in ``env.postorder``: built on first use (most
        programs never update a stack mark, and the postorder is then never needed)."""
        po = self._sub_po
        if po is None:
            env = self._env
            subprogs = env.subprogs
            if len(subprogs) == 1:
                po = {subprogs[0].start: env.postorder}
            else:
                order = env.postorder
                po = {sp.start: [i for i in order if sp.start <= i < sp.end]
                      for sp in subprogs}
            self._sub_po = po
        return po

    # call chains
    @staticmethod
    def _key(env, st, frameno: int) -> tuple:
        frames = st.frames
        start = env.subprogs[frames[frameno].subprogno].start
        if not frameno:
            return (start,)
        return tuple([frames[i + 1].callsite for i in range(frameno)] + [start])

    def _lookup(self, env, key: tuple) -> _Instance:
        inst = self.instances.get(key)
        if inst is None:
            start = key[-1]
            subprogs = env.subprogs
            sp = subprogs[0] if len(subprogs) == 1 else subprogs[env.subprog_of(start)]
            inst = _Instance(key, start, sp.end - sp.start, len(key) - 1)
            self.instances[key] = inst
        return inst

    def _instance(self, env, st, frameno: int) -> _Instance:
        return self._lookup(env, self._key(env, st, frameno))

    def reset_cur(self) -> None:
        self.cur = None

    def _ensure_cur(self, env) -> _Instance:
        cur = self.cur
        if cur is None:
            key = _cur_key(env, env.cur)
            cur = self.cur = self.instances.get(key) or self._lookup(env, key)
        return cur

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
            self.any_updated = True
        m[0][rel] = new

    def check_writes(self, env, insn_idx: int, check, insn, *args):
        """``check(env, insn, *args)`` for instruction ``insn_idx``, which may write stack
        slots (a store or a call), between the reset and the commit of its write marks
        (kernel: the write marks of one instruction, committed after it is checked);
        returns what ``check`` returns.  One call for the three steps: do_check runs
        this for every store (its checker directly) and call."""
        if self.cur is None:
            self._ensure_cur(env)
        self.write_idx = insn_idx
        if self.any_write:
            self.write_acc = [0] * 8
            self.any_write = False
        nxt = check(env, insn, *args)
        inst = self.cur
        if inst is None:
            return nxt
        if not self.any_write:
            # nothing written: only a first visit or a non-empty must_write changes
            idx = self.write_idx - inst.start
            if not 0 <= idx < inst.cnt:
                return nxt
            if not inst.must_write_set[idx]:
                # first visit, no write (write_acc is all zeros): what _commit does then
                inst.must_write_set[idx] = True
                self.write_idx = 0
                return nxt
            if not inst.any_must_write:
                return nxt      # every must_write mask is still 0: nothing to drop
            for m in inst.frames:
                if m is not None and m[1][idx]:
                    break
            else:
                return nxt
        self._commit(inst)
        return nxt

    def mark_write(self, env, frame: int, spi: int) -> None:
        self.write_acc[frame] |= 1 << spi
        self.any_write = True

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
                self.any_updated = True
                if mask:
                    inst.any_must_write = True
            if old & ~mask:
                inst.must_write_dropped = True
        inst.must_write_set[idx] = True
        self.write_idx = 0

    def _replay(self, env, it) -> None:
        """Make the calls a _DeferredLiveness recorded, in order, until the end of the
        journal or of the current check_writes' check (_END).  Each call is made as the
        walk made it: with the chain of its time already current (a _CUR entry
        precedes whatever looked it up) and the instruction index it read."""
        for e in it:
            tag = e[0]
            if tag == _READ:
                self._mark_read(self.cur, e[1], e[2], 1 << e[3])
            elif tag == _WRITE:
                self.mark_write(env, e[1], e[2])
            elif tag == _CUR:
                self.cur = self.instances.get(e[1]) or self._lookup(env, e[1])
            elif tag == _WRITES:
                # the check's own calls are replayed as the check
                self.check_writes(env, e[1], self._replay, it)
            elif tag == _END:
                return
            elif tag == _RESET:
                self.cur = None
            else:                   # _UPDATE: update() with the chain of its time
                self.cur = None
                if self.any_updated and e[1] is not None:
                    self._update_chain(env, e[1])

    # propagation
    def update(self, env) -> None:
        """kernel: bpf_update_live_stack - after pop_stack and subprog exit."""
        self.cur = None
        if not self.any_updated:
            return              # no instance has new marks: nothing to propagate
        st = env.cur
        if st is not None:
            self._update_chain(env, _chain(env, st))

    def _update_chain(self, env, keys: list) -> None:
        """update() for the current call chain ``keys`` (innermost first)."""
        instances = self.instances
        for key in keys:
            inst = instances.get(key) or self._lookup(env, key)
            if inst.updated:
                self._update_instance(env, inst)
                inst.updated = False
                inst.must_write_dropped = False
        for inst in instances.values():
            if inst.updated:
                break
        else:
            self.any_updated = False

    def _update_instance(self, env, inst: _Instance) -> None:
        if inst.must_write_dropped:
            for m in inst.frames:
                if m is not None:
                    m[2] = [0] * inst.cnt
        level2 = env.log.level2
        if not level2:
            self._fixed_point(env, inst)
            if inst.curframe > 0:
                self._propagate_outer(env, inst)
            return
        po = self.sub_po.get(inst.start, [])
        succ_of = env.succ
        start = inst.start
        cnt = inst.cnt
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
                    succ = succ_of[i]
                    if not succ:
                        continue
                    rel = i - start
                    new_after = 0
                    acc = U64
                    for s in succ:
                        srel = s - start
                        if 0 <= srel < cnt:
                            new_after |= live[srel]
                            acc &= mwa[srel]
                    acc |= must_write[rel]
                    new_before = (new_after & ~must_write[rel]) | may_read[rel]
                    if level2 and (may_read[rel] or must_write[rel] or i == start
                                   or env.prune_point[i]):
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

    def _edges_of(self, env, inst: _Instance):
        """The instructions of the instance's subprogram that have successors, in
        postorder, each as (index, successor indices inside the subprogram), relative to
        its start: what every sweep of the fixed point walks; and whether one sweep
        reaches the fixed point - every successor is either swept before its
        predecessor or never changes (no successors: it is not in the list), as in a
        subprogram without loops.  Built once per subprogram."""
        start = inst.start
        got = self._edges.get(start)
        if got is None:
            # plain loops: comprehensions and generators are a call each (Python 3.11)
            succ_of = env.succ
            cnt = inst.cnt
            edges = []
            pos = {}            # relative index -> its position in edges
            for i in self.sub_po.get(start, ()):
                succ = succ_of[i]
                if succ:
                    srels = []
                    for s in succ:
                        s -= start
                        if 0 <= s < cnt:
                            srels.append(s)
                    pos[i - start] = len(edges)
                    edges.append((i - start, tuple(srels)))
            one_sweep = True
            for k, (_, srels) in enumerate(edges):
                for s in srels:
                    if pos.get(s, -1) >= k:
                        one_sweep = False
            got = self._edges[start] = (edges, one_sweep)
        return got

    def _fixed_point(self, env, inst: _Instance) -> None:
        """_update_instance's sweeps without the level-2 log: each frame's masks depend
        only on that frame's, so each frame is swept to its own fixed point (the result
        is the same as sweeping all frames together until none changes).  Where one
        sweep suffices (_edges_of), the confirming sweep that would change nothing is
        not made."""
        edges, one_sweep = self._edges_of(env, inst)
        for m in inst.frames:
            if m is None:
                continue
            may_read, must_write, mwa, live = m
            while True:
                changed = False
                for rel, srels in edges:
                    after = 0
                    acc = U64
                    for s in srels:
                        after |= live[s]
                        acc &= mwa[s]
                    mw = must_write[rel]
                    before = (after & ~mw) | may_read[rel]
                    acc |= mw
                    if before != live[rel] or acc != mwa[rel]:
                        live[rel] = before
                        mwa[rel] = acc
                        changed = True
                if one_sweep or not changed:
                    break

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
        # must start from nothing (check_writes only clears after a write)
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


# the deferred marks' journal: what each entry stands for (see _DeferredLiveness)
_CUR, _READ, _WRITE, _WRITES, _END, _RESET, _UPDATE = range(7)
# entries recorded before the journal is replayed anyway: bounds its memory on long walks
_JOURNAL_MAX = 512


class _DeferredLiveness(StackLiveness):
    """StackLiveness that records its calls and does their work only when a result is
    asked for.  The marks are read by nothing but the state cleaning of prune.py
    (slot_alive) and the level-2 log, and a small program usually ends before either
    (most verify with no state ever cleaned): recording costs an append per call where
    the marks cost an instance, its mask lists and a fixed point per update.  The first
    slot_alive, or a journal longer than _JOURNAL_MAX, replays every call in order
    through StackLiveness's own methods (_replay: the results are theirs, exactly) and
    turns the object into a plain StackLiveness for the rest of the run.  Each entry
    keeps what its call read from the walk when it was made: the call chain of the
    current state (_cur_key: where StackLiveness._ensure_cur looks it up; _chain for
    update) and the instruction index of a read.  Not used at log level 2, whose log
    prints every update."""
    __slots__ = ()

    def __init__(self, env):
        self._env = env
        self._journal: list | None = []
        self._open = False          # inside check_writes' check: no replay there
        self.cur = None             # the chain key, where StackLiveness has its instance

    def _flush(self, env) -> None:
        """Replay the journal: from here on this is a plain StackLiveness."""
        journal = self._journal
        self._journal = None
        self.__class__ = StackLiveness
        self._init_marks()
        self._replay(env, iter(journal))

    def check_writes(self, env, insn_idx: int, check, insn, *args):
        j = self._journal
        if self.cur is None:
            self.cur = key = _cur_key(env, env.cur)
            j.append((_CUR, key))
        j.append((_WRITES, insn_idx))
        self._open = True
        nxt = check(env, insn, *args)
        self._open = False
        j.append((_END,))
        if len(j) > _JOURNAL_MAX:
            self._flush(env)
        return nxt

    def mark_read(self, env, frame: int, spi: int) -> None:
        j = self._journal
        if self.cur is None:
            self.cur = key = _cur_key(env, env.cur)
            j.append((_CUR, key))
        j.append((_READ, frame, env.insn_idx, spi))
        if len(j) > _JOURNAL_MAX and not self._open:
            self._flush(env)

    def mark_write(self, env, frame: int, spi: int) -> None:
        self._journal.append((_WRITE, frame, spi))

    def reset_cur(self) -> None:
        self.cur = None
        self._journal.append((_RESET,))

    def update(self, env) -> None:
        self.cur = None
        st = env.cur
        j = self._journal
        j.append((_UPDATE, None if st is None else _chain(env, st)))
        if len(j) > _JOURNAL_MAX and not self._open:
            self._flush(env)

    def slot_alive(self, env, st, frameno: int, spi: int) -> bool:
        if self._open:
            raise VerifierError("verifier bug: stack liveness asked inside a store", EFAULT)
        self._flush(env)
        return self.slot_alive(env, st, frameno, spi)


def stack_liveness(env) -> StackLiveness:
    """The stack-slot liveness of one run: deferred (_DeferredLiveness) unless the
    level-2 log prints its updates as they happen."""
    return StackLiveness(env) if env.log.level2 else _DeferredLiveness(env)


def _cur_key(env, st) -> tuple:
    """The call chain of the innermost frame of ``st`` (StackLiveness._key)."""
    if st.curframe:
        return StackLiveness._key(env, st, st.curframe)
    return (env.subprogs[st.frames[0].subprogno].start,)     # the outermost frame, inlined


def _chain(env, st) -> list:
    """The call chains of every frame of ``st``, innermost first (what update() walks)."""
    if not st.curframe:
        return [(env.subprogs[st.frames[0].subprogno].start,)]      # _key, inlined
    key = StackLiveness._key
    return [key(env, st, frame) for frame in range(st.curframe, -1, -1)]


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
