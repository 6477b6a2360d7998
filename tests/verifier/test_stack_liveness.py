"""The deferred stack-slot liveness gives exactly what the eager one gives.

``stack_liveness._DeferredLiveness`` records the walk's calls (reads, writes, the
per-instruction write commit, chain resets, updates) and replays them through
``StackLiveness``'s own methods only when ``slot_alive`` is first asked (or its journal
grows long).  The oracle is ``StackLiveness`` made eager from the start, which the
live-kernel tests hold to the kernel's logs (level 2 always runs it eagerly):

* every program is verified with both side by side (``_Tee`` below forwards each call
  to an eager and a deferred object): every ``slot_alive`` answer must agree, and at the
  end the deferred one is replayed and its whole state (every instance's masks and
  flags) must equal the eager one's;
* with the journal bound set small, replays happen at every kind of point of the walk;
* verdicts, messages and processed-insn and state counts do not change when the
  factory is switched to the eager object.

Programs: fixed-seed random ones (random_progs) and generated bpf-to-bpf calls that
pass stack pointers into callees (frames, chains and the outer propagation), with
bounded loops (states cleaned, so slot_alive asked).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import isa
from isa import opcodes as op
from verifier import VerifierInput, core, stack_liveness, verify
from verifier.stack_liveness import StackLiveness, _DeferredLiveness

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_progs import MAPS, facts, mixed_programs  # noqa: E402

I = isa.Insn


def _st_dw(off, imm):
    return I(op.ST | op.MEM | op.DW, 10, 0, off, imm)


def _callee(r: random.Random, depth: int) -> list:
    """A static subprogram: r1 points into its caller's stack (8 bytes at least)."""
    body = []
    for _ in range(r.randrange(1, 8)):
        k = r.random()
        if k < 0.2:
            body.append(I(op.STX | op.MEM | op.DW, 1, r.choice([2, 3, 4]), 0))
        elif k < 0.35:
            body.append(I(op.LDX | op.MEM | op.DW, r.choice([2, 3, 4]), 1, 0))
        elif k < 0.5:
            body.append(_st_dw(r.choice([-8, -16]), r.choice([0, 1, 7])))
        elif k < 0.6:
            body.append(I(op.LDX | op.MEM | op.DW, r.choice([3, 4]), 10, r.choice([-8, -16])))
        elif k < 0.75:
            body.append(I(op.ALU64 | op.MOV, r.choice([2, 3, 4]), 0, 0, r.choice([0, 1, 5])))
        elif k < 0.9:
            body.append(I(op.JMP | op.JGT, r.choice([2, 3]), 0, 1, r.choice([0, 3])))
            body.append(I(op.ALU64 | op.MOV, r.choice([2, 3]), 0, 0, 1))
        else:
            body.append(I(op.ST | op.MEM | op.W, 1, 0, r.choice([0, 4]), 3))
    body += [I(op.ALU64 | op.MOV, 0, 0, 0, r.choice([0, 1])), I(op.EXIT_OP)]
    return body


def call_program(r: random.Random) -> list:
    """main stores stack slots, loops a few times calling a static subprogram with a
    pointer to one of them (sometimes two levels deep), reads slots back and exits."""
    main = [I(op.ALU64 | op.MOV, 6, 0, 0, 0), _st_dw(-8, 0), _st_dw(-16, 5)]
    if r.random() < 0.5:
        main.append(_st_dw(-24, 1))
    loop = len(main)
    main += [I(op.ALU64 | op.MOV | op.X, 1, 10), I(op.ALU64 | op.ADD, 1, 0, 0,
                                                    r.choice([-8, -16, -24])),
             I(op.ALU64 | op.MOV, 2, 0, 0, r.choice([0, 1, 2])),
             I(op.ALU64 | op.MOV, 3, 0, 0, 0), I(op.ALU64 | op.MOV, 4, 0, 0, 1),
             None,                                        # the call, patched below
             I(op.LDX | op.MEM | op.DW, 3, 10, r.choice([-8, -16])),
             I(op.JMP | op.JGT, 3, 0, 1, r.choice([0, 4])),
             _st_dw(-8, r.choice([0, 2])),
             I(op.ALU64 | op.ADD, 6, 0, 0, 1)]
    main.append(I(op.JMP | op.JLT, 6, 0, loop - len(main) - 1, r.choice([1, 2, 3])))
    main += [I(op.LDX | op.MEM | op.DW, 0, 10, -8), I(op.ALU64 | op.MOV, 0, 0, 0, 0),
             I(op.EXIT_OP)]
    sub1 = _callee(r, 1)
    sub2 = []
    if r.random() < 0.4:
        # sub1 calls sub2 with its own stack (a two-frame chain) before it returns
        sub2 = _callee(r, 2)
        sub1 = [_st_dw(-8, 1), I(op.ALU64 | op.MOV | op.X, 6, 1),
                I(op.ALU64 | op.MOV | op.X, 1, 10), I(op.ALU64 | op.ADD, 1, 0, 0, -8),
                I(op.ALU64 | op.MOV, 3, 0, 0, 2), I(op.ALU64 | op.MOV, 4, 0, 0, 0),
                None, I(op.ALU64 | op.MOV | op.X, 1, 6)] + sub1
    s1 = len(main)
    s2 = s1 + len(sub1)
    call_at = main.index(None)
    main[call_at] = I(op.CALL_OP, 0, op.PSEUDO_CALL, 0, s1 - call_at - 1)
    if sub2:
        k = sub1.index(None)
        sub1[k] = I(op.CALL_OP, 0, op.PSEUDO_CALL, 0, s2 - (s1 + k) - 1)
    return main + sub1 + sub2


def _programs(n_shaped=300, n_raw=300, n_calls=300):
    r = random.Random(20261208)
    progs = mixed_programs(r, n_shaped, n_raw)
    progs += [(call_program(r), "socket_filter") for _ in range(n_calls)]
    return progs


def _state(lv: StackLiveness) -> tuple:
    """Everything a StackLiveness keeps about the marks."""
    insts = tuple(sorted(
        (key, inst.start, inst.cnt, inst.curframe, repr(inst.frames), tuple(inst.must_write_set),
         inst.updated, inst.must_write_dropped, inst.any_must_write)
        for key, inst in lv.instances.items()))
    return (insts, lv.any_updated, lv.cur.key if lv.cur is not None else None)


class _Tee:
    """Forwards every call of the walk to an eager and a deferred StackLiveness."""
    made: list = []
    asked = 0

    def __init__(self, env):
        self.eager = StackLiveness(env)
        self.deferred = _DeferredLiveness(env)
        self.env = env
        _Tee.made.append(self)

    def check_writes(self, env, insn_idx, check, insn, *args):
        def inner(env, insn, *args):
            return self.deferred.check_writes(env, insn_idx, check, insn, *args)
        return self.eager.check_writes(env, insn_idx, inner, insn, *args)

    def mark_read(self, env, frame, spi):
        self.eager.mark_read(env, frame, spi)
        self.deferred.mark_read(env, frame, spi)

    def mark_write(self, env, frame, spi):
        self.eager.mark_write(env, frame, spi)
        self.deferred.mark_write(env, frame, spi)

    def reset_cur(self):
        self.eager.reset_cur()
        self.deferred.reset_cur()

    def update(self, env):
        self.eager.update(env)
        self.deferred.update(env)

    def slot_alive(self, env, st, frameno, spi):
        a = self.eager.slot_alive(env, st, frameno, spi)
        b = self.deferred.slot_alive(env, st, frameno, spi)
        assert a == b
        _Tee.asked += 1
        return a

    def check_end(self):
        d = self.deferred
        if d._open:
            return      # the walk ended in a store's check (rejected): no commit followed
        if type(d) is _DeferredLiveness:
            d._flush(self.env)
        assert type(d) is StackLiveness
        assert _state(d) == _state(self.eager)


def _run_tee(monkeypatch, journal_max):
    _Tee.made = []
    _Tee.asked = 0
    monkeypatch.setattr(core, "stack_liveness", _Tee)
    monkeypatch.setattr(stack_liveness, "_JOURNAL_MAX", journal_max)
    accepted = 0
    for prog, pt in _programs():
        v = verify(VerifierInput(prog, prog_type=pt, maps=MAPS, insn_limit=20000), log_level=1)
        assert v.internal_error is None, (isa.encode(prog).hex(), v.internal_error)
        accepted += v.accepted
        for tee in _Tee.made:
            try:
                tee.check_end()
            except AssertionError:
                raise AssertionError((pt, isa.encode(prog).hex(), journal_max)) from None
        _Tee.made = []
    return accepted, _Tee.asked


def test_deferred_marks_replay_to_the_eager_state(monkeypatch):
    accepted, asked = _run_tee(monkeypatch, stack_liveness._JOURNAL_MAX)
    # the comparison covers accepted programs, bpf-to-bpf calls and answered queries
    assert accepted > 150 and asked > 200, (accepted, asked)


def test_replay_at_any_point_of_the_walk(monkeypatch):
    # a journal bound of 0..3: replayed at the first calls, mid-walk, then eager
    for journal_max in (0, 1, 3):
        _run_tee(monkeypatch, journal_max)


def _facts(prog, pt):
    return facts(prog, pt, log_level=1)


def test_verdicts_match_the_eager_liveness(monkeypatch):
    progs = _programs()
    deferred = [_facts(p, pt) for p, pt in progs]
    monkeypatch.setattr(core, "stack_liveness", StackLiveness)
    for (p, pt), a in zip(progs, deferred):
        assert a == _facts(p, pt), (pt, isa.encode(p).hex())
