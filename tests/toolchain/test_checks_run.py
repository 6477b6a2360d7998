"""The execution oracle for the toolchain corpus: BPF result == native x86-64 result.

Every ``toolchain/checks/*.c`` file is compiled by our driver with clang-22 at
-O0/-O1/-O2/-Os (through ``python -m toolchain check --keep``) and its ``check_main``
is run by the reference interpreter (:mod:`pipeline.interp`, stack arguments on):
the program linked by :mod:`pipeline.loader`, global data sections mapped as memory
regions, kfuncs served by Python stubs.  The expected value is the same C compiled
natively by ``clang-22 -O2 -shared -fPIC`` and called through ctypes, in a child
process so a native crash cannot take pytest down.

kfunc stubs follow the corpus convention (toolchain/checks/README.md): a stub returns
the sum over its parameters of ``(i + 1) * arg_i``, a pointer counting as the ``long``
it points to and a 16-byte value as lo + hi.  The native stubs are C in each file; the
Python one is generic, converting each 64-bit piece per the kfunc's BTF parameter type
(width, signedness, _Bool), so a caller that extends a narrow argument wrongly shows up.

``test_summary`` reports how many (file, -O) cases ran and matched.
"""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from pathlib import Path

import pytest

from isa import opcodes as op
from pipeline.interp import Interpreter, InterpError, Memory
from pipeline.loader import load

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)
from oracles.checks_corpus import (BUF, CASES, CORPUS, FILES, LEVELS, link_kfuncs,  # noqa: E402
                                   native_results, piece_value, s64, takes_buffer)

ROOT = Path(__file__).resolve().parents[2]
# ------------------------------------------------------------------ building

@pytest.fixture(scope="module")
def objects(clang22, tmp_path_factory) -> Path:
    keep = tmp_path_factory.mktemp("bpf")
    env = dict(os.environ, XDG_CACHE_HOME=str(tmp_path_factory.mktemp("cache")))
    env.pop("CLANG", None)
    # the static checks are test_checks.py's business; here only the objects matter
    subprocess.run([sys.executable, "-m", "toolchain", "check", "--clang", clang22, "--keep",
                    str(keep), "--json"], cwd=ROOT, env=env, capture_output=True, text=True,
                   timeout=900)
    return keep


@pytest.fixture(scope="module")
def native(clang22, tmp_path_factory) -> dict[str, int]:
    """check_main of every corpus file compiled for x86-64, by file name."""
    return native_results(clang22, tmp_path_factory.mktemp("native"))


# ------------------------------------------------------------------ running BPF

def run_bpf(obj_path: Path, with_buf: bool, convert=piece_value) -> tuple[int, list[str]]:
    obj = load(obj_path)
    prog = obj.program("check_main")
    calls: list[str] = []
    insns, kfuncs = link_kfuncs(obj_path, prog, calls, convert)
    mem = Memory()
    regions = {}
    for i, ref in enumerate(obj.map_table):
        if ref.kind == "data":
            ds = next(d for d in obj.data_sections if d.name == ref.name)
            regions[i] = mem.map(ds.name, ds.data if ds.data is not None else bytes(ds.size))

    def resolve(insn, second, pc):
        if insn.src == op.PSEUDO_MAP_IDX_VALUE and insn.imm in regions:
            return regions[insn.imm].base + (second.imm & 0xFFFFFFFF)
        raise InterpError(f"unexpected LD_IMM64 source {insn.src}", pc)

    vm = Interpreter(insns, kfuncs=kfuncs, memory=mem, ld_imm64_resolver=resolve)
    args = [mem.map("input", bytearray(BUF)).base] if with_buf else []
    return s64(vm.run(*args).r0), calls


# ------------------------------------------------------------------ the oracle

OUTCOMES: dict[tuple[str, str], bool] = {}


@pytest.mark.parametrize("src,opt", CASES, ids=[f"{f.stem}-O{o}" for f, o in CASES])
def test_bpf_result_equals_native(objects, native, src, opt):
    obj = objects / f"{src.stem}.O{opt}.o"
    assert obj.is_file(), f"{src.name} did not compile at -O{opt}"
    got, calls = run_bpf(obj, takes_buffer(src))
    OUTCOMES[(src.name, opt)] = got == native[src.name]
    assert got == native[src.name]
    if "KFUNC;" in src.read_text():
        assert calls, "the kfunc stubs were never called"


def test_summary(objects, native):
    """Runs last in this file: how many (file, -O) cases ran and matched."""
    ran, matched = len(OUTCOMES), sum(OUTCOMES.values())
    print(f"\nexecution oracle: {ran} (file, -O) cases ran, {matched} matched native x86-64")
    if ran < len(CASES):
        pytest.skip(f"only {ran} of {len(CASES)} cases ran (a -k selection?)")
    assert matched == ran == len(FILES) * len(LEVELS)


# ------------------------------------------------------------------ the oracle can fail

def test_swapped_stack_slots_change_the_result(objects, native):
    """Swap the two r11 stores before a 7-argument call: the run must disagree with native."""
    src = CORPUS / "02_args7_long.c"
    obj = load(objects / f"{src.stem}.O2.o")
    prog = obj.program("check_main")
    stores = [i for i, ins in enumerate(prog.insns)
              if ins.code == (op.STX | op.MEM | op.DW) and ins.dst == op.PARAMS]
    assert len(stores) >= 2
    a, b = stores[0], stores[1]
    assert {prog.insns[a].off, prog.insns[b].off} == {-8, -16}
    insns = list(prog.insns)
    insns[a] = dataclasses.replace(insns[a], off=prog.insns[b].off)
    insns[b] = dataclasses.replace(insns[b], off=prog.insns[a].off)
    assert s64(Interpreter(list(prog.insns)).run().r0) == native[src.name]
    assert s64(Interpreter(insns).run().r0) != native[src.name]


def test_wrong_narrow_extension_changes_the_result(objects, native):
    """A stub that reads a signed char slot as unsigned must disagree (the conversion matters)."""
    src = CORPUS / "39_kfunc9_narrow.c"
    path = objects / f"{src.stem}.O2.o"
    good, _ = run_bpf(path, False)
    assert good == native[src.name]

    def unsigned_bytes(b, tid, pieces, vm):
        v, used = piece_value(b, tid, pieces, vm)
        return (v & 0xFF if b.size_of(tid) == 1 else v), used

    bad, _ = run_bpf(path, False, unsigned_bytes)
    assert bad != native[src.name]
