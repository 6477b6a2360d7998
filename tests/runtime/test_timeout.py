"""run(timeout=) / run --timeout: a wall-clock limit on every engine, a runtime error."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

import pipeline
from pipeline.kernel import INCLUDE_DIR
from tests.support.skips import need_engine

ROOT = Path(__file__).resolve().parents[2]
SPIN = ROOT / "tests" / "data" / "runtime" / "spin.c"


@pytest.fixture(scope="module")
def spin():
    return pipeline.build(SPIN, include=[INCLUDE_DIR])


@pytest.mark.parametrize("engine", ["unicorn", "interp", "native"])
def test_timeout_stops_a_long_run(spin, engine):
    need_engine(engine)
    t0 = time.monotonic()
    with pytest.raises(pipeline.Error) as e:
        pipeline.run(spin, "spin", engine=engine, timeout=0.5)
    assert e.value.kind == "runtime" and "time limit of 0.5 s exceeded" in str(e.value)
    assert time.monotonic() - t0 < 10


def test_cli_timeout():
    out = subprocess.run([sys.executable, "-m", "pipeline", "run", str(SPIN), "--engine",
                          "interp", "--timeout", "0.5"], capture_output=True, text=True,
                         cwd=ROOT)
    assert out.returncode == 1 and "time limit of 0.5 s exceeded" in out.stderr
    bad = subprocess.run([sys.executable, "-m", "pipeline", "run", str(SPIN), "--timeout",
                          "0"], capture_output=True, text=True, cwd=ROOT)
    assert bad.returncode == 2 and "--timeout must be" in bad.stderr


def test_a_timeout_long_enough_changes_nothing():
    from pipeline import exec_native
    obj = pipeline.load(ROOT / "examples" / "sum10.c")
    for engine in ("unicorn", "interp") + (() if exec_native.available() else ("native",)):
        assert pipeline.run(obj, "sum", engine=engine, timeout=30).retval == 55
