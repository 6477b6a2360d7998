"""The toolchain regression corpus (toolchain/checks) as an execution oracle, shared by tests.

The same ``check_main`` is compiled natively for x86-64 (the expected answer, by the
check's own :func:`toolchain.check.native_reference`) and for BPF (run by the reference
interpreter or by the JIT with the Python stubs below; ``python -m toolchain check`` runs
them verified, with the corpus kfunc module ``pipeline/check_kfuncs``). kfunc stubs follow the corpus
convention (toolchain/checks/README.md): the sum over parameters of ``(i + 1) * arg_i``,
a pointer counting as the ``long`` it points to and a 16-byte value as lo + 3 * hi; the Python
stub converts each 64-bit piece per the kfunc's BTF parameter type (width, signedness,
_Bool), so a caller that extends a narrow argument wrongly shows up.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import btf as btfmod
from btf import kinds as L
from toolchain.check import native_reference

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "toolchain" / "checks"
FILES = sorted(CORPUS.glob("*.c"))
LEVELS = ("0", "1", "2", "s")
BUF = bytes((37 * i + 11) & 0xFF for i in range(64))     # the corpus README's input buffer
U64 = (1 << 64) - 1
CASES = [(f, o) for f in FILES for o in LEVELS]


def s64(v: int) -> int:
    v &= U64
    return v - (1 << 64) if v >> 63 else v


def takes_buffer(src: Path) -> bool:
    """Whether ``check_main`` takes the input buffer (no corpus file does today: the buffer
    cases read a global, which the verifier accepts where a raw pointer in r1 is ctx)."""
    return bool(re.search(r"\blong check_main\(const unsigned char \*buf\)", src.read_text()))


def native_results(clang: str, outdir: Path) -> dict[str, int]:
    """check_main of every corpus file compiled for the host by ``clang`` and run as a host
    program (:func:`toolchain.check.native_reference`, the check's own native reference),
    by file name."""
    out = {}
    for src in FILES:
        got = native_reference(src, [clang], str(outdir))
        if "error" in got:
            raise RuntimeError(f"{src.name}: native reference: {got['error']}")
        out[src.name] = got["value"]
    return out


def piece_value(b, tid: int, pieces: list[int], vm) -> tuple[int, int]:
    """The C value of one kfunc parameter from its 64-bit pieces, and pieces used."""
    t = b.resolve(tid)
    if t.kind == L.PTR:
        return s64(vm.memory.load(pieces[0], 8)), 1
    size = b.size_of(tid)
    if size > 8:
        return s64(pieces[0]) + 3 * s64(pieces[1]), 2
    v = pieces[0] & ((1 << (8 * size)) - 1)
    if t.kind == L.INT and t.int_encoding & 4:          # BTF_INT_BOOL
        return int(v != 0), 1
    signed = (t.kind == L.INT and t.int_encoding & 1) or (t.kind in (L.ENUM, L.ENUM64) and t.kflag)
    if signed and v >> (8 * size - 1):
        v -= 1 << (8 * size)
    return v, 1


def kfunc_stub(b, func_id: int, calls: list, convert=piece_value):
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


def link_kfuncs(obj_path: Path, prog, calls: list, convert=piece_value):
    """(insns, {id: stub}): kfunc calls numbered 1.. with corpus-convention stubs.

    The loader leaves kfunc ids to a kernel BTF; the corpus has none, so number them here.
    """
    b = btfmod.load(obj_path).btf
    insns, kfuncs, names = list(prog.insns), {}, []
    for r in prog.relocs:
        if r.kind != "kfunc":
            continue
        if r.name not in names:
            names.append(r.name)
            fid = next(t.id for t in b.find(r.name, L.FUNC) if t.vlen == 2)   # extern linkage
            kfuncs[len(names)] = kfunc_stub(b, fid, calls, convert)
        insns[r.insn] = dataclasses.replace(insns[r.insn], imm=names.index(r.name) + 1)
    return insns, kfuncs
