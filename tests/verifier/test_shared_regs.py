"""Shared constant registers stand exactly for the registers built one by one.

Registers are never changed once stored, so a few are built once and shared:
``alu._CONST_REGS`` (the scalar constants 0..255 and -1 as u32 and u64, taken by MOV,
constant ALU results, LD_IMM64 of a number and BPF_ST spills) and ``mem._ctx_ptr``
(the pointer a context field loads: packet data, end, meta...).  Each shared register
must equal, slot by slot, the one the general code builds, and verifying fixed-seed
random programs with the sharing switched off (empty table, a fresh register per
load) must give the same verdicts, messages, counts and level-2 logs (every register
state printed).
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import isa
from verifier import alu, mem
from verifier import regtypes as T
from verifier.scalar import Scalar
from verifier.state import Reg, scalar_reg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_progs import facts, mixed_programs  # noqa: E402


def _slots(r: Reg) -> tuple:
    return tuple(getattr(r, k) for k in Reg.__slots__)


def test_the_constant_table_holds_the_general_registers():
    assert len(alu._CONST_REGS) == 258
    for v, r in alu._CONST_REGS.items():
        assert _slots(r) == _slots(scalar_reg(Scalar.const(v))), v
        assert _slots(alu.const_reg(v)) == _slots(r)
    for v in (256, 1 << 32, -5 & ((1 << 64) - 1), 1 << 63):
        assert _slots(alu.const_reg(v)) == _slots(scalar_reg(alu.const_scalar(v)))


def test_context_pointers_are_the_general_registers():
    for t in (T.PTR_TO_PACKET, T.PTR_TO_PACKET_END, T.PTR_TO_PACKET_META, T.PTR_TO_SOCKET,
              T.PTR_TO_FLOW_KEYS):
        assert _slots(mem._ctx_ptr(t)) == _slots(Reg(t, Scalar.const(0)))
        assert mem._ctx_ptr(t) is mem._ctx_ptr(t)


def _facts(prog, pt):
    return facts(prog, pt, log_level=2)


def test_sharing_changes_nothing(monkeypatch):
    progs = mixed_programs(random.Random(20261209), 600, 1500)
    shared = [_facts(p, pt) for p, pt in progs]
    monkeypatch.setattr(alu, "_CONST_REGS", {})
    monkeypatch.setattr(mem, "_ctx_ptr", lambda t: Reg(t, Scalar.const(0)))
    for (p, pt), a in zip(progs, shared):
        assert a == _facts(p, pt), (pt, isa.encode(p).hex())
    assert sum(1 for a in shared if a[0]) > 50
