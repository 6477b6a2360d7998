"""The verifier's short cuts give exactly what the general code gives.

Short cuts stand in for general code on the hot path:

* ``precision_window.ends_in_window`` answers "the precision walk ends in the current
  state without marking anything" so mark_chain_precision can skip the full walk
  (verifier/precision.py, the kernel's __mark_chain_precision);
* ``alu.check_alu_imm`` / ``check_alu_reg`` compute ``dst op= imm`` / ``dst op= src``
  on scalars and constant pointer offsets without check_alu_op's checks, and
  ``check_mov_imm`` / ``check_mov64_reg`` do ``dst = imm`` / ``dst = src`` so;
* ``helper_call.check_helper_call`` sets R0 of a helper without arguments at once, and
  ``_check_func_arg`` takes a clean map pointer, context or stack map key without the
  general argument checks (``_ARG_EFFECTS``, ``_FAST_ARG``);
* ``calls.process_exit`` checks the main program's R0 itself where the program type's
  return range is known to be unchecked (``check_return_code`` otherwise).

The oracle is the general code itself, which the live-kernel tests hold to the
kernel's counts: every random program is verified twice, once as shipped and once
with the short cuts switched off, and the verdicts, messages and processed-insn and
state counts must be the same.  A short cut that skips a precision mark changes
pruning (and so the counts); one that computes a wrong bound or skips a check changes
a verdict or a count downstream.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

import isa
from verifier import alu, calls, dispatch, helper_call, precision

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_progs import facts, mixed_programs  # noqa: E402


def _facts(prog, pt):
    return facts(prog, pt, log_level=1)


class _NeverKnown(dict):
    """A memo that never answers (process_exit then calls check_return_code)."""

    def get(self, key, default=None):
        return default


def _general_only(monkeypatch):
    """Switch the short cuts off: the full precision walk always, check_alu_op for
    every ALU instruction, the general helper-call path for every helper and argument,
    check_return_code at every exit of the main program."""
    never = lambda *a, **k: False  # noqa: E731
    monkeypatch.setattr(calls, "_RETURN_RANGE", _NeverKnown())
    monkeypatch.setattr(helper_call, "_FAST_ARG", {})
    monkeypatch.setattr(helper_call, "_ARG_EFFECTS", frozenset(range(helper_call._MAX_ID)))
    monkeypatch.setattr(precision, "ends_in_window", never)
    monkeypatch.setattr(helper_call, "ends_in_window", never)
    fast = (alu.check_alu_imm, alu.check_alu_reg, alu.check_mov_imm, alu.check_mov64_reg)
    nxt = tuple(alu.check_alu_op if c in fast else c for c in dispatch.CHECK_NEXT)
    monkeypatch.setattr(dispatch, "CHECK_NEXT", nxt)
    monkeypatch.setattr(dispatch, "CHECK_NEXT_NO_WRITE", tuple(
        None if w else c for c, w in zip(nxt, dispatch.MAY_WRITE_STACK)))


def _programs():
    return mixed_programs(random.Random(20261207), 1200, 3000)


def test_short_cuts_match_the_general_code(monkeypatch):
    progs = _programs()
    taken = {"window": 0, "exit": 0}
    real_window = precision.ends_in_window
    real_return_code = calls.check_return_code

    def counting_return_code(*a, **k):
        taken["exit"] += 1
        return real_return_code(*a, **k)

    def counting_window(*a, **k):
        ok = real_window(*a, **k)
        taken["window"] += ok
        return ok

    with monkeypatch.context() as m:
        m.setattr(precision, "ends_in_window", counting_window)
        m.setattr(helper_call, "ends_in_window", counting_window)
        m.setattr(calls, "check_return_code", counting_return_code)
        shipped = [_facts(p, pt) for p, pt in progs]
        exits = sum(1 for p, pt in progs for i in p if i.code == 0x95)
    with monkeypatch.context() as m:
        _general_only(m)
        general = [_facts(p, pt) for p, pt in progs]
    for (p, pt), a, b in zip(progs, shipped, general):
        assert a == b, (pt, isa.encode(p).hex(), a[:6], b[:6])
    # the short cuts were taken, so the comparison covers them
    assert taken["window"] > 100, taken
    # (and process_exit checked most exits without check_return_code)
    assert taken["exit"] < exits // 2, (taken, exits)
    assert sum(1 for a in shipped if a[0]) > 100
