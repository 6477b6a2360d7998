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
import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import btf as btfmod
from btf import kinds as L
from isa import opcodes as op
from pipeline.interp import Interpreter, InterpError, Memory
from pipeline.loader import load

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "toolchain" / "checks"
FILES = sorted(CORPUS.glob("*.c"))
LEVELS = ("0", "1", "2", "s")
BUF = bytes((37 * i + 11) & 0xFF for i in range(64))     # the README's input buffer
U64 = (1 << 64) - 1
CASES = [(f, o) for f in FILES for o in LEVELS]


def _s64(v: int) -> int:
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def takes_buffer(src: Path) -> bool:
    return bool(re.search(r"\blong check_main\(const unsigned char \*buf\)", src.read_text()))


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


NATIVE_RUNNER = textwrap.dedent("""
    import ctypes, json, sys
    buf = bytes((37 * i + 11) & 0xFF for i in range(64))
    out = {}
    for so, with_buf in json.loads(sys.argv[1]):
        fn = ctypes.CDLL(so).check_main
        fn.restype = ctypes.c_long
        if with_buf:
            fn.argtypes = [ctypes.c_char_p]
            out[so] = fn(buf)
        else:
            fn.argtypes = []
            out[so] = fn()
    print(json.dumps(out))
""")


@pytest.fixture(scope="module")
def native(clang22, tmp_path_factory) -> dict[str, int]:
    """check_main of every corpus file compiled for x86-64, by file name."""
    d = tmp_path_factory.mktemp("native")
    jobs = []
    for src in FILES:
        so = d / f"{src.stem}.so"
        subprocess.run([clang22, "-O2", "-shared", "-fPIC", str(src), "-o", str(so)], check=True,
                       capture_output=True, text=True)
        jobs.append((str(so), takes_buffer(src)))
    proc = subprocess.run([sys.executable, "-c", NATIVE_RUNNER, json.dumps(jobs)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    results = json.loads(proc.stdout)
    return {Path(so).stem + ".c": v for so, v in results.items()}


# ------------------------------------------------------------------ running BPF

def _piece_value(b, tid: int, pieces: list[int], vm) -> tuple[int, int]:
    """The C value of one kfunc parameter from its 64-bit pieces, and pieces used."""
    t = b.resolve(tid)
    if t.kind == L.PTR:
        return _s64(vm.memory.load(pieces[0], 8)), 1
    size = b.size_of(tid)
    if size > 8:
        return _s64(pieces[0]) + _s64(pieces[1]), 2
    v = pieces[0] & ((1 << (8 * size)) - 1)
    if t.kind == L.INT and t.int_encoding & 4:          # BTF_INT_BOOL
        return int(v != 0), 1
    signed = (t.kind == L.INT and t.int_encoding & 1) or (t.kind in (L.ENUM, L.ENUM64) and t.kflag)
    if signed and v >> (8 * size - 1):
        v -= 1 << (8 * size)
    return v, 1


def kfunc_stub(b, func_id: int, calls: list, convert=_piece_value):
    params = b.func_proto(func_id).params
    name = b.type(func_id).name

    def stub(vm, *pieces: int) -> int:
        total, i = 0, 0
        for n, p in enumerate(params):
            v, used = convert(b, p.type, list(pieces[i:i + 2]), vm)
            i += used
            total += (n + 1) * v
        calls.append(name)
        return total & U64
    return stub


def run_bpf(obj_path: Path, with_buf: bool, convert=_piece_value) -> tuple[int, list[str]]:
    obj = load(obj_path)
    prog = obj.program("check_main")
    b = btfmod.load(obj_path).btf
    insns, kfuncs, names, calls = list(prog.insns), {}, [], []
    for r in prog.relocs:
        if r.kind != "kfunc":
            continue
        if r.name not in names:
            names.append(r.name)
            fid = next(t.id for t in b.find(r.name, L.FUNC) if t.vlen == 2)   # extern linkage
            kfuncs[len(names)] = kfunc_stub(b, fid, calls, convert)
        # the loader leaves kfunc ids to the kernel BTF; number them for the interpreter
        insns[r.insn] = dataclasses.replace(insns[r.insn], imm=names.index(r.name) + 1)
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
    return _s64(vm.run(*args).r0), calls


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
    assert _s64(Interpreter(list(prog.insns)).run().r0) == native[src.name]
    assert _s64(Interpreter(insns).run().r0) != native[src.name]


def test_wrong_narrow_extension_changes_the_result(objects, native):
    """A stub that reads a signed char slot as unsigned must disagree (the conversion matters)."""
    src = CORPUS / "39_kfunc9_narrow.c"
    path = objects / f"{src.stem}.O2.o"
    good, _ = run_bpf(path, False)
    assert good == native[src.name]

    def unsigned_bytes(b, tid, pieces, vm):
        v, used = _piece_value(b, tid, pieces, vm)
        return (v & 0xFF if b.size_of(tid) == 1 else v), used

    bad, _ = run_bpf(path, False, unsigned_bytes)
    assert bad != native[src.name]
