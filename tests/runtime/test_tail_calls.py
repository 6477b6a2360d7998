"""Tail calls: prog arrays from `.values` initialisers and from the run (API prog_array=,
CLI --prog-array), chains, fall-through, subprograms, and the kernel's 33-call limit,
compared with the live kernel's BPF_PROG_TEST_RUN where bpf() works."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

import pipeline
from pipeline import prog_arrays
from pipeline.kernel import INCLUDE_DIR
from tests.support.skips import need_engine, need_kernel_objects

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data" / "runtime"
ENGINES = ["unicorn", "interp", "native"]
if str(ROOT / "tests") not in sys.path:
    sys.path.append(str(ROOT / "tests"))

# program -> (retval, visited): what the kernel gives (checked by test_kernel_agrees)
EXPECTED = {"entry": (30, 123), "from_subprog": (130, 43), "dynamic": (50, 5)}


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("tail")
    return {name: (pipeline.build(DATA / f"{name}.c", include=[INCLUDE_DIR],
                                  output=out / f"{name}.bpf.o"), out / f"{name}.bpf.o")
            for name in ("tail_calls", "tail_self")}


def test_values_initialisers_fill_prog_arrays(built):
    obj = built["tail_calls"][0]
    assert prog_arrays.initialisers(obj) == {"chain": {1: "second", 2: "third"}}


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("prog", sorted(EXPECTED))
def test_chain_fall_through_and_subprogram(built, engine, prog):
    need_engine(engine)
    res = pipeline.run(built["tail_calls"][0], prog, engine=engine)
    assert (res.retval, res.globals["visited"]) == EXPECTED[prog]


@pytest.mark.parametrize("engine", ENGINES)
def test_prog_array_from_the_api(built, engine):
    need_engine(engine)
    obj = built["tail_calls"][0]
    res = pipeline.run(obj, "dynamic", engine=engine, prog_array={"empty": {0: "third"}})
    assert (res.retval, res.globals["visited"]) == (30, 53)
    # a slot emptied by the run falls through
    res = pipeline.run(obj, "entry", engine=engine, prog_array={"chain": {1: None}})
    assert (res.retval, res.globals["visited"]) == (10, 1)


@pytest.mark.parametrize("engine", ENGINES)
def test_self_tail_call_stops_after_33(built, engine):
    need_engine(engine)
    res = pipeline.run(built["tail_self"][0], engine=engine, repeat=2)
    assert res.retval == 68          # 34 runs of the program per test run, count persists
    res = pipeline.run(built["tail_self"][0], engine=engine)
    assert res.retval == 1 + prog_arrays.MAX_TAIL_CALL_CNT == 34


def test_kernel_agrees():
    """The live kernel's BPF_PROG_TEST_RUN on the same objects (libbpf loads them)."""
    from oracles import kernel
    need_kernel_objects()
    import tempfile
    with tempfile.TemporaryDirectory() as d:
        for name in ("tail_calls", "tail_self"):
            pipeline.build(DATA / f"{name}.c", include=[INCLUDE_DIR],
                           output=Path(d) / f"{name}.o")
        assert kernel.run_object(Path(d) / "tail_self.o", "self_tail", bytes(64)).retval == 34
        for prog, (retval, _) in EXPECTED.items():
            assert kernel.run_object(Path(d) / "tail_calls.o", prog, bytes(64)).retval == retval


@pytest.mark.parametrize("bad, message", [
    ({"nope": {0: "third"}}, "no map named 'nope'"),
    ({"empty": {2: "third"}}, "index 2 is out of range"),
    ({"empty": {0: "no_such"}}, "no program named 'no_such'"),
])
def test_bad_prog_array_is_a_usage_error(built, bad, message):
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(built["tail_calls"][0], "dynamic", prog_array=bad)
    assert e.value.kind == "usage" and message in str(e.value)


def test_cli_prog_array(built):
    path = built["tail_calls"][1]
    cmd = [sys.executable, "-m", "pipeline", "run", str(path), "--prog", "dynamic",
           "--prog-array", "empty=0:third", "--json"]
    out = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert (doc["retval"], doc["globals"]["visited"]) == (30, 53)
    bad = subprocess.run(cmd[:-3] + ["--prog-array", "empty0third"], capture_output=True,
                         text=True, cwd=ROOT)
    assert bad.returncode == 2 and "MAP=IDX:PROG" in bad.stderr
