"""kfunc calls in the verifier: argument checks wherever an argument travels
(R1-R5 or a stack-argument slot), reference tracking, dynptrs, iterators,
timers, constant strings, and the kfunc-call stack-argument rules.

Programs are written in the bpf_conformance assembly syntax (``isa.asm``:
``stxdw [%r11-8], %r1`` is ``*(u64 *)(r11 - 8) = r1``, ``call runtime N``
is a kfunc call with BTF id N).  The kernel side is either the mock kernel
(``pipeline.kernel.registry()``: the bpf_testmod stack-argument kfuncs,
dynptrs, iterators, acquire/release) or a small extra kernel compiled from
``tests/data/kfunc_kernel/test_kernel.c`` for the argument classes the
mock kernel's kfuncs do not have (``__k``, ``__szk``, ``__nullable``, a
by-value struct in a register, a release through a slot...).

Expected messages are the kernel's (kernel/bpf/verifier.c check_kfunc_args
and friends, with arguments named ``R1``..``R5`` / ``*(R11-8k)`` as the
stack-argument series does, shared/reference/stack_arg_abi.md §2.1), never
our own output.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import isa.asm
from isa import opcodes as op
from isa.uapi import PROG_FLAGS
from verifier import MapDesc, VerifierInput, verify

HERE = Path(__file__).resolve().parent
TEST_KERNEL = HERE.parent / "data" / "kfunc_kernel" / "test_kernel.c"

TEST_KERNEL_FLAGS = {
    "tk_acquire": frozenset({"KF_ACQUIRE", "KF_RET_NULL"}),
    "tk_release": frozenset({"KF_RELEASE"}),
    "tk_release_slot": frozenset({"KF_RELEASE"}),
    "tk_sleepable": frozenset({"KF_SLEEPABLE"}),
}
for _n in ("tk_const", "tk_const_slot", "tk_mem_szk", "tk_nullable", "tk_pair_ptr",
           "tk_by_value", "tk_obj_slot", "tk_ctx", "tk_twelve"):
    TEST_KERNEL_FLAGS[_n] = frozenset()


@pytest.fixture(scope="module")
def mock():
    from pipeline.kernel import registry
    return registry()


@pytest.fixture(scope="module")
def tk(tmp_path_factory):
    """The extra test kernel: KernelBtf with flags."""
    from btf.kernel import load_kernel_btf
    from toolchain.driver import CompileOptions, compile_c
    out = tmp_path_factory.mktemp("kfunc_kernel") / "test_kernel.o"
    compile_c(TEST_KERNEL, out, CompileOptions())
    return load_kernel_btf(out, TEST_KERNEL_FLAGS)


def _ids(kernel) -> dict[str, int]:
    from btf import layout as L
    return {t.name: t.id for t in kernel.btf.types if t.kind == L.FUNC}


def run(asm: str, kernel, *, prog_type: str = "sched_cls", maps=(), map_refs=None,
        prog_types=None, license: str = "GPL", log_level: int = 1, **opts):
    """Verify ``asm`` (``{name}`` = the kfunc's BTF id in ``kernel``).

    ``map_refs``: {lddw insn index: (map index, value offset or None for the map itself)}."""
    text = asm.format(**_ids(kernel)) if kernel is not None else asm
    insns = isa.asm.assemble(text)
    for i, (m, off) in (map_refs or {}).items():
        a, b = insns[i], insns[i + 1]
        if off is None:
            insns[i] = isa.Insn(a.code, a.dst, op.PSEUDO_MAP_IDX, 0, m)
        else:
            insns[i] = isa.Insn(a.code, a.dst, op.PSEUDO_MAP_IDX_VALUE, 0, m)
            insns[i + 1] = isa.Insn(b.code, 0, 0, 0, off)
    if kernel is not None:
        opts["kernel_btf"] = kernel
        if prog_types is not None:
            opts["kfunc_prog_types"] = prog_types
    inp = VerifierInput(insns, prog_type=prog_type, maps=list(maps), license=license, **opts)
    v = verify(inp, log_level)
    assert v.internal_error is None, v.internal_error
    return v


def rejected(v, msg: str) -> bool:
    return not v.accepted and v.error_line == msg


def in_log(v, line: str) -> bool:
    return line in v.log.splitlines()


# stack-argument stores of the scalars 6..N into slots 1..N-5
def slots(*values) -> str:
    return "\n".join(f"stdw [%r11-{8 * k}], {v}" for k, v in enumerate(values, 1))


ARGS5 = "mov %r1, 1\nmov %r2, 2\nmov %r3, 3\nmov %r4, 4\nmov %r5, 5\n"


# ---- kfunc resolution -------------------------------------------------------------------------

def test_no_kernel_btf():
    v = run("call runtime 5\nmov %r0, 0\nexit", None)
    assert rejected(v, "calling kernel function is not supported without CONFIG_DEBUG_INFO_BTF")


def test_not_a_function(tk):
    v = run("call runtime 99999\nmov %r0, 0\nexit", tk)
    assert rejected(v, "kernel btf_id 99999 is not a function")


def test_not_registered_for_the_program_type(mock):
    # bpf_testmod_check_kfunc_ids is registered for tc, tracing, syscall, struct_ops
    asm = ARGS5 + slots(6, 7, 8, 9, 10) + "\ncall runtime {bpf_kfunc_call_stack_arg}\nexit"
    ok = run(asm, mock.kernel, prog_types=mock.kfunc_prog_types())
    assert ok.accepted, ok.log
    v = run(asm, mock.kernel, prog_type="socket_filter", prog_types=mock.kfunc_prog_types())
    assert rejected(v, "calling kernel function bpf_kfunc_call_stack_arg is not allowed")


def test_sleepable_kfunc_in_non_sleepable_program(tk):
    v = run("call runtime {tk_sleepable}\nexit", tk)
    assert rejected(v, "program must be sleepable to call sleepable kfunc tk_sleepable")


def test_jit_required(tk):
    from verifier import VerifierInput as VI
    insns = isa.asm.assemble("call runtime {tk_sleepable}\nexit".format(**_ids(tk)))
    v = verify(VI(insns, prog_type="sched_cls", jit_requested=False,
                  kernel_btf=tk))
    assert rejected(v, "JIT is required for calling kernel function")


# ---- scalars and constants ----------------------------------------------------------------------

def test_scalar_arg_in_register_and_slot(tk):
    v = run("mov %r1, %r10\nmov %r2, 1\ncall runtime {tk_const}\nexit", tk)
    assert rejected(v, "R1 is not a scalar")
    v = run(ARGS5 + "stxdw [%r11-8], %r10\ncall runtime {tk_const_slot}\nexit", tk)
    assert rejected(v, "*(R11-8) is not a scalar")


def test_k_constant_in_register(tk):
    assert run("mov %r1, 1\nmov %r2, 5\ncall runtime {tk_const}\nexit", tk).accepted
    v = run("ldxw %r2, [%r1+0]\nmov %r1, 1\ncall runtime {tk_const}\nexit", tk)
    assert rejected(v, "R2 must be a known constant")


def test_k_constant_in_slot(tk):
    assert run(ARGS5 + "stdw [%r11-8], 7\ncall runtime {tk_const_slot}\nexit", tk).accepted
    v = run("ldxw %r6, [%r1+0]\n" + ARGS5 + "stxdw [%r11-8], %r6\ncall runtime {tk_const_slot}\n"
            "exit", tk)
    assert rejected(v, "*(R11-8) must be a known constant")


def test_twelve_arguments_need_all_seven_slots(tk):
    asm = ARGS5 + slots(6, 7, 8, 9, 10, 11, 12) + "\ncall runtime {tk_twelve}\nexit"
    v = run(asm, tk)
    assert v.accepted, v.log
    model = next(iter(v.kfunc_calls.values()))
    assert model["name"] == "tk_twelve" and model["stack_arg_cnt"] == 7
    assert model["arg_slots"][5] == ["*(R11-8)"] and model["arg_slots"][11] == ["*(R11-56)"]
    v = run(ARGS5 + slots(6, 7, 8, 9, 10, 11) + "\ncall runtime {tk_twelve}\nexit", tk)
    assert rejected(v, "callee expects 12 args, stack arg7 is not initialized")


def test_kfunc_call_needs_fewer_slots_than_written(tk):
    v = run(ARGS5 + slots(6, 0, 0) + "\ncall runtime {tk_const_slot}\nexit", tk)
    assert rejected(v, "func#0 writes 3 stack arg slots, but calls only require 1")


# ---- pointers -----------------------------------------------------------------------------------

PAIR = "mov %r6, 0\nstxdw [%r10-8], %r6\nmov %r1, %r10\nadd %r1, -8\n"


def test_trusted_pointer_must_not_be_null(tk):
    assert run(PAIR + "call runtime {tk_pair_ptr}\nexit", tk).accepted
    v = run("mov %r1, 0\ncall runtime {tk_pair_ptr}\nexit", tk)
    assert rejected(v, "Possibly NULL pointer passed to trusted arg0")


def test_nullable_pointer(tk):
    assert run("mov %r1, 0\ncall runtime {tk_nullable}\nexit", tk).accepted
    assert run(PAIR + "call runtime {tk_nullable}\nexit", tk).accepted


def test_pointer_to_struct_with_pointers_is_not_memory(tk):
    # tk_obj has a pointer member: a stack buffer cannot stand for it
    v = run("mov %r6, 0\nstxdw [%r10-16], %r6\nstxdw [%r10-8], %r6\nmov %r1, %r10\n"
            "add %r1, -16\ncall runtime {tk_release}\nexit", tk)
    assert rejected(v, "arg#0 pointer type STRUCT tk_obj must point to scalar, or struct with "
                       "scalar")


def test_struct_by_value_in_a_register(tk):
    v = run("mov %r1, 1\nmov %r2, 2\ncall runtime {tk_by_value}\nexit", tk)
    assert rejected(v, "Unrecognized R1 type STRUCT")


def test_ctx_argument(tk):
    assert run("call runtime {tk_ctx}\nexit", tk).accepted
    v = run("mov %r1, %r10\nadd %r1, -8\ncall runtime {tk_ctx}\nexit", tk)
    assert rejected(v, "arg#0 expected pointer to ctx, but got fp")
    v = run("add %r1, 8\ncall runtime {tk_ctx}\nexit", tk)
    assert rejected(v, "dereference of modified ctx ptr R1 off=8 disallowed")


def test_mem_and_constant_size(tk):
    assert run(PAIR + "mov %r2, 8\ncall runtime {tk_mem_szk}\nexit", tk).accepted
    v = run("ldxw %r7, [%r1+0]\n" + PAIR + "mov %r2, %r7\ncall runtime {tk_mem_szk}\nexit", tk)
    assert rejected(v, "arg#0 arg#1 memory, len pair leads to invalid memory access")
    assert in_log(v, "R2 unbounded memory access, use 'var &= const' or 'if (var < const)'")
    v = run("ldxw %r2, [%r1+0]\nand %r2, 7\n" + PAIR + "call runtime {tk_mem_szk}\nexit", tk)
    assert rejected(v, "R2 must be a known constant")
    v = run(PAIR + "mov %r2, 16\ncall runtime {tk_mem_szk}\nexit", tk)
    assert rejected(v, "arg#0 arg#1 memory, len pair leads to invalid memory access")


def test_mem_size_in_slot_negative(mock):
    # bpf_kfunc_call_stack_arg_mem(a..e, mem (slot 1), mem__sz (slot 2))
    asm = (PAIR + "stxdw [%r11-8], %r1\nmov %r6, -1\nstxdw [%r11-16], %r6\n" + ARGS5
           + "call runtime {bpf_kfunc_call_stack_arg_mem}\nexit")
    v = run(asm, mock.kernel)
    assert rejected(v, "arg#5 arg#6 memory, len pair leads to invalid memory access")
    assert in_log(v, "*(R11-16) min value is negative, either use unsigned or 'var &= const'")


# ---- references ---------------------------------------------------------------------------------

ACQUIRE = "call runtime {tk_acquire}\njne %r0, 0, +1\nexit\nmov %r6, %r0\n"


def test_acquired_pointer_must_be_null_checked(tk):
    v = run("call runtime {tk_acquire}\nldxw %r1, [%r0+0]\nmov %r0, 0\nexit", tk)
    assert rejected(v, "R0 invalid mem access 'ptr_or_null_'")


def test_acquire_release(tk):
    v = run(ACQUIRE + "ldxw %r7, [%r6+4]\nmov %r1, %r6\ncall runtime {tk_release}\n"
            "mov %r0, %r7\nexit", tk)
    assert v.accepted, v.log


def test_unreleased_reference(tk):
    v = run(ACQUIRE + "mov %r0, 0\nexit", tk)
    assert rejected(v, "BPF_EXIT instruction in main prog would lead to reference leak")
    assert in_log(v, "Unreleased reference id=2 alloc_insn=0")


def test_release_kills_every_copy(tk):
    # a register copy survives as an unknown scalar (privileged load)
    v = run(ACQUIRE + "mov %r1, %r6\ncall runtime {tk_release}\nldxw %r0, [%r6+0]\nexit", tk)
    assert rejected(v, "R6 invalid mem access 'scalar'")


def test_release_twice(tk):
    v = run(ACQUIRE + "mov %r1, %r6\ncall runtime {tk_release}\nmov %r1, %r6\n"
            "call runtime {tk_release}\nmov %r0, 0\nexit", tk)
    # the first release turned r6 into a scalar: no longer an object pointer
    assert rejected(v, "arg#0 pointer type STRUCT tk_obj must point to scalar, or struct with "
                       "scalar")


def test_release_needs_a_reference(tk):
    # a pointer loaded from an object is neither referenced nor trusted
    v = run(ACQUIRE + "ldxdw %r1, [%r6+8]\ncall runtime {tk_release}\nmov %r0, 0\nexit", tk)
    assert rejected(v, "R1 must be referenced or trusted")


def test_release_through_a_stack_slot(tk):
    asm = ACQUIRE + "stxdw [%r11-8], %r6\n" + ARGS5 + "call runtime {tk_release_slot}\n"
    assert run(asm + "mov %r0, 0\nexit", tk).accepted
    v = run(asm + "ldxw %r0, [%r6+0]\nexit", tk)
    assert rejected(v, "R6 invalid mem access 'scalar'")


def test_btf_id_in_slot_must_be_trusted(tk):
    ok = ACQUIRE + "stxdw [%r11-8], %r6\n" + ARGS5 + ("call runtime {tk_obj_slot}\n"
                                                      "mov %r1, %r6\ncall runtime {tk_release}\n"
                                                      "mov %r0, 0\nexit")
    assert run(ok, tk).accepted
    # obj->next is an untrusted pointer
    bad = (ACQUIRE + "ldxdw %r7, [%r6+8]\nstxdw [%r11-8], %r7\n" + ARGS5
           + "call runtime {tk_obj_slot}\nmov %r1, %r6\ncall runtime {tk_release}\n"
             "mov %r0, 0\nexit")
    v = run(bad, tk)
    assert rejected(v, "*(R11-8) must be referenced or trusted")


def test_kernel_object_reads(tk):
    v = run(ACQUIRE + "stw [%r6+0], 1\nmov %r1, %r6\ncall runtime {tk_release}\nexit", tk)
    assert rejected(v, "only read is supported")
    v = run(ACQUIRE + "ldxw %r0, [%r6+16]\nmov %r1, %r6\ncall runtime {tk_release}\nexit", tk)
    assert rejected(v, "access beyond struct tk_obj at off 16 size 4")


# ---- dynptrs ------------------------------------------------------------------------------------

DYNPTR = ("mov %r6, %r1\nmov %r2, 0\nmov %r3, %r10\nadd %r3, -16\n"
          "call runtime {bpf_dynptr_from_skb}\n")


def test_dynptr_from_skb_then_size(mock):
    v = run(DYNPTR + "mov %r1, %r10\nadd %r1, -16\ncall runtime {bpf_dynptr_size}\nexit",
            mock.kernel)
    assert v.accepted, v.log


def test_dynptr_must_be_initialized(mock):
    v = run("mov %r1, %r10\nadd %r1, -16\ncall runtime {bpf_dynptr_size}\nexit", mock.kernel)
    assert rejected(v, "Expected an initialized dynptr as arg #0")


def test_dynptr_at_an_odd_offset(mock):
    v = run("mov %r2, 0\nmov %r3, %r10\nadd %r3, -20\ncall runtime {bpf_dynptr_from_skb}\nexit",
            mock.kernel)
    assert rejected(v, "Dynptr has to be an uninitialized dynptr")


def test_dynptr_in_a_stack_slot(mock):
    ok = DYNPTR + "mov %r1, %r10\nadd %r1, -16\nstxdw [%r11-40], %r1\n" + ARGS5 + \
        slots(6, 7, 8, 9) + "\ncall runtime {bpf_kfunc_call_stack_arg_dynptr}\nexit"
    assert run(ok, mock.kernel).accepted
    bad = "mov %r1, %r10\nadd %r1, -16\nstxdw [%r11-40], %r1\n" + ARGS5 + \
        slots(6, 7, 8, 9) + "\ncall runtime {bpf_kfunc_call_stack_arg_dynptr}\nexit"
    assert rejected(run(bad, mock.kernel), "Expected an initialized dynptr as arg #9")


def test_dynptr_overwritten_by_a_store(mock):
    v = run(DYNPTR + "stdw [%r10-16], 0\nmov %r1, %r10\nadd %r1, -16\n"
            "call runtime {bpf_dynptr_size}\nexit", mock.kernel)
    assert rejected(v, "Expected an initialized dynptr as arg #0")


# ---- iterators ----------------------------------------------------------------------------------

SEQ_NEW = ("mov %r1, %r10\nadd %r1, -16\nmov %r2, 100\nmov %r3, 10\n"
           "call runtime {bpf_iter_testmod_seq_new}\n")
SEQ_DESTROY = "mov %r1, %r10\nadd %r1, -16\ncall runtime {bpf_iter_testmod_seq_destroy}\n"


def test_iterator_new_destroy(mock):
    assert run(SEQ_NEW + SEQ_DESTROY + "mov %r0, 0\nexit", mock.kernel).accepted


def test_iterator_not_destroyed(mock):
    v = run(SEQ_NEW + "mov %r0, 0\nexit", mock.kernel)
    assert rejected(v, "BPF_EXIT instruction in main prog would lead to reference leak")
    assert in_log(v, "Unreleased reference id=1 alloc_insn=4")


def test_iterator_destroyed_twice(mock):
    v = run(SEQ_NEW + SEQ_DESTROY + SEQ_DESTROY + "mov %r0, 0\nexit", mock.kernel)
    assert rejected(v, "expected an initialized iter_testmod_seq as arg #0")


def test_iterator_created_twice(mock):
    v = run(SEQ_NEW + SEQ_NEW + SEQ_DESTROY + "mov %r0, 0\nexit", mock.kernel)
    assert rejected(v, "expected uninitialized iter_testmod_seq as arg #0")


def test_iterator_in_a_stack_slot(mock):
    use = ("mov %r1, %r10\nadd %r1, -16\nstxdw [%r11-40], %r1\n" + ARGS5 + slots(6, 7, 8, 9)
           + "\ncall runtime {bpf_kfunc_call_stack_arg_iter}\n")
    assert run(SEQ_NEW + use + SEQ_DESTROY + "mov %r0, 0\nexit", mock.kernel).accepted
    v = run(use + "exit", mock.kernel)
    assert rejected(v, "expected an initialized iter_testmod_seq as arg #9")


def test_iterator_loop_converges(mock):
    # bpf_iter_num_new(&it, 0, 10); while ((v = next(&it))) sum += *v; destroy
    asm = ("mov %r6, 0\nmov %r1, %r10\nadd %r1, -8\nmov %r2, 0\nmov %r3, 10\n"
           "call runtime {bpf_iter_num_new}\n"
           "loop:\nmov %r1, %r10\nadd %r1, -8\ncall runtime {bpf_iter_num_next}\n"
           "jeq %r0, 0, done\nldxw %r1, [%r0+0]\nadd %r6, %r1\nja loop\n"
           "done:\nmov %r1, %r10\nadd %r1, -8\ncall runtime {bpf_iter_num_destroy}\n"
           "mov %r0, %r6\nexit")
    v = run(asm, mock.kernel)
    assert v.accepted, v.log
    assert v.processed_insns < 200


def test_iterator_next_result_is_read_only(mock):
    asm = ("mov %r1, %r10\nadd %r1, -8\nmov %r2, 0\nmov %r3, 10\n"
           "call runtime {bpf_iter_num_new}\n"
           "mov %r1, %r10\nadd %r1, -8\ncall runtime {bpf_iter_num_next}\n"
           "jeq %r0, 0, +1\nstw [%r0+0], 1\n"
           "mov %r1, %r10\nadd %r1, -8\ncall runtime {bpf_iter_num_destroy}\nmov %r0, 0\nexit")
    v = run(asm, mock.kernel)
    assert rejected(v, "R0 cannot write into rdonly_mem")


# ---- timers, strings, arena ------------------------------------------------------------------

TIMER_MAP = MapDesc("timers", "array", 4, 16, 1, has_btf=True,
                    value_fields=(("bpf_timer", 0, 16),))
PLAIN_MAP = MapDesc("plain", "array", 4, 16, 1, has_btf=True)
RODATA = MapDesc(".rodata", "array", 4, 8, 1, flags=1 << 7, frozen=True,
                 initial_value=b"hello\0\0\0", kind="data")
RODATA_NO_NUL = MapDesc(".rodata", "array", 4, 4, 1, flags=1 << 7, frozen=True,
                        initial_value=b"abcd", kind="data")
DATA = MapDesc(".data", "array", 4, 8, 1, initial_value=b"hello\0\0\0", kind="data")

LOOKUP = ("mov %r1, 0\nstxw [%r10-4], %r1\nmov %r2, %r10\nadd %r2, -4\nlddw %r1, 0\n"
          "call 1\njne %r0, 0, +1\nexit\n")   # lddw at insn 4


def _timer_call(off: int) -> str:
    return (f"add %r0, {off}\nstxdw [%r11-40], %r0\n" + ARGS5 + slots(6, 7, 8, 9)
            + "\ncall runtime {bpf_kfunc_call_stack_arg_timer}\nmov %r0, 0\nexit")


def test_timer_in_a_slot(mock):
    assert run(LOOKUP + _timer_call(0), mock.kernel, maps=[TIMER_MAP],
               map_refs={4: (0, None)}).accepted
    v = run(LOOKUP + _timer_call(8), mock.kernel, maps=[TIMER_MAP], map_refs={4: (0, None)})
    assert rejected(v, "off 8 doesn't point to 'struct bpf_timer' that is at 0")
    v = run(LOOKUP + _timer_call(0), mock.kernel, maps=[PLAIN_MAP], map_refs={4: (0, None)})
    assert rejected(v, "map 'plain' has no valid bpf_timer")
    v = run("mov %r0, %r10\nadd %r0, -16\nstdw [%r10-16], 0\nstdw [%r10-8], 0\n"
            + _timer_call(0), mock.kernel)
    assert rejected(v, "arg#9 doesn't point to a map value")


def _str_call() -> str:
    return ("lddw %r6, 0\nstxdw [%r11-40], %r6\n" + ARGS5 + slots(6, 7, 8, 9)
            + "\ncall runtime {bpf_kfunc_call_stack_arg_const_str}\nexit")


def test_const_string_in_a_slot(mock):
    assert run(_str_call(), mock.kernel, maps=[RODATA], map_refs={0: (0, 0)}).accepted
    v = run(_str_call(), mock.kernel, maps=[DATA], map_refs={0: (0, 0)})
    assert rejected(v, "*(R11-40) does not point to a readonly map'")
    v = run(_str_call(), mock.kernel, maps=[RODATA_NO_NUL], map_refs={0: (0, 0)})
    assert rejected(v, "string is not zero-terminated")
    v = run(PAIR + "stxdw [%r11-40], %r1\n" + ARGS5 + slots(6, 7, 8, 9)
            + "\ncall runtime {bpf_kfunc_call_stack_arg_const_str}\nexit", mock.kernel)
    assert rejected(v, "arg#9 doesn't point to a const string")


def test_arena_pointer_in_a_slot(mock):
    # testmod_kfuncs.md §3.7 (arena_arg_stack): (u64 *)1 as the 6th argument
    v = run(ARGS5 + "stdw [%r11-8], 1\ncall runtime {bpf_kfunc_arena_stack_arg_test}\nexit",
            mock.kernel, prog_type="syscall", prog_flags=PROG_FLAGS["BPF_F_SLEEPABLE"])
    assert rejected(v, "arena pointer cannot be a stack argument")


# ---- the slots around a kfunc call -----------------------------------------------------------

def test_kfunc_call_consumes_the_slots(mock):
    asm = ARGS5 + slots(6, 7, 8, 9, 10) + "\ncall runtime {bpf_kfunc_call_stack_arg}\n" + ARGS5 \
        + "call runtime {bpf_kfunc_call_stack_arg}\nexit"
    v = run(asm, mock.kernel)
    assert rejected(v, "callee expects 10 args, stack arg1 is not initialized")


def test_argument_registers_die_at_a_kfunc_call(mock):
    asm = ARGS5 + slots(6, 7, 8, 9, 10) + "\ncall runtime {bpf_kfunc_call_stack_arg}\n" \
        "mov %r0, %r5\nexit"
    assert rejected(run(asm, mock.kernel), "R5 !read_ok")


def test_kfunc_models_in_the_verdict(mock):
    asm = (PAIR + "stxdw [%r11-8], %r1\nstdw [%r11-16], 8\n" + ARGS5
           + "call runtime {bpf_kfunc_call_stack_arg_mem}\nexit")
    v = run(asm, mock.kernel)
    assert v.accepted, v.log
    (idx, model), = v.kfunc_calls.items()
    assert isa.asm.assemble(asm.format(**_ids(mock.kernel)))[idx].src == op.PSEUDO_KFUNC_CALL
    assert model["name"] == "bpf_kfunc_call_stack_arg_mem"
    assert model["btf_id"] == mock.kfunc("bpf_kfunc_call_stack_arg_mem").btf_id
    assert model["nr_args"] == 7 and model["stack_arg_cnt"] == 2
    assert model["arg_size"] == [8, 8, 8, 8, 8, 8, 4]
    assert model["arg_slots"][5:] == [["*(R11-8)"], ["*(R11-16)"]]
    assert v.subprogs[0].out_stack_arg_cnt == 2 and v.subprogs[0].stack_arg_cnt == 0


# ---- the .ksyms extern against the kernel prototype (pipeline verify's input) ---------------

def test_extern_prototype_must_match_the_kernel(tmp_path):
    from pipeline import Error, load, verifier_input
    from toolchain.driver import CompileOptions, compile_c
    src = HERE.parent / "data" / "kernel_mock" / "mismatch.c"
    out = tmp_path / "mismatch.o"
    compile_c(src, out, CompileOptions(defines=["WRONG_PTR"]))
    obj = load(out)
    with pytest.raises(Error) as e:
        verifier_input(obj)
    assert "parameter 10 'q' differs" in e.value.message
    compile_c(src, out, CompileOptions(defines=["NARROW_INT"]))     # libbpf's loose rules
    obj = load(out)
    assert verify(verifier_input(obj)).accepted


def test_another_program_types_context(tk):
    # struct __sk_buff * is not an XDP program's context: an ordinary struct pointer, and
    # __sk_buff (pointer members) is no scalar struct
    v = run("call runtime {tk_ctx}\nexit", tk, prog_type="xdp")
    assert rejected(v, "arg#0 pointer type STRUCT __sk_buff must point to scalar, or struct with "
                       "scalar")
