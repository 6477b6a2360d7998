"""The driver's gates around the passes give what running the pass gives.

``mem.convert_ctx_accesses`` can refuse only a load through a tcp_sock pointer, and such a
pointer comes only from a helper that returns one (``mem.TCP_SOCK_HELPERS``): the driver
(core._verify) runs the pass only for a program that calls one.  Here every program is
verified twice, as shipped and with the pass run for every program with a call (the gate
set widened to every helper id), and the verdicts, messages, counts and logs must be the
same: reads of every offset and size of the socket structs a tc program reaches, directly
and through a stack spill, and the fixed-seed mixes of shaped and raw programs.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import isa
from isa import opcodes as op
from verifier import mem
from verifier.helpers import BPF_FUNC_MAX_ID

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_progs import facts, mixed_programs  # noqa: E402

I = isa.Insn
_LDX = {1: op.LDX | op.B | op.MEM, 2: op.LDX | op.H | op.MEM, 4: op.LDX | op.W | op.MEM,
        8: op.LDX | op.DW | op.MEM}
_EXIT0 = [I(op.ALU64 | op.MOV | op.K, 0, 0, 0, 0), I(op.EXIT_OP)]


def _sock_read(via: int | None, off: int, size: int, spill: bool) -> list:
    """r1 = skb->sk; if NULL exit; [r0 = helper(r1); if NULL exit;] [spill and fill the
    pointer;] r2 = *(size *)(ptr + off); exit 0."""
    p = [I(op.LDX | op.DW | op.MEM, 1, 1, 168, 0)]
    if via is None:
        p.append(I(op.JMP | op.JEQ | op.K, 1, 0, 3 if spill else 1, 0))
        reg = 1
    else:
        p += [I(op.JMP | op.JEQ | op.K, 1, 0, 5 if spill else 3, 0), I(op.CALL_OP, 0, 0, 0, via),
              I(op.JMP | op.JEQ | op.K, 0, 0, 3 if spill else 1, 0)]
        reg = 0
    if spill:
        p += [I(op.STX | op.DW | op.MEM, 10, reg, -8, 0), I(op.LDX | op.DW | op.MEM, 3, 10, -8, 0)]
        reg = 3
    return p + [I(_LDX[size], 2, reg, off, 0)] + _EXIT0


def _programs() -> list:
    progs = []
    for via in (None, 46, 95, 96, 99):     # sock_common, get_hash_recalc, sk_fullsock,
        for off in range(120):             # tcp_sock, get_listener_sock
            for size in (1, 2, 4, 8):
                if not off % size:
                    for spill in (False, True):
                        progs.append((_sock_read(via, off, size, spill), "sched_cls"))
    return progs + mixed_programs(random.Random(20261207), 600, 1500)


def test_convert_ctx_accesses_gate_matches_running_it(monkeypatch):
    progs = _programs()
    shipped = [facts(p, pt, log_level=1) for p, pt in progs]
    refused = sum(1 for f in shipped if f[1] and "ctx access conversion" in f[1])
    assert refused >= 4         # the tcp_sock u64 upper halves, direct and spilled
    monkeypatch.setattr(mem, "TCP_SOCK_HELPERS", frozenset(range(BPF_FUNC_MAX_ID + 1)))
    differ = [i for i, (p, pt) in enumerate(progs) if facts(p, pt, log_level=1) != shipped[i]]
    assert not differ, differ[:10]


def test_helper_call_mark_sets_match_the_helper_table():
    """cfg_walk's sets stand for helper_changes_pkt_data (and the tail call) and for
    "_helper_call_marks has something to mark" (cfg_one.finish calls it only then)."""
    from isa.uapi import BPF_FUNC_tail_call
    from verifier import cfg_walk
    from verifier.helpers import helper_changes_pkt_data
    for imm in range(-3, BPF_FUNC_MAX_ID + 40):
        pkt = helper_changes_pkt_data(imm) or imm == BPF_FUNC_tail_call
        assert (imm in cfg_walk._PKT_DATA_CALLS) == pkt, imm
        marked = (pkt or imm in cfg_walk._SYNC_CALLBACK_HELPERS
                  or imm in cfg_walk._ASYNC_CALLBACK_HELPERS)
        assert (imm in cfg_walk.HELPER_CALLS_MARKED) == marked, imm


def test_helper_argument_counts_match_get_proto():
    """liveness._call_params remembers a helper's argument count by program type, id and
    expected attach type: asked twice (the second answer from the memo) it must give what
    get_proto gives, for every helper id of every program type and some attach types."""
    from types import SimpleNamespace
    from verifier import liveness
    from verifier.helpers import get_proto
    from verifier.helpers_avail import PROG_HELPERS
    attaches = (None, "trace_raw_tp", "trace_iter", "tcp_congestion_ops:cong_avoid",
                "tcp_congestion_ops:release", "cgroup_inet4_connect", "cgroup_getsockopt")
    types = sorted(set(PROG_HELPERS) | {"tracing", "struct_ops", "cgroup_sockopt",
                                        "cgroup_sock_addr"})
    liveness._HELPER_PARAMS.clear()
    for rnd in range(2):
        for pt in types:
            for attach in attaches:
                inp = SimpleNamespace(expected_attach_type=attach)
                env = SimpleNamespace(prog_type=pt, inp=inp)
                for fid in range(-2, BPF_FUNC_MAX_ID + 3):
                    p = get_proto(pt, fid, attach)
                    want = None if p is None else len(p.args)
                    got = liveness._call_params(env, isa.Insn(op.CALL_OP, 0, 0, 0, fid))
                    assert got == want, (rnd, pt, attach, fid)


def _straight(prog: list) -> list:
    """``prog`` without its jumps and calls (an exit added): a straight-line program."""
    out = [x for x in prog if (x.code & 7) not in (op.JMP, op.JMP32)]
    return out + _EXIT0


def test_live_registers_gate_matches_running_it(monkeypatch):
    """For a program cfg_one takes, compute_live_registers does not run below log level
    2: scan works the live registers out and finish sets them at the prune points it
    marks, none in a straight-line program, which reads live_regs_before nowhere.
    Straight-line and mixed fixed-seed programs, at log levels 0 and 1, must verify the
    same through the general passes (cfg_one.scan taking nothing), which always run it."""
    from verifier import cfg_one
    r = random.Random(20261208)
    progs = mixed_programs(r, 300, 600)
    progs += [(_straight(p), pt) for p, pt in progs]
    straight = sum(1 for p, _ in progs if not any((x.code & 7) in (op.JMP, op.JMP32)
                                                   for x in p[:-1]))
    assert straight >= 900
    shipped = [(facts(p, pt, 0), facts(p, pt, 1)) for p, pt in progs]
    assert sum(1 for f, _ in shipped if f[0]) >= 80
    monkeypatch.setattr(cfg_one, "scan", lambda env: None)
    differ = [i for i, (p, pt) in enumerate(progs)
              if (facts(p, pt, 0), facts(p, pt, 1)) != shipped[i]]
    assert not differ, differ[:10]


def test_one_function_stack_check_gate():
    """check_max_stack_depth rounds a one-function program's depth up only when it is
    above MAX_BPF_STACK: rounded up (with and without the JIT), a depth is above it
    exactly when it was already."""
    from types import SimpleNamespace
    from verifier.stack_depth import round_up_stack_depth
    from verifier.state import MAX_BPF_STACK
    for jit in (False, True):
        env = SimpleNamespace(inp=SimpleNamespace(jit_requested=jit))
        for d in range(0, 4 * MAX_BPF_STACK):
            assert (round_up_stack_depth(env, d) > MAX_BPF_STACK) == (d > MAX_BPF_STACK), d
