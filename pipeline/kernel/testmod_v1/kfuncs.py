"""The v1 series' bpf_testmod kfuncs (shared/seed patches 08-09) as Python.

Registered, like the final ones, in ``bpf_testmod_check_kfunc_ids`` (tc, tracing, syscall,
struct_ops).  Expected results from the seed's selftests: 36 (1..8), 45 (1..5 + 10 + 20),
51 (1..5 + 10 + 6 + 20).
"""

from __future__ import annotations

from ..registry import KfuncSet
from ..state import U64, load_s32

CHECK = KfuncSet("bpf_testmod_check_kfunc_ids", module="bpf_testmod",
                 prog_types={"sched_cls", "tracing", "syscall", "struct_ops"})
KFUNC_SETS = [CHECK]

PASS1_X0, PASS1_X1 = 0, 4        # struct prog_test_pass1: int x0; struct { int x1; ... }


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg(vm, a, b, c, d, e, f, g, h):
    return (a + b + c + d + e + f + g + h) & U64


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_ptr(vm, a, b, c, d, e, p):
    return (a + b + c + d + e + load_s32(vm, p + PASS1_X0) + load_s32(vm, p + PASS1_X1)) & U64


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_mix(vm, a, b, c, d, e, p, f, q):
    return (a + b + c + d + e + load_s32(vm, p + PASS1_X0) + f
            + load_s32(vm, q + PASS1_X1)) & U64


@CHECK.kfunc()
def bpf_kfunc_call_stack_arg_big(vm, a, b, c, d, e, s_a, s_b):
    # a 16-byte struct by value: two pieces (the final design's verifier refuses the call)
    return (a + b + c + d + e + s_a + s_b) & U64
