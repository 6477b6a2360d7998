"""Mutation fuzzing: a damaged object either loads or raises ObjectError — nothing else.

Fixed seed, 2,500 mutants of five clang-22 objects: byte flips aimed at the ELF
header, the section header table, REL entries of code sections, instructions
and the symbol table (regions located with llvm-readelf-22), plus random
truncations.  Objects that still load must be internally consistent: every
linked call and callback lands on the start of a linked function, and the
linked code has LD_IMM64's two-slot structure (unknown opcodes are the verifier's to reject).
"""

from __future__ import annotations

import json
import platform
import random
import shutil
import struct
import subprocess
import time
from pathlib import Path

import pytest

from isa.insn import ld_imm64_problem
from isa import opcodes as op
from pipeline.loader import ObjectError, load_bytes

DATA = Path(__file__).resolve().parent.parent / "data" / "loader"
BASES = ("globals", "kfunc", "callback", "nested", "btf_maps")
SEED = 20260525
PER_BASE = 500


@pytest.fixture(scope="module")
def corpus(clang22, tmp_path_factory):
    tool = shutil.which("llvm-readelf-22")
    if not tool:
        pytest.skip("llvm-readelf-22 not installed")
    out_dir = tmp_path_factory.mktemp("loader_mut")
    items = []
    for stem in BASES:
        out = out_dir / f"{stem}.o"
        subprocess.run([clang22, "--target=bpf", "-g", "-O2",
                        f"-I/usr/include/{platform.machine()}-linux-gnu", "-c",
                        str(DATA / f"{stem}.c"), "-o", str(out)], check=True, capture_output=True)
        js = json.loads(subprocess.run([tool, "--elf-output-style=JSON", "-S", str(out)],
                                       check=True, capture_output=True, text=True).stdout)[0]
        data = out.read_bytes()
        secs = [s["Section"] for s in js["Sections"]]
        shoff = struct.unpack_from("<Q", data, 0x28)[0]
        regions = {"header": [(0, 64)], "shdrs": [(shoff, shoff + 64 * len(secs))],
                   "code": [], "rel": [], "symtab": []}
        by_index = {s["Index"]: s for s in secs}
        for s in secs:
            span = (s["Offset"], s["Offset"] + s["Size"])
            if s["Type"]["Name"] == "SHT_PROGBITS" and s["Flags"]["Value"] & 4 and s["Size"]:
                regions["code"].append(span)
            elif s["Type"]["Name"] == "SHT_REL" and by_index[s["Info"]]["Flags"]["Value"] & 4:
                regions["rel"].append(span)
            elif s["Type"]["Name"] == "SHT_SYMTAB":
                regions["symtab"].append(span)
        items.append((stem, data, regions))
    return items


def mutate(rng: random.Random, data: bytes, regions: dict) -> bytes:
    kind = rng.choice(("header", "shdrs", "shdrs", "code", "rel", "rel", "symtab", "truncate"))
    if kind == "truncate":
        return data[:rng.randrange(len(data))]
    out = bytearray(data)
    lo, hi = rng.choice(regions[kind])
    for _ in range(rng.choice((1, 1, 2, 4))):
        pos = rng.randrange(lo, hi)
        if rng.random() < 0.5:
            out[pos] ^= 1 << rng.randrange(8)
        else:
            out[pos] = rng.choice((0, 0xFF, rng.randrange(256)))
    return bytes(out)


def check_consistent(obj) -> None:
    for prog in obj.programs:
        assert ld_imm64_problem(prog.insns) is None, prog.name
        starts = {f.start for f in prog.functions}
        assert sum(f.length for f in prog.functions) == len(prog.insns)
        for i, ins in enumerate(prog.insns):
            if (ins.code == op.CALL_OP and ins.src == op.PSEUDO_CALL) or \
                    (ins.code == op.LD_IMM64 and ins.src == op.PSEUDO_FUNC):
                assert i + ins.imm + 1 in starts, (prog.name, i)


def test_mutants_load_or_raise_object_error(corpus):
    rng = random.Random(SEED)
    started = time.monotonic()
    outcomes = {"ok": 0, "error": 0}
    for stem, data, regions in corpus:
        for n in range(PER_BASE):
            mutant = mutate(rng, data, regions)
            try:
                obj = load_bytes(mutant, f"{stem}-{n}.o")
            except ObjectError as err:
                msg = str(err)
                assert msg.startswith(f"{stem}-{n}.o") and "\n" not in msg, msg
                outcomes["error"] += 1
                continue
            except Exception as exc:  # the property under test: nothing else escapes
                pytest.fail(f"mutant {stem}#{n} (seed {SEED}) raised {type(exc).__name__}: {exc}")
            check_consistent(obj)
            outcomes["ok"] += 1
    assert sum(outcomes.values()) == PER_BASE * len(BASES) >= 2000
    # both outcomes must occur, or the mutations are not reaching the interesting code
    assert outcomes["ok"] > 100 and outcomes["error"] > 500, outcomes
    assert time.monotonic() - started < 30
