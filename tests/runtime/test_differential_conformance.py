"""The bpf_conformance suite on the native engine: the JIT's x86-64 code as machine code.

Same setup as the suite's plugins and ``tests/jit/test_conformance_jit.py`` (unicorn):
r1 = pointer to a writable copy of ``-- mem`` (0 when there is none), r2 = its length,
helper 5 = unwind (returns r1; 0 ends the program with r0 = 0).  The expected r0 is the
file's ``-- result``; every file that passes on unicorn must pass natively.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from isa.conformance import parse_file
from jit import JitError, jit
from pipeline import exec_native
from pipeline.exec_unicorn import DATA_BASE
from pipeline.interp import InterpError, Region, unwind_helper

CONFORMANCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
DATA_FILES = sorted(CONFORMANCE_DIR.glob("*.data"))

pytestmark = pytest.mark.skipif(exec_native.available() is not None,
                                reason=str(exec_native.available()))


class _Run:
    """The least a native run needs: the memory regions, no maps, no packet."""

    def __init__(self, mem: bytes):
        self.regions = [Region("mem", DATA_BASE, bytearray(mem))] if mem else []
        self.maps, self.calls, self.trace, self.warnings = [], [], [], []
        self.timers, self.tail_calls, self.memory = {}, 0, None
        self.ld_abs = None

    def resolve(self, target):
        raise exec_native.LinkError(f"{target.describe()} is not part of a conformance test")


def run_native(insns, mem: bytes = b"") -> int:
    image = jit(insns)
    out = exec_native.run("conformance", image, _Run(mem), {5: unwind_helper}, {},
                          args=(DATA_BASE, len(mem)) if mem else (0, 0), timeout=20)
    return out["r0"]


def test_conformance_files_pass_natively():
    if not DATA_FILES:
        pytest.skip(f"no conformance files in {CONFORMANCE_DIR}")
    passed, failed = 0, []
    for path in DATA_FILES:
        t = parse_file(path)
        if not t.runnable:
            continue
        if t.error is not None:
            try:
                run_native(t.insns, t.mem)
                failed.append(f"{path.stem}: ran, expected an error ({t.error})")
            except (JitError, InterpError, exec_native.NativeError):
                passed += 1
            continue
        try:
            got = run_native(t.insns, t.mem)
        except (JitError, InterpError, exec_native.NativeError) as e:
            failed.append(f"{path.stem}: {e}")
            continue
        if got == t.result:
            passed += 1
        else:
            failed.append(f"{path.stem}: r0 = {got:#x}, expected {t.result:#x}")
    print(f"\nconformance on the native engine: {passed}/{len(DATA_FILES)}")
    assert not failed, failed[:10]
    assert passed == len(DATA_FILES) == 313
