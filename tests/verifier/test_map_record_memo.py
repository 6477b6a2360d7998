"""local_obj.map_record keeps each map's record in the program BTF's memo (``Btf.memo``):
what a verify reads back equals what it works out.

The corpus programs compiled from C whose map values hold special fields (bpf_spin_lock,
bpf_timer) are verified with an emptied memo and again with a memo that the other programs
of the set filled: same verdict, message, counts, subprogram facts and log (levels 1 and
2).  Each map's record read back is the record worked out afresh (same fields), and a map
that is another object with the same fields and the same value type gets a record of its
own (the memo tells maps apart by identity, as the kernel has one record per map)."""

from __future__ import annotations

import dataclasses
import sys
from pathlib import Path

import pytest

from verifier import verify
from verifier.env import Env
from verifier.local_obj import map_record
from verifier.log import Log

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

PROGRAMS = ("c_a_spin_lock", "c_a_timer_init", "c_r_spin_lock_exit_locked",
            "c_r_spin_lock_helper_call", "c_r_spin_unlock_unlocked", "c_r_timer_wrong_map",
            "c_a_array_lookup")


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    from corpus_inputs import inputs_by_name
    found = inputs_by_name(PROGRAMS, tmp_path_factory.mktemp("map_record_memo"))
    assert all(i.btf is not None and i.maps for i in found.values())
    return found


def _facts(inp):
    out = []
    for level in (1, 2):
        d = verify(inp, level).to_json()
        d.pop("verify_time_s")
        out.append(d)
    return out


def _fields(rec):
    return [(f.kind, f.off) for f in rec.fields]


def test_verdicts_same_with_memo_emptied_or_filled(inputs):
    worked_out = {}
    for name, inp in inputs.items():
        inp.btf.memo.clear()
        worked_out[name] = _facts(inp)
    for inp in inputs.values():          # fill every memo first
        _facts(inp)
    for name, inp in reversed(list(inputs.items())):
        assert _facts(inp) == worked_out[name], name
    # the set exercises records with fields: some program is refused over its lock
    assert any(not f[0]["accepted"] for f in worked_out.values())


def test_record_read_back_equals_worked_out(inputs):
    with_fields = 0
    for name, inp in inputs.items():
        env = Env(inp, Log(0))
        for m in inp.maps:
            inp.btf.memo.clear()
            fresh = map_record(env, m)
            again = map_record(env, m)
            assert again is fresh, (name, m.name)           # read back, not rebuilt
            inp.btf.memo.clear()
            assert _fields(map_record(env, m)) == _fields(fresh), (name, m.name)
            with_fields += bool(fresh.fields)
            # another map object with the same fields: a record of its own
            twin = dataclasses.replace(m)
            assert twin is not m
            assert _fields(map_record(env, twin)) == _fields(fresh)
            keys = [k for k in inp.btf.memo if k[0] == "verifier.local_obj.map_record"]
            assert len(keys) == 2, (name, m.name)
    assert with_fields >= 4
