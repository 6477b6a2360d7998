"""Corpora that pass through the JIT on unicorn, on the native engine (machine code).

1. The bpf_conformance suite, set up as its plugins and ``tests/jit/test_conformance_jit.py``
   (unicorn): r1 = pointer to a writable copy of ``-- mem`` (0 when there is none), r2 =
   its length, helper 5 = unwind (returns r1; 0 ends the program with r0 = 0).  The
   expected r0 is the file's ``-- result``.
2. The toolchain check corpus (``tests/oracles/checks_corpus.py``) as
   ``tests/jit/test_stack_args_jit.py`` runs it on unicorn: ``check_main`` of every file at
   every -O level, global data mapped, kfuncs as the corpus's stubs; the result must equal
   the same C compiled natively by clang and run.
"""

from __future__ import annotations

from pathlib import Path

import sys

import pytest

from isa.conformance import parse_file
from jit import JitError, jit
from pipeline import exec_native
from pipeline.exec_unicorn import DATA_BASE, page_round
from pipeline.interp import InterpError, Region, unwind_helper

CONFORMANCE_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "conformance"
DATA_FILES = sorted(CONFORMANCE_DIR.glob("*.data"))

pytestmark = pytest.mark.skipif(exec_native.available() is not None,
                                reason=str(exec_native.available()))


_TESTS = str(Path(__file__).resolve().parents[1])
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
from oracles.checks_corpus import (BUF, CASES, FILES, LEVELS, link_kfuncs,  # noqa: E402
                                   s64, takes_buffer)


class _Run:
    """The least a native run needs: memory regions (``regions``: Region list) and the
    addresses of map values (``values``: map index -> base); no maps, no packet."""

    def __init__(self, regions, values=None):
        self.regions, self.values = regions, values or {}
        self.maps, self.calls, self.trace, self.warnings, self.perf_events = [], [], [], [], []
        self.timers, self.tail_calls, self.memory = {}, 0, None
        self.ld_abs = None

    def resolve(self, target):
        if target.kind == "map_value" and target.ident in self.values:
            return self.values[target.ident] + target.addend
        raise exec_native.LinkError(f"{target.describe()} is not part of this test")


def run_native(insns, mem: bytes = b"") -> int:
    image = jit(insns)
    regions = [Region("mem", DATA_BASE, bytearray(mem))] if mem else []
    out = exec_native.run("conformance", image, _Run(regions), {5: unwind_helper}, {},
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


# --- 2. the toolchain check corpus --------------------------------------------------------

def run_checks_native(obj_path: Path, with_buf: bool) -> int:
    """check_main of a corpus object, JIT-compiled and run as machine code."""
    import pipeline
    from pipeline.loader import load
    obj = load(obj_path)
    prog = obj.program("check_main")
    specs = pipeline.func_specs(pipeline.Object(obj).program("check_main"))
    insns, kfuncs = link_kfuncs(obj_path, prog, [])
    regions, values, base = [], {}, DATA_BASE
    for i, ref in enumerate(obj.map_table):
        if ref.kind == "data":
            ds = next(d for d in obj.data_sections if d.name == ref.name)
            regions.append(Region(ds.name, base, bytearray(ds.data or bytes(ds.size)),
                                  ds.kind != "rodata"))
            values[i] = base
            base += page_round(ds.size) + 0x1000
    regions.append(Region("input", base, bytearray(BUF)))
    out = exec_native.run("check_main", jit(list(insns), specs), _Run(regions, values), {},
                          kfuncs, args=(base,) if with_buf else (), timeout=20)
    return s64(out["r0"])


def test_checks_corpus_natively(checks_objects, checks_native):
    failed = []
    for src, opt in CASES:
        got = run_checks_native(checks_objects / f"{src.stem}.O{opt}.o", takes_buffer(src))
        if got != checks_native[src.name]:
            failed.append(f"{src.name} -O{opt}: {got}, native clang {checks_native[src.name]}")
    print(f"\ntoolchain check corpus on the native engine: {len(CASES) - len(failed)}/"
          f"{len(CASES)} (file, -O) cases equal native x86-64")
    assert not failed, failed[:10]
    assert len(CASES) == len(FILES) * len(LEVELS) > 0
