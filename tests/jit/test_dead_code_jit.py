"""Code the verifier proved unreachable gets no x86 code (``jit(..., seen=...)``).

1. Small programs: dead slots have ``insn_offsets`` -1, a conditional jump into
   dead code leaves no code, one whose fall-through is dead becomes a ``jmp``,
   ``may_goto +0`` and ``ja +0`` leave no code, and the result is unchanged.
2. Every runnable entry of the verifier corpus: verified by our verifier, JITed
   with the verdict's ``seen_insns``, run under unicorn: the declared retval,
   in no more bytes than without.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from isa import Insn
from isa import opcodes as op
from isa.asm import assemble
from jit import jit
from pipeline.exec_unicorn import UnicornExecutor

sys.path.append(str(Path(__file__).resolve().parents[1]))   # tests/, for the shared oracles
from oracles import corpus as corpus_mod  # noqa: E402

PROG = """
    mov %r0, 1
    jeq %r1, 0, live
    mov %r0, 2
    add %r0, 40
    exit
live:
    add %r0, 41
    ja +0
    exit
"""


def test_dead_slots_get_no_code():
    prog = assemble(PROG)
    full = jit(prog)
    # the verifier would say: r1 is 0 on entry, so slots 2..4 never run
    img = jit(prog, dead={2, 3, 4})
    assert img.size < full.size
    assert [img.insn_offsets[i] for i in (2, 3, 4)] == [-1, -1, -1]
    assert img.insn_offsets[1] >= 0 and img.insn_offsets[5] >= 0
    assert UnicornExecutor(img).run(0).retval == 42 == UnicornExecutor(full).run(0).retval
    # slot 1's fall-through is dead: it is an unconditional jump to slot 5 ... which is
    # where the code goes next anyway, so no code at all; ja +0 (slot 6) has none either
    assert img.insn_offsets[1] == img.insn_offsets[5]
    assert img.insn_offsets[6] == img.insn_offsets[7]
    for off in range(img.funcs[0].body_offset, img.funcs[0].epilogue_offset):
        assert img.insn_at(off) not in (2, 3, 4)
    # the same through seen flags
    seen = [i not in (2, 3, 4) for i in range(len(prog))]
    assert jit(prog, seen=seen).code == img.code


def test_jump_into_dead_code_has_no_code():
    prog = assemble(PROG)
    img = jit(prog, dead={5, 6, 7})       # r1 != 0: the jeq is never taken
    assert img.insn_offsets[1] == img.insn_offsets[2]
    assert UnicornExecutor(img).run(1).retval == 42


def test_dead_fall_through_becomes_a_jump():
    prog = assemble("""
        mov %r0, 1
        ja over
    back:
        mov %r0, 7
        exit
    over:
        jeq %r1, 0, back
        mov %r0, 2
        exit
    """)
    img = jit(prog, dead={5, 6})
    code = [t for _, _, t, s in img.disasm() if s == 4]
    assert code and code[0].startswith("jmp")
    assert UnicornExecutor(img).run(0).retval == 7


def test_may_goto_zero_has_no_code_and_no_counter():
    prog = list(assemble("mov %r0, 0\nja +0\nexit"))
    prog[1] = Insn(op.JMP | op.JCOND, 0, op.MAY_GOTO, 0, 0)
    img = jit(prog)
    assert img.funcs[0].may_goto_slot is None
    assert img.insn_offsets[1] == img.insn_offsets[2]
    assert UnicornExecutor(img).run().retval == 0


def _vs_kernel():
    """tests/jit/test_vs_kernel.py (its load_entry turns corpus entries into objects)."""
    import importlib.util
    spec = importlib.util.spec_from_file_location("_jit_vs_kernel",
                                                  Path(__file__).with_name("test_vs_kernel.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


RUNNABLE = [e for e in corpus_mod.iter_corpus() if e.runnable]


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory, clang22):
    return tmp_path_factory.mktemp("dead_corpus")


@pytest.mark.parametrize("entry", RUNNABLE, ids=[e.name for e in RUNNABLE])
def test_corpus_runs_without_dead_code(corpus_dir, entry):
    from pipeline.api import _object, func_specs
    from pipeline.execute import execute
    from pipeline.prog_load import build_input
    from pipeline.testrun import TestRun
    load_entry = _vs_kernel().load_entry
    from verifier import verify

    obj_path = corpus_mod.build(entry, corpus_dir)
    obj, prog = load_entry(entry, obj_path)
    obj = _object(obj)
    p = obj.program(prog.name)
    run = TestRun(obj, p, entry.data, None)
    verdict = verify(build_input(obj, p, data_values=run.initial), 0)
    if not verdict.accepted:
        pytest.skip(f"our verifier: {verdict.error_line}")
    linked = obj.linked(p, None)
    insns = list(linked.insns)
    assert len(verdict.seen_insns) == len(insns)
    image = jit(insns, func_specs(p, verdict), seen=verdict.seen_insns)
    assert image.size <= jit(insns, func_specs(p, verdict)).size
    out = execute(obj, p, linked, image=image, verdict=verdict, run=run)
    assert out.retval == entry.retval & 0xFFFFFFFF
