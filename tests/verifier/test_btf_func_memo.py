"""check_btf_func and find_exception_callback_insn_off read back per-FUNC facts kept in the
program BTF's memo (``Btf.memo``): what they read back equals what they work out.

The general code is the path that works the facts out (an empty memo); the fast path is the
memo hit.  On corpus programs compiled from C (one function, static and global
subprograms, callbacks) and on fixed-seed variants of their func_info (records pointing
at other FUNCs of the BTF, at types that are no FUNC, out of range, at other offsets),
each run both with an emptied memo and with one that earlier runs of other variants
filled:

* the subprogram fields check_btf_func sets (or the error it raises, with the fields set
  before it) are the same;
* verify() gives the same verdict, message, counts, subprogram facts and log (levels 1
  and 2).

And a FUNC replaced in the types list (another linkage) is noticed: the memo's entry for
its id is not used.  At level 0 (where verify() skips the log's end) the verdict is level
1's without the log.
"""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from btf.types import Type
from verifier import cfg, verify
from verifier.env import Env
from verifier.errors import VerifierError
from verifier.log import Log

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from seeds import rng  # noqa: E402

PROGRAMS = ("c_a_global_func", "c_a_global_func_ctx", "c_a_global_func_scalars",
            "c_a_static_subprog", "c_a_call_chain", "c_a_bpf_loop", "c_a_for_each_map_elem",
            "c_a_naked_ret", "c_r_global_func_returns_ptr", "c_r_global_func_void_ptr",
            "c_r_global_func_wrong_ctx", "c_r_call_depth", "c_a_tail_call")
FIELDS = ("func_id", "name", "linkage", "info", "btf_problem", "arg_cnt", "stack_arg_cnt")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from corpus_inputs import inputs_by_name
    found = inputs_by_name(PROGRAMS, tmp_path_factory.mktemp("btf_func_memo"))
    assert all(i.btf is not None and i.func_info for i in found.values())
    return found


def _btf_func(inp):
    """The subprogram fields after check_btf_func (or the error and the fields it left)."""
    env = Env(inp, Log(0))
    err = None
    try:
        cfg.add_subprogs(env)
        cfg.check_subprogs(env)
        cfg.check_btf_func(env)
    except VerifierError as e:
        err = (e.message, e.errno)
    return err, [tuple(getattr(sp, f) for f in FIELDS) for sp in env.subprogs]


def _verdicts(inp):
    out = []
    for level in (1, 2):
        v = verify(inp, level)
        d = v.to_json()
        d.pop("verify_time_s")
        out.append((d, v.seen_insns))
    return out


def _variants(r, inp, count):
    """``inp`` with func_info records changed: other FUNC ids, non-FUNC or bad ids,
    offsets moved."""
    types = inp.btf.types
    funcs = [t.id for t in types if t.kind_name == "FUNC"]
    others = [t.id for t in types[1:] if t.kind_name != "FUNC"]
    yield inp
    for _ in range(count):
        fi = [list(rec) for rec in inp.func_info]
        for _ in range(r.randrange(1, 3)):
            rec = fi[r.randrange(len(fi))]
            k = r.randrange(10)
            if k < 7:
                rec[1] = r.choice(funcs)
            elif k == 7 and others:
                rec[1] = r.choice(others)
            elif k == 8:
                rec[1] = r.choice([len(types), len(types) + 5, -1])
            else:
                rec[0] += r.choice([-1, 1, 2])
        yield dataclasses.replace(inp, func_info=[tuple(rec) for rec in fi])


def test_memo_hit_equals_worked_out(inputs):
    r, seed = rng(0xB7F6)
    cases = []
    for name, inp in inputs.items():
        cases += [(name, v) for v in _variants(r, inp, 12)]
    # worked out: every run starts from an emptied memo
    cold = []
    for name, v in cases:
        v.btf.memo.clear()
        a = _btf_func(v)
        v.btf.memo.clear()
        cold.append((a, _verdicts(v)))
    # read back: the memos filled by the runs before (in another order), then each case
    order = list(range(len(cases)))
    r.shuffle(order)
    for i in order:
        _btf_func(cases[i][1])
    for (name, v), (a, verdicts) in zip(cases, cold):
        assert _btf_func(v) == a, (seed, name, v.func_info)
        assert _verdicts(v) == verdicts, (seed, name, v.func_info)
    assert any(a[0] is not None for a, _ in cold)       # the error paths were taken
    assert any(a[0] is None for a, _ in cold)


def test_replaced_func_is_noticed(inputs):
    inp = inputs["c_a_global_func"]
    _btf_func(inp)                              # fills the memo
    types = list(inp.btf.types)
    for k, (_, tid) in enumerate(inp.func_info):
        t = types[tid]
        if k and t.vlen == 1:                   # a global subprogram: made static
            static = Type(t.id, t.kind, t.name, t.name_off, t.info & ~0xFFFF, t.size_type,
                          t.extra, t.raw, t.offset, t._names)
            break
    else:
        raise AssertionError("no global subprogram")
    before = _btf_func(inp)
    inp.btf.types[tid] = static                 # in place: the memo's FUNC is stale
    try:
        after = _btf_func(inp)
        fresh = dataclasses.replace(inp, btf=type(inp.btf)(
            list(inp.btf.types), inp.btf.strings, inp.btf.endian, inp.btf.section))
        assert after == _btf_func(fresh)
        assert after != before
    finally:
        inp.btf.types[tid] = t
    assert _btf_func(inp) == before


def test_level0_verdict_is_level1_without_log(inputs):
    """At level 0 verify() skips the log's end (no text, nothing to overflow): the verdict
    is level 1's without the log."""
    r, seed = rng(0xB7F7)
    for name, inp in inputs.items():
        for v in _variants(r, inp, 3):
            d0, d1 = verify(v, 0).to_json(), verify(v, 1).to_json()
            assert d0.pop("log") == "" and d0.pop("log_true_size") == 0, (seed, name)
            d1.pop("log")
            assert d1.pop("log_true_size") > 0
            d0.pop("verify_time_s")
            d1.pop("verify_time_s")
            assert d0 == d1, (seed, name, v.func_info)
