"""Random programs: the verifier never crashes, and it agrees with the live kernel.

* 20,000 raw random programs (fixed seed, short, a low instruction budget): every one
  gets a verdict without an exception and without an internal error;
* 600 shaped random programs are loaded into the kernel as well: verdicts must agree
  and we must never accept what the kernel rejects (skipped where bpf() is denied).
  The share of identical verdict lines and processed-instruction counts is printed.
"""

from __future__ import annotations

import random
import struct
import sys
from pathlib import Path

import pytest

import isa
from isa import opcodes as op
from verifier import VerifierInput, verify

sys.path.insert(0, str(Path(__file__).resolve().parent))
from random_progs import MAPS, PROG_TYPES, raw_program, shaped_program  # noqa: E402

_TESTS = str(Path(__file__).resolve().parent.parent)
if _TESTS not in sys.path:
    sys.path.append(_TESTS)


def test_20000_raw_programs_never_crash():
    r = random.Random(20260101)
    accepted = 0
    for _ in range(20000):
        prog = raw_program(r)
        pt = r.choice(PROG_TYPES)
        v = verify(VerifierInput(prog, prog_type=pt, maps=MAPS, insn_limit=3000),
                   log_level=r.choice([0, 1, 2]))
        assert v.internal_error is None, (isa.encode(prog).hex(), v.internal_error)
        assert v.accepted or v.error is not None
        accepted += v.accepted
    assert accepted > 0


def test_shaped_programs_never_crash():
    r = random.Random(7)
    for _ in range(1500):
        pt = r.choice(PROG_TYPES)
        prog = shaped_program(r, pt)
        v = verify(VerifierInput(prog, prog_type=pt, maps=MAPS, insn_limit=20000),
                   log_level=r.choice([0, 1, 2]))
        assert v.internal_error is None, (pt, isa.encode(prog).hex(), v.internal_error)


def _kernel():
    from oracles import kernel
    ok, why = kernel.kernel_available()
    if not ok:
        pytest.skip(why)
    return kernel


BPF_MAP_FREEZE = 22


@pytest.fixture(scope="module")
def kernel_maps():
    kernel = _kernel()
    out = []
    for m in MAPS:
        km = kernel.map_create(m.map_type, m.key_size, m.value_size, m.max_entries, m.name,
                               flags=m.flags)
        if m.kind == "data":
            km.update(bytes(4), m.initial_value or bytes(m.value_size))
            if m.frozen:
                kernel._bpf(BPF_MAP_FREEZE, kernel._attr((0, "I", km.fd)))
        out.append(km)
    yield out
    for km in out:
        km.close()


def _kernel_load(kernel, kmaps, prog, pt):
    code = bytearray(isa.encode(prog))
    for i, ins in enumerate(prog):
        if ins.code == op.LD_IMM64 and ins.src in (op.PSEUDO_MAP_FD, op.PSEUDO_MAP_VALUE):
            struct.pack_into("<i", code, i * 8 + 4, kmaps[ins.imm].fd)
    return kernel.prog_load(bytes(code), pt, log_level=1)


def test_shaped_programs_agree_with_kernel(kernel_maps):
    kernel = _kernel()
    from oracles.kernel import LoadResult
    r = random.Random(424242)
    n = same_line = rejected = exact = acc = 0
    mismatches = []
    for _ in range(600):
        pt = r.choice(PROG_TYPES)
        prog = shaped_program(r, pt)
        ours = verify(VerifierInput(prog, prog_type=pt, maps=MAPS), log_level=1)
        with _kernel_load(kernel, kernel_maps, prog, pt) as res:
            n += 1
            if not res.accepted:
                assert not ours.accepted, ("UNSAFE: we accept what the kernel rejects",
                                           pt, isa.encode(prog).hex(), res.error_line)
            if res.accepted != ours.accepted:
                mismatches.append((pt, isa.encode(prog).hex(), res.error_line, ours.error_line))
                continue
            if not res.accepted:
                rejected += 1
                same_line += LoadResult(False, 0, ours.log).error_line == res.error_line
            else:
                acc += 1
                exact += kernel.prog_info(res.fd).verified_insns == ours.processed_insns
    print(f"\nshaped random programs: {n}, verdict mismatches {len(mismatches)}, "
          f"same verdict line {same_line}/{rejected}, same processed count {exact}/{acc}")
    assert not mismatches, mismatches[:5]
