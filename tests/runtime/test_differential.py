"""Differential execution: the live kernel's BPF_PROG_TEST_RUN against every engine.

Programs are generated from a fixed seed (:mod:`seeds`, ``STACKARGS_TEST_SEED`` for another
set): the ALU / branch / stack / atomic blocks of the interpreter conformance generator
(``tests/pipeline/test_interp_conformance.py``), plus context field reads, packet reads and
writes (direct access for ``sched_cls``/``xdp``, ``LD_ABS``/``LD_IND`` for socket filters),
array and hash map lookups, updates, deletes and atomics, helpers and bounded loops, over
``socket_filter``, ``sched_cls`` and ``xdp``.  Every program ends by folding its registers,
stack, map values and (``sched_cls``/``xdp``) the packet's first bytes into r0, so a
difference in any of them shows in the retval, as ``data_out`` would.

Each program is loaded once into the kernel (fresh maps per program) and test-run on a
packet drawn from a fixed set (IPv4/TCP, IPv6, 802.3 and 802.2 frames, broadcast,
multicast, unicast and all-zero headers); the programs the kernel accepts are then run on
every engine (``unicorn``, ``interp``, ``native``) through :func:`pipeline.run` with the
same packet, and every retval must equal the kernel's.

Documented nondeterminism is excluded by construction: no ``bpf_get_prandom_u32``,
``bpf_ktime_get_*``, ``bpf_jiffies64``, ``bpf_get_smp_processor_id``, no helper that hashes
with the boot-time random key (``bpf_get_hash_recalc``, ``bpf_get_socket_cookie``), no
pointer in the result (only context fields that hold scalars are read), and the stack is
written before it is read.  ``bpf_get_socket_uid`` is left out: the mock kernel does not
implement it.  ``bpf_csum_diff`` is in: its kernel-equal result comes with the helpers
work on pipeline/kernel/helpers.py (before it, about a third of the programs differ).
Skipped where bpf() is denied.
"""

from __future__ import annotations

import struct
import sys
import time
from pathlib import Path

import pytest

import isa
import pipeline
from isa import opcodes as op
from isa.asm import assemble
from pipeline import exec_native
from pipeline.objfile import MapDef, MapRef, Object, Program as ObjProgram
from verifier.input import MAP_TYPES

_TESTS = Path(__file__).resolve().parents[1]
for _p in (str(_TESTS), str(_TESTS / "pipeline")):
    if _p not in sys.path:
        sys.path.append(_p)
from oracles import kernel as kernel_oracle  # noqa: E402
from tests.support.skips import need_kernel  # noqa: E402
from seeds import rng as seeded  # noqa: E402
from test_interp_conformance import _Gen  # noqa: E402  - the shared ALU/branch generator

I = isa.Insn
N_PROGRAMS = 2000                 # accepted by the kernel and run on every engine
N_REPEATED = 200                  # the same with repeat 5
ENGINES = ("unicorn", "interp", "native")
REGS = [0, 2, 3, 4, 5, 7, 8, 9]   # r6 holds the context, r1 is scratch
SAVE = [7, 8, 9]                  # where a block's results go (survive calls)

# legacy map definitions: name, kernel type, key size, value size, max entries
MAPS = [("arr", "array", 4, 16, 4), ("hsh", "hash", 8, 8, 16)]
# context fields holding scalars that BPF_PROG_TEST_RUN fills deterministically
CTX_FIELDS = {
    "socket_filter": [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 84,
                      164, 176],
    "sched_cls": [0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 48, 52, 56, 60, 64, 68, 72, 84,
                  160, 164, 176],
    "xdp": [12, 16, 20],
}
PKT_PTRS = {"sched_cls": (76, 80), "xdp": (0, 4)}          # data, data_end
_IPV4 = bytes.fromhex("4500003200004000" "40060000" "0a000001" "0a000002"
                      "1f90" "0050" "00000001" "00000000" "5002ffff" "00000000")
_IPV6 = bytes.fromhex("6000000000140640" + "20010db8" + "00" * 11 + "01" + "20010db8"
                      + "00" * 11 + "02") + bytes(20)
PACKETS = [
    bytes.fromhex("ffffffffffff" "020000000001" "0800") + _IPV4 + bytes(10),   # broadcast
    bytes.fromhex("020000000002" "020000000001" "0800") + _IPV4 + bytes(10),   # unicast
    bytes.fromhex("000000000000" "020000000001" "0800") + _IPV4 + bytes(10),   # to lo
    bytes.fromhex("333300000001" "020000000001" "86dd") + _IPV6,              # multicast v6
    bytes.fromhex("010203040506" "020000000001" "0040") + b"\xff\xff" + bytes(48),  # 802.3
    bytes.fromhex("000000000000" "020000000001" "0040") + b"\xaa\xaa\x03" + bytes(47),  # 802.2
    bytes(64),
    bytes(range(1, 61)),
]


class Program:
    """A generated program: assembler text, placeholder replacements, map references."""

    def __init__(self, prog_type: str, lines: list[str], repl: list[I], packet: bytes):
        self.prog_type, self.lines, self.repl, self.packet = prog_type, lines, repl, packet

    def insns(self) -> tuple[list[I], dict[int, int]]:
        """The instructions and {LD_IMM64 index: map index}."""
        out, refs = [], {}
        for ins in assemble("\n".join(self.lines)):
            if ins.code == op.LDX | op.MEM | op.DW and ins.src == 10 and ins.off >= 0x7000:
                ins = self.repl[ins.off - 0x7000]
            if ins.code == op.LD_IMM64 and (ins.imm >> 8) == 0x7EADBE:
                refs[len(out)] = ins.imm & 0xFF
                ins = I(ins.code, ins.dst, op.PSEUDO_MAP_IDX, 0, ins.imm & 0xFF)
            out.append(ins)
        return out, refs

    def text(self) -> str:
        return f"{self.prog_type}, packet {self.packet.hex()}:\n" + "\n".join(
            f"    {line}" for line in self.lines)


class _Builder:
    """One program's text: the conformance generator's blocks plus kernel-facing blocks."""

    def __init__(self, rng, prog_type: str):
        self.rng, self.pt = rng, prog_type
        self.g = _Gen(rng, REGS, "L")
        self.lines: list[str] = []
        self.repl: list[I] = []
        self.label = 0

    def lbl(self) -> str:
        self.label += 1
        return f"X{self.label}"

    def raw(self, ins: I) -> str:
        """A placeholder line for an instruction the assembler does not spell (LD_ABS)."""
        self.repl.append(ins)
        return f"ldxdw %r0, [%r10+{0x7000 + len(self.repl) - 1}]"

    def reinit(self, regs) -> list[str]:
        return [f"lddw %r{i}, {self.rng.getrandbits(64):#x}" for i in regs]

    def map_ref(self, reg: int, idx: int) -> str:
        return f"lddw %r{reg}, {0x7EADBE00 | idx:#x}"

    def save(self) -> int:
        return self.rng.choice(SAVE)

    # -- blocks ------------------------------------------------------------------------
    def ctx_read(self) -> list[str]:
        r, off = self.rng, self.rng.choice(CTX_FIELDS[self.pt])
        sz = r.choice(["w", "w", "w", "h", "b"])
        return [f"ldx{sz} %r{r.choice(REGS)}, [%r6+{off}]"]

    def packet(self) -> list[str]:
        r = self.rng
        if self.pt == "socket_filter":
            size = r.choice([op.B, op.H, op.W])
            if r.random() < 0.5:
                out = [self.raw(I(op.LD | op.ABS | size, 0, 0, 0, r.randrange(0, 72)))]
            else:
                src = self.save()
                out = [f"and %r{src}, 63",
                       self.raw(I(op.LD | op.IND | size, 0, src, 0, r.randrange(-4, 16)))]
            return out + self.reinit([1, 2, 3, 4, 5])
        data, end = PKT_PTRS[self.pt]
        n = r.randrange(1, 65)
        skip = self.lbl()
        sz, width = r.choice([("b", 1), ("h", 2), ("w", 4), ("dw", 8)])
        out = [f"ldxw %r2, [%r6+{data}]", f"ldxw %r3, [%r6+{end}]", "mov %r4, %r2",
               f"add %r4, {n}", f"jgt %r4, %r3, {skip}"]
        if width <= n:
            out.append(f"ldx{sz} %r{self.save()}, [%r2+{r.randrange(0, n - width + 1)}]")
        sz, width = r.choice([("b", 1), ("h", 2), ("w", 4), ("dw", 8)])
        if width <= n and r.random() < 0.6:
            out.append(f"stx{sz} [%r2+{r.randrange(0, n - width + 1)}], %r{self.save()}")
        return out + [f"{skip}:"] + self.reinit([2, 3, 4])

    def map_block(self) -> list[str]:
        r = self.rng
        skip = self.lbl()
        if r.random() < 0.5:   # array: lookup, read, write or atomic add
            out = [f"stw [%r10-72], {r.randrange(0, 5)}", "mov %r2, %r10", "add %r2, -72",
                   self.map_ref(1, 0), "call 1", f"jeq %r0, 0, {skip}"]
            off = r.choice([0, 4, 8, 12])
            out.append(f"ldx{'w' if off % 8 else r.choice(['w', 'dw'])} %r{self.save()}, "
                       f"[%r0+{off}]")
            k = r.random()
            if k < 0.4:
                out.append(f"stxdw [%r0+{r.choice([0, 8])}], %r{self.save()}")
            elif k < 0.7:
                out.append(f"lock {r.choice(['', 'fetch '])}add [%r0+{r.choice([0, 8])}], "
                           f"%r{self.save()}")
            out.append(f"{skip}:")
            return out + self.reinit([0, 1, 2, 3, 4, 5])
        key = r.randrange(0, 6)
        k = r.random()
        out = [f"stdw [%r10-72], {key}", "mov %r2, %r10", "add %r2, -72", self.map_ref(1, 1)]
        if k < 0.45:           # update (BPF_ANY, NOEXIST, EXIST): the error code is kept
            out += [f"stxdw [%r10-80], %r{self.save()}", "mov %r3, %r10", "add %r3, -80",
                    f"mov %r4, {r.choice([0, 0, 1, 2])}", "call 2", f"mov %r{self.save()}, %r0"]
        elif k < 0.6:
            out += ["call 3", f"mov %r{self.save()}, %r0"]
        else:
            out += ["call 1", f"jeq %r0, 0, {skip}", f"ldxdw %r{self.save()}, [%r0+0]"]
            if r.random() < 0.5:
                out.append(f"lock add [%r0+0], %r{self.save()}")
            out.append(f"{skip}:")
        return out + self.reinit([0, 1, 2, 3, 4, 5])

    def helper(self) -> list[str]:
        r = self.rng
        dst = self.save()
        if self.pt in ("socket_filter", "sched_cls") and r.random() < 0.5:   # skb_load_bytes
            n = r.randrange(1, 17)
            off = r.choice([str(r.randrange(0, 70)), None])
            out = ["mov %r1, %r6"]
            out += [f"mov %r2, {off}"] if off else [f"mov %r2, %r{dst}", "and %r2, 63"]
            out += ["mov %r3, %r10", "add %r3, -64", f"mov %r4, {n}", "call 26",
                    f"mov %r{dst}, %r0"]
        elif self.pt == "xdp" and r.random() < 0.5:                        # xdp_adjust_head
            out = ["mov %r1, %r6", f"mov %r2, {r.choice([-16, -8, -2, 0, 2, 8, 14, 60])}",
                   "call 44", f"mov %r{dst}, %r0"]
        else:                                                              # csum_diff
            a, b = r.choice([0, 4, 8, 16]), r.choice([0, 4, 8, 16])
            out = ["mov %r1, %r10", f"add %r1, -{max(a, 4) + 8}", f"mov %r2, {a}",
                   "mov %r3, %r10", "add %r3, -40", f"mov %r4, {b}",
                   f"mov %r5, %r{dst}", "call 28", f"mov %r{dst}, %r0"]
        return out + self.reinit([0, 1, 2, 3, 4, 5])

    def loop(self) -> list[str]:
        r = self.rng
        top = self.lbl()
        return ["mov %r1, 0", f"{top}:", "add %r1, 1", self.g.alu(), self.g.alu(),
                f"jlt %r1, {r.randrange(2, 40)}, {top}"]

    def fold(self) -> list[str]:
        out = []
        for i in (2, 3, 4, 5, 7, 8, 9):
            out += ["mul %r0, 0x1000193", f"xor %r0, %r{i}"]
        out += ["ldxdw %r1, [%r10-16]", "xor %r0, %r1", "ldxdw %r1, [%r10-64]", "add %r0, %r1"]
        if self.pt in PKT_PTRS:      # the packet after the run, as data_out would show it
            data, end = PKT_PTRS[self.pt]
            skip = self.lbl()
            out += [f"ldxw %r2, [%r6+{data}]", f"ldxw %r3, [%r6+{end}]", "mov %r4, %r2",
                    "add %r4, 32", f"jgt %r4, %r3, {skip}"]
            for k in range(0, 32, 8):
                out += ["mul %r0, 0x1000193", f"ldxdw %r1, [%r2+{k}]", "xor %r0, %r1"]
            out.append(f"{skip}:")
        return out

    def build(self, packet: bytes) -> Program:
        r = self.rng
        lines = ["mov %r6, %r1"] + self.reinit(REGS)
        lines += [f"stdw [%r10-{8 * k}], {self.g.imm()}" for k in range(1, 9)]
        kinds = [(0.30, lambda: self.g.block(r.randrange(2, 8))), (0.45, self.ctx_read),
                 (0.60, self.packet), (0.78, self.map_block), (0.90, self.helper),
                 (1.0, self.loop)]
        for _ in range(r.randrange(4, 14)):
            k = r.random()
            lines += next(f for p, f in kinds if k < p)()
        lines += self.fold() + ["exit"]
        return Program(self.pt, lines, self.repl, packet)


def generate(rng) -> Program:
    pt = rng.choice(["socket_filter", "sched_cls", "xdp"])
    packet = rng.choice(PACKETS)
    return _Builder(rng, pt).build(packet)


# --- the two sides ---------------------------------------------------------------------

def kernel_retval(kernel, prog: Program, insns, refs, repeat: int = 1) -> int | None:
    """Load with fresh maps and test-run (``repeat`` times, maps persisting): the last
    retval, or None if the kernel refuses the program."""
    maps = [kernel.map_create(t, k, v, n, name) for name, t, k, v, n in MAPS]
    try:
        code = kernel.relocate_map_refs(isa.encode(insns), {i: maps[m].fd
                                                             for i, m in refs.items()})
        with kernel.prog_load(code, prog.prog_type, log_level=0) as res:
            if not res.accepted:
                return None
            return kernel.prog_test_run(res.fd, prog.packet, repeat=repeat).retval
    finally:
        for m in maps:
            m.close()


def our_object(prog: Program, insns):
    """The program as a pipeline object with legacy map definitions (as an ELF would give)."""
    defs = [MapDef(name, "maps", "legacy", 20 * i, 20,
                   struct.pack("<5I", MAP_TYPES[t], k, v, n, 0))
            for i, (name, t, k, v, n) in enumerate(MAPS)]
    p = ObjProgram("diff", "s", prog.prog_type, None, None, True, 0, insns)
    return Object("differential.o", [p], [], [], {}, [], defs, [],
                  [MapRef("legacy", d.name) for d in defs], [], "GPL", None, None)


# --- the test ---------------------------------------------------------------------------

@pytest.fixture(scope="module")
def kernel():
    need_kernel()
    return kernel_oracle


def _differential(kernel, n_programs: int, seed: int, repeat: int = 1) -> None:
    engines = [e for e in ENGINES if e != "native" or exec_native.available() is None]
    rng, named = seeded(seed)
    ran = tried = refused = 0
    failures: list[str] = []
    t0 = time.monotonic()
    while ran < n_programs:
        tried += 1
        assert tried < 3 * n_programs, f"the kernel refuses too many programs ({named})"
        prog = generate(rng)
        insns, refs = prog.insns()
        want = kernel_retval(kernel, prog, insns, refs, repeat)
        if want is None:
            refused += 1
            continue
        ran += 1
        obj = our_object(prog, insns)
        verdict = pipeline.verify(obj, "diff")
        if not verdict.accepted:
            failures.append(f"program {ran} ({named}): the kernel accepts it, our verifier "
                            f"says {verdict.error_line!r}\n{prog.text()}")
            continue
        for engine in engines:
            try:
                got = pipeline.run(obj, "diff", data=prog.packet, engine=engine,
                                   verdict=verdict, repeat=repeat).retval
            except pipeline.Error as e:
                got = f"error: {e}"
            if got != want:
                shown = got if isinstance(got, str) else f"{got:#x}"
                failures.append(f"program {ran} ({named}): kernel retval {want:#x}, "
                                f"{engine} {shown}\n{prog.text()}")
    print(f"\ndifferential, repeat {repeat}: {ran} programs the kernel accepts "
          f"({refused} refused) on "
          f"{', '.join(engines)}: {len(failures)} differ, {time.monotonic() - t0:.1f} s")
    assert not failures, f"{len(failures)} differences; first:\n" + "\n".join(failures[:3])


def test_engines_agree_with_bpf_prog_test_run(kernel):
    _differential(kernel, N_PROGRAMS, 11_2026)


def test_repeated_runs_agree(kernel):
    """``repeat`` 5: maps persist from run to run and the last retval is reported, as in
    the kernel (the engines run the N runs in one machine-code loop where they can)."""
    _differential(kernel, N_REPEATED, 12_2026, repeat=5)
