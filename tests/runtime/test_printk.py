"""bpf_printk: 3 arguments through bpf_trace_printk (helper 6), more through
bpf_trace_vprintk (helper 177), one formatter, on every engine."""

from __future__ import annotations

from pathlib import Path

import pytest

import pipeline
from pipeline.kernel import INCLUDE_DIR
from tests.support.skips import need_engine

SRC = Path(__file__).resolve().parents[1] / "data" / "runtime" / "printk.c"
LINES = ["three 7 -2 ff", "six 1 2 3 4 5 -2", "twelve 1 2 3 4 5 6 7 8 9 10 11 end"]


@pytest.fixture(scope="module")
def obj():
    return pipeline.build(SRC, include=[INCLUDE_DIR])


@pytest.mark.parametrize("engine", ["unicorn", "interp", "native"])
def test_printk_lines(obj, engine):
    need_engine(engine)
    assert pipeline.run(obj, engine=engine).output == LINES


def test_vprintk_checks_data_len():
    from types import SimpleNamespace

    from pipeline.interp import Memory
    from pipeline.kernel import helpers
    mem = Memory()
    fmt = mem.map("fmt", bytearray(b"%d %d\0"), base=0x1000)
    data = mem.map("data", bytearray((5).to_bytes(8, "little") * 13), base=0x2000)
    run = SimpleNamespace(trace=[])
    vm = SimpleNamespace(memory=mem)
    assert helpers.trace_vprintk(run, vm, fmt.base, 6, data.base, 12, 0) == -22   # not u64s
    assert helpers.trace_vprintk(run, vm, fmt.base, 6, data.base, 13 * 8, 0) == -22  # > 12
    assert helpers.trace_vprintk(run, vm, fmt.base, 6, data.base, 16, 0) == 3
    assert run.trace == ["5 5"]
