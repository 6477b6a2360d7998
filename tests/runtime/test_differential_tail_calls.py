"""Differential tail calls: programs of the random generator of
``tests/runtime/test_differential.py`` run as tail-call targets, compared with the live
kernel's BPF_PROG_TEST_RUN on every engine.

That generator makes single programs (no prog arrays, no ``bpf_tail_call``), so it never
loads a second image next to the first.  Here each case is an entry program (its own helper
calls or none, a bpf2bpf subprogram or none, then a tail call) whose prog array holds
one generated program, and half the time that program tail-calls a second generated one
from between its blocks.  The same maps are shared by all programs, as one object's are.
Every retval must equal the kernel's.  Skipped where bpf() is denied.
"""

from __future__ import annotations

import struct

import pytest

import isa
import pipeline
from isa import opcodes as op
from pipeline import exec_native
from pipeline.objfile import MapDef, MapRef, Object, Program as ObjProgram
from tests.oracles import kernel as kernel_oracle
from tests.runtime.test_differential import MAPS, PACKETS, Program, _Builder
from tests.seeds import rng as seeded
from tests.support.skips import need_kernel
from verifier.input import MAP_TYPES

N_CASES = 150
ENGINES = ("unicorn", "interp", "native")
PA = len(MAPS)                      # map index of the prog array
ALL_MAPS = MAPS + [("pa", "prog_array", 4, 4, 4)]


def _tail_call(b: _Builder, slot: int) -> list[str]:
    """``bpf_tail_call(ctx, &pa, slot)``; then r0-r5 are set again (the call clobbers
    them and the blocks after it read them)."""
    return (["mov %r1, %r6", b.map_ref(2, PA), f"mov %r3, {slot}", "call 12"]
            + b.reinit([0, 2, 3, 4, 5]))


def _generated(rng, prog_type: str, packet: bytes, tail_slot: int | None) -> Program:
    """One program of the shared generator; with ``tail_slot``, a tail call into that
    slot between two of its blocks."""
    b = _Builder(rng, prog_type)
    r = b.rng
    lines = ["mov %r6, %r1"] + b.reinit([0, 2, 3, 4, 5, 7, 8, 9])
    lines += [f"stdw [%r10-{8 * k}], {b.g.imm()}" for k in range(1, 9)]
    kinds = [(0.30, lambda: b.g.block(r.randrange(2, 8))), (0.45, b.ctx_read),
             (0.60, b.packet), (0.78, b.map_block), (0.90, b.helper), (1.0, b.loop)]
    blocks = r.randrange(3, 10)
    at = r.randrange(0, blocks + 1)
    for i in range(blocks):
        if tail_slot is not None and i == at:
            lines += _tail_call(b, tail_slot)
        k = r.random()
        lines += next(f for p, f in kinds if k < p)()
    if tail_slot is not None and at == blocks:
        lines += _tail_call(b, tail_slot)
    lines += b.fold() + ["exit"]
    return Program(prog_type, lines, b.repl, packet)


def _entry(rng, prog_type: str, packet: bytes) -> Program:
    """The program the test run starts: maybe a helper call and a call of a subprogram
    (which calls a helper) first, then the tail call into slot 0, then a result if it
    falls through."""
    b = _Builder(rng, prog_type)
    r = b.rng
    lines = ["mov %r6, %r1"] + b.reinit([0, 2, 3, 4, 5, 7, 8, 9])
    lines += [f"stdw [%r10-{8 * k}], {b.g.imm()}" for k in range(1, 9)]
    if r.random() < 0.5:
        lines += b.helper()
    sub = r.random() < 0.3
    if sub:         # a bpf2bpf call first (tail calls from subprograms need BTF)
        lines += ["call local sub", "mov %r7, %r0"]
    lines += _tail_call(b, 0) + ["mov %r0, 77", "add %r0, %r7" if sub else "exit"]
    if sub:
        lines += ["exit", "sub:", "call 7", "mov %r0, 1000", "exit"]
    return Program(prog_type, lines, b.repl, packet)


def _case(rng):
    prog_type = rng.choice(["socket_filter", "sched_cls", "xdp"])
    packet = rng.choice(PACKETS)
    chained = rng.random() < 0.5
    return (_entry(rng, prog_type, packet),
            _generated(rng, prog_type, packet, 1 if chained else None),
            _generated(rng, prog_type, packet, None) if chained else None)


def _kernel_retval(kernel, progs) -> int | None:
    """Load the targets, fill the prog array, load and test-run the entry; None when the
    kernel refuses any of them."""
    maps = [kernel.map_create(t, k, v, n, name) for name, t, k, v, n in ALL_MAPS]
    loaded = []
    try:
        fds = []
        for prog in progs:
            if prog is None:
                continue
            insns, refs = prog.insns()
            code = kernel.relocate_map_refs(isa.encode(insns),
                                            {i: maps[m].fd for i, m in refs.items()})
            res = kernel.prog_load(code, prog.prog_type, log_level=0)
            loaded.append(res)
            if not res.accepted:
                return None
            fds.append(res.fd)
        for slot, fd in enumerate(fds[1:]):
            maps[PA].update(struct.pack("<I", slot), struct.pack("<I", fd))
        return kernel.prog_test_run(fds[0], progs[0].packet).retval
    finally:
        for res in loaded:
            res.close()
        for m in maps:
            m.close()


def _object(progs):
    names = ["entry", "first", "second"]
    defs = [MapDef(name, "maps", "legacy", 20 * i, 20,
                   struct.pack("<5I", MAP_TYPES[t], k, v, n, 0))
            for i, (name, t, k, v, n) in enumerate(ALL_MAPS)]
    ps = [ObjProgram(name, name, prog.prog_type, None, None, True, 0, prog.insns()[0])
          for name, prog in zip(names, progs) if prog is not None]
    return Object("tail_differential.o", ps, [], [], {}, [], defs, [],
                  [MapRef("legacy", d.name) for d in defs], [], "GPL", None, None)


def test_tail_call_targets_agree_with_bpf_prog_test_run():
    need_kernel()
    engines = [e for e in ENGINES if e != "native" or exec_native.available() is None]
    rng, named = seeded(7_2026)
    ran = tried = 0
    failures = []
    while ran < N_CASES:
        tried += 1
        assert tried < 4 * N_CASES, f"the kernel refuses too many programs ({named})"
        progs = _case(rng)
        want = _kernel_retval(kernel_oracle, progs)
        if want is None:
            continue
        ran += 1
        obj = _object(progs)
        slots = {0: "first"} if progs[2] is None else {0: "first", 1: "second"}
        for engine in engines:
            try:
                got = pipeline.run(obj, "entry", data=progs[0].packet, engine=engine,
                                   prog_array={"pa": slots}).retval
            except pipeline.Error as e:
                got = f"error: {e}"
            if got != want:
                text = "\n".join(p.text() for p in progs if p is not None)
                failures.append(f"case {ran} ({named}): kernel {want:#x}, {engine} {got}\n{text}")
    print(f"\ntail-call differential: {ran} cases the kernel accepts ({tried - ran} refused) "
          f"on {', '.join(engines)}: {len(failures)} differ")
    assert not failures, f"{len(failures)} differences; first:\n" + "\n".join(failures[:3])
