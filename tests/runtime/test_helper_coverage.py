"""Every helper the verifier accepts for a program type is implemented by the mock kernel or
refused before the run with a one-line error naming it and the program (never "unknown
helper N" after verification)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import pipeline
from isa import opcodes as op
from isa.insn import Insn
from isa.uapi import helper_name
from pipeline import api
from pipeline.kernel import INCLUDE_DIR
from pipeline.kernel import helpers as kernel_helpers
from verifier import helpers as vhelpers
from verifier.helpers_avail import PROG_HELPERS

ROOT = Path(__file__).resolve().parents[2]
SRC = ROOT / "tests" / "data" / "runtime" / "refused" / "unrunnable.c"
# named in issue 11 as failing at run time by number after verification
MUST_RUN = {"bpf_strtol", "bpf_strtoul", "bpf_csum_update", "bpf_check_mtu",
            "bpf_trace_vprintk", "bpf_csum_diff"}


def _accepted() -> dict[str, list[int]]:
    return {t: sorted(i for i in ids if i in vhelpers.HELPERS)
            for t, ids in PROG_HELPERS.items()}


@pytest.mark.parametrize("prog_type", sorted(PROG_HELPERS))
def test_each_accepted_helper_runs_or_is_refused_before_the_run(prog_type):
    impl = kernel_helpers.table()
    for hid in _accepted()[prog_type]:
        name = vhelpers.HELPERS[hid].name
        if hid in impl:
            assert impl[hid].name == name and callable(impl[hid].impl), (prog_type, name)
            continue
        insns = [Insn(op.CALL_OP, 0, op.CALL_HELPER, 0, hid), Insn(op.EXIT_OP, 0, 0, 0, 0)]
        with pytest.raises(pipeline.Error) as e:
            api._check_helpers(_Prog(f"p_{prog_type}"), insns, None)
        msg = str(e.value)
        assert e.value.kind == "runtime" and e.value.exit_code == 1, msg
        assert "\n" not in msg and name in msg and f"p_{prog_type}" in msg, msg
        assert name not in MUST_RUN, f"{name} must run, not be refused"


def test_helpers_named_in_the_issue_are_implemented():
    names = {h.name for h in kernel_helpers.table().values()}
    assert MUST_RUN <= names, MUST_RUN - names
    accepted = {vhelpers.HELPERS[i].name for ids in _accepted().values() for i in ids}
    assert MUST_RUN <= accepted


class _Prog:
    def __init__(self, name):
        self.name = name


@pytest.fixture(scope="module")
def obj():
    return pipeline.build(SRC, include=[INCLUDE_DIR])


@pytest.mark.parametrize("prog, helper", [("task", "bpf_get_current_task"),
                                          ("fib", "bpf_fib_lookup")])
def test_refused_before_anything_is_allocated(obj, prog, helper, monkeypatch):
    assert pipeline.verify(obj, prog).accepted        # the verifier takes it, as the kernel
    monkeypatch.setattr(api, "TestRun", _forbidden)
    monkeypatch.setattr(api, "execute", _forbidden)
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(obj, prog)
    msg = str(e.value)
    assert e.value.kind == "runtime" and f"program {prog}" in msg and helper in msg, msg
    assert "unknown helper" not in msg


def _forbidden(*a, **kw):
    raise AssertionError("the run started")


def test_a_runnable_program_of_the_same_object_runs(obj):
    assert pipeline.run(obj, "fine").retval == 3


def test_cli_refusal_is_one_line():
    out = subprocess.run([sys.executable, "-m", "pipeline", "run", str(SRC), "--prog", "task",
                          "-I", str(INCLUDE_DIR)], cwd=ROOT, capture_output=True, text=True)
    assert out.returncode == 1, out.stderr
    lines = out.stderr.strip().splitlines()
    assert len(lines) == 1 and "bpf_get_current_task" in lines[0], out.stderr
    assert "Traceback" not in out.stderr
    assert helper_name(35) == "bpf_get_current_task"


def test_a_call_in_dead_code_is_not_refused(obj):
    assert pipeline.run(obj, "maybe_task").retval == 5          # .rodata use_task = 0
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(obj, "maybe_task", globals={"use_task": 1})
    assert "bpf_get_current_task" in str(e.value)
