"""The fixed part of every verification (core.verify's set-up and end) takes short cuts
that must change nothing:

* log attributes: only a request other than a plain level 0..7 without a buffer size
  goes through ``check_log_attrs``; every level and size gives the verdict the check
  gives;
* level 0 shares one ``Log`` (``log.LOG0``): after many runs (refused, accepted, with a
  sink) it is still as built, so no run can see another's;
* the ``Verdict`` is built positionally: its fields must stay in the order core.py
  passes them;
* ``VerifierError`` sets ``args`` itself (what ``Exception.__init__`` does);
* alu.clear_memos, at the end of every run, empties every memo alu and scalar keep.
"""

from __future__ import annotations

import dataclasses
import io
import pickle
import random
import sys
from pathlib import Path

import pytest

import isa
from isa import opcodes as op
from verifier import VerifierInput, alu, core, verify
from verifier import scalar as S
from verifier.env import Env
from verifier.errors import VerifierError
from verifier.log import LOG0, Log, check_log_attrs
from verifier.verdict import Verdict

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_progs import MAPS, mixed_programs  # noqa: E402

I = isa.Insn
_EXIT0 = [I(op.ALU64 | op.MOV | op.K, 0, 0, 0, 0), I(op.EXIT_OP)]


def _log_fields(log: Log) -> dict:
    return {k: getattr(log, k) for k in Log.__slots__}


def test_log_attrs_short_cut_matches_the_check():
    inp = VerifierInput(_EXIT0, prog_type="socket_filter")
    for level in list(range(-3, 12)) + [True, False, 1 << 40, -(1 << 40)]:
        for size in (None, 0, 1, 100, 1 << 40):
            problem = check_log_attrs(level, size)
            v = verify(inp, level, log_size=size)
            if problem:
                assert not v.accepted and v.error.message == f"invalid log attributes: {problem}"
            else:
                assert v.accepted or v.error.errno == 28, (level, size)   # ENOSPC: tiny buffer
    with pytest.raises(TypeError):      # as check_log_attrs itself raises for a float
        verify(inp, 1.0)


def test_level0_log_is_left_as_built():
    built = _log_fields(Log(0))
    assert _log_fields(LOG0) == built
    progs = mixed_programs(random.Random(20261208), 300, 700)
    for prog, pt in progs:
        sink = io.StringIO()
        for kw in ({}, {"log": sink}):
            v = verify(VerifierInput(prog, prog_type=pt, maps=MAPS, insn_limit=20000), 0, **kw)
            assert v.log == "" and v.log_true_size == 0
            assert _log_fields(LOG0) == built
        assert sink.getvalue() == ""
    # a level-0 run's verdict is the one a fresh level-0 Log gives
    saved = core.LOG0
    try:
        for prog, pt in progs[:200]:
            inp = VerifierInput(prog, prog_type=pt, maps=MAPS, insn_limit=20000)
            core.LOG0 = LOG0
            a = dataclasses.replace(verify(inp, 0), verify_time_s=0.0)
            core.LOG0 = Log(0)
            b = dataclasses.replace(verify(inp, 0), verify_time_s=0.0)
            assert a == b
    finally:
        core.LOG0 = saved


def test_verdict_field_order_is_the_one_core_passes():
    # core._verify builds Verdict(...) positionally in this order
    assert [f.name for f in dataclasses.fields(Verdict)] == [
        "accepted", "error", "log", "processed_insns", "max_states_per_insn", "total_states",
        "peak_states", "mark_read", "subprogs", "seen_insns", "tail_call_maps", "kfunc_calls",
        "verify_time_s", "log_true_size", "internal_error", "btf_refused"]
    # and the values land in their fields: a refused run and an accepted one
    bad = verify(VerifierInput([I(op.EXIT_OP)], prog_type="socket_filter"), 0)
    assert (bad.accepted, bad.error.message, bad.error.insn, bad.error.subprog) == \
        (False, "R0 !read_ok", 0, 0)
    assert (bad.processed_insns, bad.seen_insns, bad.log, bad.mark_read) == (1, [True], "", 0)
    good = verify(VerifierInput(_EXIT0, prog_type="socket_filter", name="p"), 1)
    assert good.accepted and good.error is None and good.processed_insns == 2
    assert good.total_states == good.peak_states == 0 and good.max_states_per_insn == 0
    assert [(s.name, s.start, s.end) for s in good.subprogs] == [("p", 0, 2)]
    assert good.seen_insns == [True, True] and good.tail_call_maps == {}
    assert good.kfunc_calls == {} and good.internal_error is None and good.btf_refused is None
    assert good.verify_time_s > 0 and good.log_true_size == len(good.log) + 1


def test_verifier_error_is_built_as_exception_init_builds_it():
    for args in (("m",), ("m", 22), ("m", 13, ["a", "b"], 4, ["c"], False),
                 ("m", 13, ("a",), None, ("c",))):
        e = VerifierError(*args)
        ref = Exception(args[0])
        assert e.args == ref.args and str(e) == str(ref) and repr(e) == "VerifierError" + repr(ref)[len("Exception"):]
        assert isinstance(e.lines, tuple) and isinstance(e.post, tuple)
        assert e.lines == tuple(args[2]) if len(args) > 2 else e.lines == ()
        assert e.post == tuple(args[4]) if len(args) > 4 else e.post == ()
        back = pickle.loads(pickle.dumps(e))
        assert (back.args, back.message, back.errno, back.lines, back.insn, back.post,
                back.newline) == (e.args, e.message, e.errno, e.lines, e.insn, e.post, e.newline)


def test_every_scalar_memo_is_emptied():
    # every dict alu and scalar keep under a *MEMO* name (the imported ones included), and
    # alu's constants
    memos = [v for m in (alu, S) for k, v in vars(m).items()
             if isinstance(v, dict) and "MEMO" in k] + [alu._CONSTS]
    assert len(memos) >= 4
    assert {id(m) for m in memos} == {id(m) for m in alu.MEMOS}
    assert {id(m) for m in S.MEMOS} <= {id(m) for m in alu.MEMOS}
    for prog, pt in mixed_programs(random.Random(7), 100, 100):
        verify(VerifierInput(prog, prog_type=pt, maps=MAPS, insn_limit=20000), 0)
        assert not any(alu.MEMOS)


def test_env_privilege_flags():
    env = Env(VerifierInput(_EXIT0, prog_type="socket_filter"), Log(0))
    assert (env.bpf_capable, env.allow_ptr_leaks, env.allow_uninit_stack,
            env.strict_alignment) == (True, True, True, False)
    assert env.test_state_freq is False
    flagged = VerifierInput(_EXIT0, prog_type="socket_filter", prog_flags=1 << 3)
    assert Env(flagged, Log(0)).test_state_freq is flagged.test_state_freq is True


def test_no_facts_is_read_only_and_a_fresh_insn_aux():
    from verifier.env import NO_FACTS, InsnAux
    fresh = InsnAux()
    names = [k for k in vars(InsnAux) if not k.startswith("__")]
    assert names and all(getattr(NO_FACTS, k) == getattr(fresh, k) for k in names)
    for k in names:
        with pytest.raises(AttributeError):
            setattr(NO_FACTS, k, 1)
    # a run reads through it but never leaves it changed, and makes no InsnAux for a read
    env = Env(VerifierInput(_EXIT0, prog_type="socket_filter"), Log(0))
    assert env.aux.get(0, NO_FACTS) is NO_FACTS and not env.aux
