"""Stack-argument rules of the verifier beyond the acceptance corpus.

Programs in ``tests/data/stack_arg_more/rules_more.c`` (naked asm, built
through our toolchain); each test names the rule it checks.  Expected
messages are the kernel's (shared/reference/stack_arg_abi.md §2.3,
DESIGN.md §3) or, where the kernel's text is known from its other checks,
that text (``R6 !read_ok``, ``frame pointer is read only``...).  Also here:
the instruction-shape rule on hand-assembled programs, the seed's four
verifier cases (shared/seed, v1 transposed to r11) and the per-subprogram
facts the JIT reads from the Verdict.
"""

from __future__ import annotations

import dataclasses
import functools
from pathlib import Path

import pytest

import isa
import isa.asm
from isa import opcodes as op
from verifier import VerifierInput, verify

HERE = Path(__file__).resolve().parent
DATA = HERE.parent / "data" / "stack_arg_more"


@pytest.fixture(scope="module")
def rules(tmp_path_factory):
    import pipeline
    from pipeline.kernel import INCLUDE_DIR
    out = tmp_path_factory.mktemp("stack_arg_more") / "rules_more.bpf.o"
    return pipeline.build(DATA / "rules_more.c", include=[INCLUDE_DIR], output=out)


@functools.lru_cache(maxsize=None)
def names():
    """The naked functions' parameter names, from btf__rules_more.c (the selftests'
    __btf_func_path companion): without them the kernel refuses the object's BTF."""
    import tempfile

    import pipeline
    out = Path(tempfile.mkdtemp(prefix="stack_arg_more")) / "btf__rules_more.bpf.o"
    return pipeline.build(DATA / "btf__rules_more.c", output=out).btf


def check(obj, name: str, **fields):
    import pipeline
    inp = dataclasses.replace(pipeline.verifier_input(obj, name, btf_func_path=names()),
                              **fields)
    v = verify(inp, 1)
    assert v.internal_error is None, v.internal_error
    return v


def rejected(v, msg: str) -> bool:
    return not v.accepted and v.error_line == msg


# ---- slots hold full register states: ranges, NULL checks, precision ----------------------------

def test_packet_range_reaches_a_slot(rules):
    v = check(rules, "pkt_range_reaches_slot")
    assert v.accepted, v.log


def test_unchecked_packet_pointer_in_a_slot(rules):
    v = check(rules, "pkt_unchecked_in_slot")
    assert rejected(v, "R1 offset is outside of the packet")


def test_non_null_branch_reaches_a_slot(rules):
    v = check(rules, "nonnull_branch_reaches_slot")
    assert v.accepted, v.log


def test_maybe_null_in_a_slot(rules):
    v = check(rules, "maybe_null_in_slot_unchecked")
    assert rejected(v, "R1 invalid mem access 'map_value_or_null'")


@pytest.mark.parametrize("flags", [0, 8], ids=["default", "BPF_F_TEST_STATE_FREQ"])
def test_slot_values_are_not_pruned_away(rules, flags):
    v = check(rules, "slot_size_not_pruned", prog_flags=flags)
    assert rejected(v, "arg#5 arg#6 memory, len pair leads to invalid memory access")
    v = check(rules, "slot_size_from_register", prog_flags=flags)
    assert rejected(v, "arg#5 arg#6 memory, len pair leads to invalid memory access")
    v = check(rules, "slot_size_both_fit", prog_flags=flags)
    assert v.accepted, v.log


def test_reference_in_a_slot_still_leaks(rules):
    v = check(rules, "sock_in_slot_leaks")
    assert rejected(v, "BPF_EXIT instruction in main prog would lead to reference leak")
    assert any(line.startswith("Unreleased reference id=") for line in v.log.splitlines())


# ---- slots and frames ---------------------------------------------------------------------------

def test_two_levels_and_subprog_facts(rules):
    v = check(rules, "two_levels")
    assert v.accepted, v.log
    facts = {s.name: s for s in v.subprogs}
    assert (facts["two_levels"].stack_arg_cnt, facts["two_levels"].out_stack_arg_cnt) == (0, 2)
    assert (facts["forward7"].stack_arg_cnt, facts["forward7"].out_stack_arg_cnt) == (2, 2)
    assert (facts["sum7"].stack_arg_cnt, facts["sum7"].out_stack_arg_cnt) == (2, 0)


def test_two_levels_runs(rules):
    pytest.importorskip("unicorn")
    import pipeline
    out = pipeline.run(rules, "two_levels", data=bytes(64), btf_func_path=names())
    assert out.retval == 50


def test_global_function_with_a_stack_argument(rules):
    v = check(rules, "calls_global6")
    assert v.accepted, v.log
    assert any(s.name == "global6" and s.is_global and s.stack_arg_cnt == 1 for s in v.subprogs)
    v = check(rules, "global6_gets_pointer")
    assert rejected(v, "Caller passes invalid args into func#1 ('global6')")
    assert "*(R11-8) is not a scalar" in v.log.splitlines()


def test_store_of_an_unwritten_register(rules):
    assert rejected(check(rules, "store_uninit_register"), "R6 !read_ok")


def test_load_into_the_frame_pointer(rules):
    assert rejected(check(rules, "callee_loads_into_fp"), "frame pointer is read only")


def test_callbacks_have_no_incoming_stack_arguments(rules):
    v = check(rules, "callback_reads_stack_arg")
    assert rejected(v, "invalid read from stack arg off 8 depth 0")


# ---- instruction shapes (hand-assembled; kernel: "R11 is invalid") ------------------------------

SHAPES_INVALID = [
    "add %r11, 1",                       # ALU on r11
    "mov %r0, %r11",                     # r11 as a value
    "stxw [%r11-8], %r1",                # non-DW store
    "sth [%r11-8], 1",                   # non-DW immediate store
    "stxdw [%r11-4], %r1",               # misaligned
    "stxdw [%r11+8], %r1",               # positive store offset
    "stxdw [%r11+0], %r1",               # zero offset
    "ldxdw %r0, [%r11-8]",               # negative load offset
    "ldxw %r0, [%r11+8]",                # non-DW load
    "ldxdw %r0, [%r11+4]",               # misaligned load
    "ldxsw %r0, [%r11+8]",               # sign-extending load
    "lock add [%r11-8], %r1",            # atomic
    "stxdw [%r10-8], %r11",              # r11 stored as a value
    "jeq %r11, 0, +0",                   # r11 in a jump
    "stxdw [%r11-8], %r11",              # r11 both base and value
]


@pytest.mark.parametrize("text", SHAPES_INVALID)
def test_r11_shapes(text):
    insns = isa.asm.assemble(f"mov %r0, 0\nmov %r1, 1\n{text}\nexit")
    v = verify(VerifierInput(insns, prog_type="sched_cls"))
    assert rejected(v, "R11 is invalid"), v.log


def test_r11_legal_shapes_reach_their_own_rules():
    # every legal shape in the main program hits a stack-argument rule, not the shape rule
    for text, msg in (("ldxdw %r0, [%r11+8]", "invalid read from stack arg off 8 depth 0"),
                      ("stxdw [%r11-64], %r1", "stack arg write offset -64 exceeds max 7 stack "
                                                "args"),
                      ("stdw [%r11-8], 1", "func#0 writes 1 stack arg slots, but calls only "
                                           "require 0")):
        insns = isa.asm.assemble(f"mov %r0, 0\nmov %r1, 1\n{text}\nexit")
        v = verify(VerifierInput(insns, prog_type="sched_cls"))
        assert rejected(v, msg), (text, v.log)


def test_no_jit_no_stack_arguments(rules):
    import pipeline
    inp = pipeline.verifier_input(rules, "two_levels", btf_func_path=names())
    inp.jit_requested = False
    v = verify(inp)
    assert rejected(v, "stack args are not supported in non-JITed programs")


# ---- the seed's four verifier cases (v1 patch 10/10), transposed to r11 -------------------------

def test_seed_cases_are_in_the_corpus():
    """shared/seed v1 10/10 verifier_stack_arg.c: stack_arg_6args (21),
    stack_arg_two_subprogs (90), stack_arg_gap_at_minus8 (now
    'callee expects 7 args, stack arg1 is not initialized'), and the 4-byte
    store (now 'R11 is invalid'); the corpus has all four and
    test_stack_arg_corpus.py checks them."""
    import importlib.util
    import sys
    key = "_stackargs_tests_stack_arg_cases"
    if key not in sys.modules:
        spec = importlib.util.spec_from_file_location(key, HERE / "stack_arg_cases.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[key] = mod
        spec.loader.exec_module(mod)
    by = sys.modules[key].BY_PROG
    assert by["six_args_one_slot"].retval == 21
    assert by["six_then_seven"].retval == 90
    assert by["slot1_gap"].msg == "callee expects 7 args, stack arg1 is not initialized"
    assert by["r11_st_imm_word"].msg == by["r11_stx_word"].msg == "R11 is invalid"


def test_seed_four_byte_store_of_v1():
    # v1: "*(u32 *)(r12 - 4) = 30" before a 6-argument call -> 'R11 is invalid' now
    insns = isa.asm.assemble("mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\n"
                             "stw [%r11-4], 30\nmov %r0, 0\nexit")
    assert rejected(verify(VerifierInput(insns, prog_type="sched_cls")), "R11 is invalid")


def test_ld_imm64_into_r11_is_invalid():
    insns = [*isa.ld_imm64(11, 5), isa.Insn(op.EXIT_OP)]
    assert rejected(verify(VerifierInput(insns, prog_type="sched_cls")), "R11 is invalid")
