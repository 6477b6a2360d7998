"""The stack-argument acceptance corpus (project issue 6): one row per case.

Programs live in ``tests/data/stack_arg/`` (see its README.md).  Each case is
one program of one file with what the kernel says about it, taken from the
kernel selftests' own expectations (``__msg``/``__retval`` annotations and
``prog_tests/stack_arg.c``, quoted in shared/reference/stack_arg_abi.md §2-3
and testmod_kfuncs.md §3), from DESIGN.md §3 where no selftest covers a rule,
or from the v1 review thread (shared/seed/) for the four regression cases —
never from our own output.

Fields that describe the *object* rather than the verdict:

- ``r11``: for each function of the linked program that touches r11, the
  r11 instructions it must contain, as llvm-objdump-22 prints them (without
  a trailing ``<label>``).  Hand-written asm is compared exactly and in
  order.  For code our toolchain generates the registers are the compiler's
  choice: ``rX`` stands for any register and the comparison ignores order.
  A linked function not listed must not touch r11 at all.
- ``needs``: what verifying or running the case requires besides the
  stack-argument rules: ``helper:NAME``, ``kfunc:NAME``, ``map:KIND``,
  ``ctx``, ``timer-callback``, ``arg:ctx`` (a global function's decl tag),
  ``rodata``.

Run modes: a case is run by the reference interpreter (pipeline/interp.py)
when it is accepted and calls no kfunc and no timer callback
(:func:`interp_cases`); accepted cases with kfuncs run with the mock kernel's
kfuncs (:func:`mock_kernel_cases`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

ACCEPT = "accept"
REJECT = "reject"

SOCKET = "socket_filter"   # SEC("socket")
TC = "sched_cls"           # SEC("tc")

# the kernel's BPF_F_* load flags used here (include/uapi/linux/bpf.h)
PROG_FLAGS = {"BPF_F_TEST_STATE_FREQ": 8}

# BPF_PROG_TEST_RUN input: prog_tests/stack_arg.c uses pkt_v4 (54 bytes),
# the RUN_TESTS loader 64 zero bytes
PKT_V4 = "pkt_v4"
ZERO64 = "zero64"
PACKET_LEN = {PKT_V4: 54, ZERO64: 64}


@dataclass(frozen=True)
class SourceFile:
    name: str                  # file in tests/data/stack_arg/
    build: str                 # "clang": clang-22 directly; "toolchain": toolchain.driver.compile_c
    about: str
    companion: str | None = None   # btf__*.c: parameter names for the naked callees
    selftest: str | None = None    # the kernel selftest it transposes


SELFTESTS = "tools/testing/selftests/bpf/progs/"

FILES = {f.name: f for f in [
    SourceFile("bpf2bpf_calls.c", "toolchain", "BPF-to-BPF calls in plain C",
               selftest=SELFTESTS + "stack_arg.c"),
    SourceFile("kfunc_calls.c", "toolchain", "kfunc calls in plain C",
               selftest=SELFTESTS + "stack_arg_kfunc.c"),
    SourceFile("r11_shapes.c", "clang", "illegal uses of r11",
               selftest=SELFTESTS + "stack_arg_fail.c"),
    SourceFile("kfunc_by_value.c", "toolchain", "16-byte struct by value in a stack position",
               selftest=SELFTESTS + "stack_arg_fail.c"),
    SourceFile("bpf2bpf_rules.c", "clang", "verifier rules for BPF-to-BPF stack arguments",
               companion="btf__bpf2bpf_rules.c", selftest=SELFTESTS + "verifier_stack_arg.c"),
    SourceFile("load_order.c", "clang", "incoming loads before stores and calls",
               companion="btf__load_order.c", selftest=SELFTESTS + "verifier_stack_arg_order.c"),
    SourceFile("precision.c", "toolchain", "precision of mem__sz through a stack argument",
               companion="btf__precision.c", selftest=SELFTESTS + "stack_arg_precision.c"),
    SourceFile("review_bpf2bpf.c", "clang", "review bugs (a) and (c)",
               companion="btf__review_bpf2bpf.c"),
    SourceFile("review_kfunc.c", "toolchain", "review bugs (b) and (d)",
               companion="btf__review_kfunc.c"),
    SourceFile("review_kfunc_split.c", "toolchain", "review bug (d): mem in r5, size in slot 1"),
]}

# companions are built through the toolchain too (definitions with > 5 arguments)
COMPANIONS = tuple(f.companion for f in FILES.values() if f.companion)


@dataclass(frozen=True)
class Case:
    prog: str                  # program (function) name; unique across the corpus, the case id
    file: str                  # key of FILES
    prog_type: str
    verdict: str               # ACCEPT | REJECT
    source: str                # selftest file + case, "review bug (x)", or "DESIGN.md §3"
    r11: Mapping[str, tuple[str, ...]]
    msg: str | None = None     # REJECT: the kernel's message, selftest __msg syntax ({{regex}});
                               # None = the kernel's text is not documented: verdict only
    retval: int | None = None  # ACCEPT: BPF_PROG_TEST_RUN's retval
    test_run: str = ZERO64     # the test-run input the retval was documented for
    globals_after: Mapping[str, int] = field(default_factory=dict)
    log_level: int = 1
    flags: tuple[str, ...] = ()
    log_msgs: tuple[str, ...] = ()   # kernel-internal log lines (stretch): in order, before msg
    needs: tuple[str, ...] = ()
    notes: str = ""

    @property
    def source_file(self) -> SourceFile:
        return FILES[self.file]

    @property
    def companion(self) -> str | None:
        return self.source_file.companion

    @property
    def kfuncs(self) -> tuple[str, ...]:
        return tuple(n.split(":", 1)[1] for n in self.needs if n.startswith("kfunc:"))

    @property
    def prog_flags(self) -> int:
        v = 0
        for f in self.flags:
            v |= PROG_FLAGS[f]
        return v

    @property
    def exact_r11(self) -> bool:
        """Hand-written r11 code (compared exactly, in order)."""
        return not any("rX" in i for insns in self.r11.values() for i in insns)


# ---- r11 instruction text (llvm-objdump-22 syntax) ---------------------------------------

ANY = "X"   # any register: "rX"


def st(k: int, imm: int) -> str:
    """ST|MEM|DW into outgoing slot k."""
    return f"*(u64 *)(r11 - {8 * k:#x}) = {imm:#x}"


def stx(k: int, reg: int | str) -> str:
    """STX|MEM|DW of a register into outgoing slot k."""
    return f"*(u64 *)(r11 - {8 * k:#x}) = r{reg}"


def ldx(reg: int | str, k: int) -> str:
    """LDX|MEM|DW of incoming slot k."""
    return f"r{reg} = *(u64 *)(r11 + {8 * k:#x})"


def stores(*slots: int) -> tuple[str, ...]:
    """Compiler-generated stores of these slots (any source register)."""
    return tuple(stx(k, ANY) for k in slots)


def loads(*slots: int) -> tuple[str, ...]:
    """Compiler-generated loads of these incoming slots (any destination)."""
    return tuple(ldx(ANY, k) for k in slots)


def _r11(**funcs: tuple[str, ...]) -> Mapping[str, tuple[str, ...]]:
    return MappingProxyType(funcs)


ST_VS = SELFTESTS + "verifier_stack_arg.c"
ST_ORDER = SELFTESTS + "verifier_stack_arg_order.c"
ST_FAIL = SELFTESTS + "stack_arg_fail.c"
ST_BPF2BPF = SELFTESTS + "stack_arg.c"
ST_KFUNC = SELFTESTS + "stack_arg_kfunc.c"
ST_PREC = SELFTESTS + "stack_arg_precision.c"

UNINIT6 = "callee expects 6 args, stack arg1 is not initialized"
UNINIT7 = "callee expects 7 args, stack arg1 is not initialized"
R11_INVALID = "R11 is invalid"
BAD_ORDER = "r11 load must be before any r11 store or call insn"
SCALAR_DEREF = "R{{[0-9]}} invalid mem access 'scalar'"

# callees of bpf2bpf_rules.c / review_*.c, exactly as written
ADD_SIX = (ldx(0, 1),)
ADD_SEVEN = (ldx(0, 1), ldx(6, 2))
LOAD_THROUGH_SIXTH = (ldx(1, 1),)
SOCK_ARG6 = (ldx(1, 1),)

PRANDOM = "helper:bpf_get_prandom_u32"
MIX = "kfunc:bpf_kfunc_call_stack_arg_mix"
MEM = "kfunc:bpf_kfunc_call_stack_arg_mem"
SK_LOOKUP = ("helper:bpf_sk_lookup_tcp", "helper:bpf_sk_release")


CASES: tuple[Case, ...] = (
    # ---------------------------------------------------------------- stack_arg.c (§3.1)
    Case("ten_ints_via_global", "bpf2bpf_calls.c", TC, ACCEPT,
         f"{ST_BPF2BPF}: test_global_many_args", retval=55, test_run=PKT_V4,
         r11=_r11(spread_three=stores(1, 2, 3, 4, 5), add_ten=loads(1, 2, 3, 4, 5)),
         notes="a global function calls a static 10-int-arg function"),
    Case("stack_struct_ptr_arg", "bpf2bpf_calls.c", TC, ACCEPT,
         f"{ST_BPF2BPF}: test_bpf2bpf_ptr_stack_arg", retval=75, test_run=PKT_V4,
         r11=_r11(pair_in_slot_five=stores(1, 2, 3, 4, 5),
                  nine_and_pair=loads(1, 2, 3, 4, 5)),
         notes="pointer to the caller's stack struct in slot 5"),
    Case("interleaved_ptr_args", "bpf2bpf_calls.c", TC, ACCEPT,
         f"{ST_BPF2BPF}: test_bpf2bpf_mix_stack_args", retval=66, test_run=PKT_V4,
         r11=_r11(two_pairs_interleaved=stores(1, 2, 3, 4, 5),
                  ptr_scalar_ptr=loads(1, 2, 3, 4, 5)),
         notes="pointers in slots 3 and 5, a scalar in slot 4"),
    Case("nested_stack_args", "bpf2bpf_calls.c", TC, ACCEPT,
         f"{ST_BPF2BPF}: test_bpf2bpf_nesting_stack_arg", retval=84, test_run=PKT_V4,
         r11=_r11(nest_two_levels=stores(1, 2, 3, 4, 5),
                  outer_bump=loads(1, 2, 3, 4, 5) + stores(1, 2, 3, 4, 5),
                  inner_sum=loads(1, 2, 3, 4, 5)),
         notes="a callee with incoming stack args makes its own stack-arg call "
               "(incoming loads first)"),
    Case("dynptr_stack_arg", "bpf2bpf_calls.c", TC, ACCEPT,
         f"{ST_BPF2BPF}: test_bpf2bpf_dynptr_stack_arg", retval=99, test_run=PKT_V4,
         r11=_r11(skb_dynptr_in_slot=stores(1, 2, 3, 4, 5),
                  nine_and_dynptr=loads(1, 2, 3, 4, 5)),
         needs=("kfunc:bpf_dynptr_from_skb", "kfunc:bpf_dynptr_size", "arg:ctx", "ctx"),
         notes="45 + bpf_dynptr_size = 45 + 54 (pkt_v4); the dynptr lives on the global "
               "function's stack and travels in slot 5"),
    Case("ten_and_twelve_args", "bpf2bpf_calls.c", TC, ACCEPT,
         f"{ST_BPF2BPF}: test_two_callees", retval=133, test_run=PKT_V4,
         r11=_r11(call_ten_then_twelve=stores(1, 2, 3, 4, 5) + stores(1, 2, 3, 4, 5, 6, 7),
                  ten_args=loads(1, 2, 3, 4, 5), twelve_args=loads(1, 2, 3, 4, 5, 6, 7)),
         notes="55 + 78; all 7 slots; slots re-stored before the second call"),
    Case("timer_cb_many_args", "bpf2bpf_calls.c", TC, ACCEPT,
         f"{ST_BPF2BPF}: test_async_cb_many_args", retval=0, test_run=PKT_V4,
         globals_after={"timer_sum": 550},
         r11=_r11(fire_many_args=stores(1, 2, 3, 4, 5), add_ten=loads(1, 2, 3, 4, 5)),
         needs=("helper:bpf_map_lookup_elem", "helper:bpf_timer_init",
                "helper:bpf_timer_set_callback", "helper:bpf_timer_start", "map:array",
                "timer-callback", "rodata"),
         notes="the callback runs after the program (the selftest waits 50 us) and stores "
               "10 * 55 in timer_sum; the pipeline runs it (timers fire after the run), "
               "tests/runtime/test_timers.py on both engines"),

    # ---------------------------------------------------------------- stack_arg_kfunc.c (§3.2)
    Case("kf_ten_scalars", "kfunc_calls.c", TC, ACCEPT, f"{ST_KFUNC}: test_stack_arg_scalar",
         retval=55, test_run=PKT_V4, r11=_r11(kf_ten_scalars=stores(1, 2, 3, 4, 5)),
         needs=("kfunc:bpf_kfunc_call_stack_arg",)),
    Case("kf_struct_ptr_last", "kfunc_calls.c", TC, ACCEPT, f"{ST_KFUNC}: test_stack_arg_ptr",
         retval=75, test_run=PKT_V4, r11=_r11(kf_struct_ptr_last=stores(1, 2, 3, 4, 5)),
         needs=("kfunc:bpf_kfunc_call_stack_arg_ptr",)),
    Case("kf_ptr_scalar_ptr", "kfunc_calls.c", TC, ACCEPT, f"{ST_KFUNC}: test_stack_arg_mix",
         retval=66, test_run=PKT_V4, r11=_r11(kf_ptr_scalar_ptr=stores(1, 2, 3, 4, 5)),
         needs=(MIX,)),
    Case("kf_skb_dynptr", "kfunc_calls.c", TC, ACCEPT, f"{ST_KFUNC}: test_stack_arg_dynptr",
         retval=99, test_run=PKT_V4, r11=_r11(kf_skb_dynptr=stores(1, 2, 3, 4, 5)),
         needs=("kfunc:bpf_dynptr_from_skb", "kfunc:bpf_kfunc_call_stack_arg_dynptr", "ctx"),
         notes="45 + 54 (pkt_v4)"),
    Case("kf_mem_and_size", "kfunc_calls.c", TC, ACCEPT, f"{ST_KFUNC}: test_stack_arg_mem",
         retval=151, test_run=PKT_V4, r11=_r11(kf_mem_and_size=stores(1, 2)),
         needs=(MEM,), notes="mem in slot 1 and mem__sz in slot 2"),
    Case("kf_iterator", "kfunc_calls.c", TC, ACCEPT, f"{ST_KFUNC}: test_stack_arg_iter",
         retval=145, test_run=PKT_V4, r11=_r11(kf_iterator=stores(1, 2, 3, 4, 5)),
         needs=("kfunc:bpf_iter_testmod_seq_new", "kfunc:bpf_kfunc_call_stack_arg_iter",
                "kfunc:bpf_iter_testmod_seq_destroy"),
         notes="it__iter in slot 5"),
    Case("kf_const_string", "kfunc_calls.c", TC, ACCEPT, f"{ST_KFUNC}: test_stack_arg_const_str",
         retval=45, test_run=PKT_V4, r11=_r11(kf_const_string=stores(1, 2, 3, 4, 5)),
         needs=("kfunc:bpf_kfunc_call_stack_arg_const_str", "rodata"),
         notes="str__str in slot 5 points into .rodata (frozen)"),
    Case("kf_map_timer", "kfunc_calls.c", TC, ACCEPT, f"{ST_KFUNC}: test_stack_arg_timer",
         retval=45, test_run=PKT_V4, r11=_r11(kf_map_timer=stores(1, 2, 3, 4, 5)),
         needs=("kfunc:bpf_kfunc_call_stack_arg_timer", "helper:bpf_map_lookup_elem",
                "map:array"),
         notes="struct bpf_timer * in slot 5 must be the timer field of a map value"),

    # ---------------------------------------------------------------- stack_arg_fail.c (§3.3)
    Case("struct_by_value_arg6", "kfunc_by_value.c", TC, REJECT,
         f"{ST_FAIL}: test_stack_arg_big", msg="Unrecognized *(R11-8) type STRUCT",
         r11=_r11(struct_by_value_arg6=stores(1, 2)),
         needs=("kfunc:bpf_kfunc_call_stack_arg_big",),
         notes="16-byte struct by value as arg 6 (two slots); stack args are named *(R11-8k) "
               "in messages"),
    Case("r11_add_imm", "r11_shapes.c", SOCKET, REJECT, f"{ST_FAIL}: r11_alu_reject",
         msg=R11_INVALID, r11=_r11(r11_add_imm=("r11 += 0x1",))),
    Case("r11_stx_word", "r11_shapes.c", SOCKET, REJECT, f"{ST_FAIL}: r11_store_non_dw",
         msg=R11_INVALID, r11=_r11(r11_stx_word=("*(u32 *)(r11 - 0x8) = w1",))),
    Case("r11_stx_misaligned", "r11_shapes.c", SOCKET, REJECT, f"{ST_FAIL}: r11_store_unaligned",
         msg=R11_INVALID, r11=_r11(r11_stx_misaligned=("*(u64 *)(r11 - 0x4) = r1",))),
    Case("r11_stx_positive", "r11_shapes.c", SOCKET, REJECT,
         f"{ST_FAIL}: r11_store_positive_off", msg=R11_INVALID,
         r11=_r11(r11_stx_positive=("*(u64 *)(r11 + 0x8) = r1",))),
    Case("r11_ldx_negative", "r11_shapes.c", SOCKET, REJECT,
         f"{ST_FAIL}: r11_load_negative_off", msg=R11_INVALID,
         r11=_r11(r11_ldx_negative=("r0 = *(u64 *)(r11 - 0x8)",))),
    Case("r11_ldx_word", "r11_shapes.c", SOCKET, REJECT, f"{ST_FAIL}: r11_load_non_dw",
         msg=R11_INVALID, r11=_r11(r11_ldx_word=("w0 = *(u32 *)(r11 + 0x8)",))),
    Case("r11_stx_zero_off", "r11_shapes.c", SOCKET, REJECT, f"{ST_FAIL}: r11_store_zero_off",
         msg=R11_INVALID, r11=_r11(r11_stx_zero_off=("*(u64 *)(r11 + 0x0) = r1",))),
    # the rest of §2.2 / DESIGN.md §3 ("anything else"); no selftest
    Case("r11_atomic_add", "r11_shapes.c", SOCKET, REJECT, "DESIGN.md §3 (atomics on r11)",
         msg=R11_INVALID, r11=_r11(r11_atomic_add=("lock *(u64 *)(r11 - 0x8) += r1",)),
         notes="stack_arg_abi.md §2.2: untested upstream, 'assume they are' rejected"),
    Case("r11_mov_source", "r11_shapes.c", SOCKET, REJECT, "DESIGN.md §3 (r11 as a value)",
         msg=R11_INVALID, r11=_r11(r11_mov_source=("r0 = r11",)),
         notes="check_reg_arg: regno >= MAX_BPF_REG (11) -> 'R%d is invalid'"),
    Case("r11_jump_operand", "r11_shapes.c", SOCKET, REJECT, "DESIGN.md §3 (r11 as a value)",
         msg=R11_INVALID, r11=_r11(r11_jump_operand=("if r11 == 0x0 goto +0x1",))),
    Case("r11_ldx_misaligned", "r11_shapes.c", SOCKET, REJECT,
         "DESIGN.md §3 (misaligned load)", msg=R11_INVALID,
         r11=_r11(r11_ldx_misaligned=("r0 = *(u64 *)(r11 + 0x4)",))),
    Case("r11_ldx_zero_off", "r11_shapes.c", SOCKET, REJECT, "DESIGN.md §3 (zero offset load)",
         msg=R11_INVALID, r11=_r11(r11_ldx_zero_off=("r0 = *(u64 *)(r11 + 0x0)",))),
    Case("r11_st_imm_word", "r11_shapes.c", SOCKET, REJECT, "DESIGN.md §3 (non-DW ST)",
         msg=R11_INVALID, r11=_r11(r11_st_imm_word=("*(u32 *)(r11 - 0x8) = 0x1",))),
    Case("r11_spilled_to_stack", "r11_shapes.c", SOCKET, REJECT,
         "DESIGN.md §3 (r11 as a value)", msg=R11_INVALID,
         r11=_r11(r11_spilled_to_stack=("*(u64 *)(r10 - 0x8) = r11",))),

    # ---------------------------------------------------------------- verifier_stack_arg.c (§3.4)
    Case("six_args_one_slot", "bpf2bpf_rules.c", TC, ACCEPT, f"{ST_VS}: stack_arg_6args",
         retval=21, r11=_r11(six_args_one_slot=(st(1, 6),), add_six=ADD_SIX)),
    Case("six_then_seven", "bpf2bpf_rules.c", TC, ACCEPT, f"{ST_VS}: stack_arg_two_subprogs",
         retval=90,
         r11=_r11(six_then_seven=(st(1, 10), st(2, 30), st(1, 20)), add_six=ADD_SIX,
                  add_seven=ADD_SEVEN)),
    Case("main_reads_arg6", "bpf2bpf_rules.c", TC, REJECT,
         f"{ST_VS}: stack_arg_read_uninitialized",
         msg="invalid read from stack arg off 8 depth 0",
         r11=_r11(main_reads_arg6=(ldx(0, 1),))),
    Case("slot1_gap", "bpf2bpf_rules.c", TC, REJECT, f"{ST_VS}: stack_arg_gap_at_minus8",
         msg=UNINIT7, r11=_r11(slot1_gap=(st(2, 30),), add_seven=ADD_SEVEN)),
    Case("slot1_ptr_or_scalar", "bpf2bpf_rules.c", TC, REJECT,
         f"{ST_VS}: stack_arg_pruning_type_mismatch", msg=SCALAR_DEREF,
         log_level=2, flags=("BPF_F_TEST_STATE_FREQ",),
         log_msgs=("arg JOIN insn 9 -> 10 r1: fp0-8 + _ => fp0-8|fp0+0",
                   "arg JOIN insn 9 -> 10 sa0: fp0-8 + _ => fp0-8|fp0+0"),
         r11=_r11(slot1_ptr_or_scalar=(stx(1, 1), st(1, 42)),
                  load_through_sixth=LOAD_THROUGH_SIXTH),
         needs=(PRANDOM,),
         notes="the 'arg JOIN' lines come from the kernel's argument-tracking liveness "
               "(sa0 = outgoing slot 1); same instruction indices as the selftest"),
    Case("released_sock_in_slot", "bpf2bpf_rules.c", TC, REJECT,
         f"{ST_VS}: stack_arg_release_ref", msg=UNINIT6,
         r11=_r11(released_sock_in_slot=(stx(1, 0),), load_through_sixth=LOAD_THROUGH_SIXTH),
         needs=SK_LOOKUP + ("ctx",),
         notes="release_reference reaches the slot: it becomes NOT_INIT"),
    Case("pkt_ptr_in_slot_then_pull", "bpf2bpf_rules.c", TC, REJECT,
         f"{ST_VS}: stack_arg_stale_pkt_ptr", msg=UNINIT6,
         r11=_r11(pkt_ptr_in_slot_then_pull=(stx(1, 7),),
                  load_through_sixth=LOAD_THROUGH_SIXTH),
         needs=("helper:bpf_skb_pull_data", "ctx"),
         notes="clear_all_pkt_pointers reaches the slot"),
    Case("maybe_null_value_in_slot", "bpf2bpf_rules.c", TC, REJECT,
         f"{ST_VS}: stack_arg_null_propagation_fail", msg=SCALAR_DEREF,
         r11=_r11(maybe_null_value_in_slot=(stx(1, 0),),
                  load_through_sixth=LOAD_THROUGH_SIXTH),
         needs=("helper:bpf_map_lookup_elem", "map:hash"),
         notes="the NULL branch of r0 makes the slot copy SCALAR 0"),
    Case("slot1_on_one_branch", "bpf2bpf_rules.c", TC, REJECT,
         f"{ST_VS}: stack_arg_missing_store_one_branch", msg=UNINIT7,
         r11=_r11(slot1_on_one_branch=(st(2, 20), st(1, 10)), add_seven=ADD_SEVEN),
         needs=(PRANDOM,)),
    Case("slot1_on_both_branches", "bpf2bpf_rules.c", TC, ACCEPT,
         f"{ST_VS}: stack_arg_shared_store", retval=0,
         r11=_r11(slot1_on_both_branches=(st(2, 20), st(1, 10), st(1, 30)),
                  add_seven=ADD_SEVEN),
         needs=(PRANDOM,), notes="slot 2 written once before the branch serves both calls"),
    Case("store_slot10", "bpf2bpf_rules.c", TC, REJECT, f"{ST_VS}: stack_arg_write_beyond_max",
         msg="stack arg write offset -80 exceeds max 7 stack args",
         r11=_r11(store_slot10=(st(10, 99), st(2, 20), st(1, 10)), add_seven=ADD_SEVEN)),
    Case("store_slot8", "bpf2bpf_rules.c", TC, REJECT,
         "DESIGN.md §3 (store past 7 slots; boundary of stack_arg_write_beyond_max)",
         msg="stack arg write offset -64 exceeds max 7 stack args",
         r11=_r11(store_slot8=(st(8, 99), st(2, 20), st(1, 10)), add_seven=ADD_SEVEN)),
    Case("store_unneeded_slot5", "bpf2bpf_rules.c", TC, REJECT,
         f"{ST_VS}: stack_arg_write_unused_slot",
         msg="func#0 writes 5 stack arg slots, but calls only require 2",
         r11=_r11(store_unneeded_slot5=(st(5, 99), st(2, 20), st(1, 10)), add_seven=ADD_SEVEN),
         notes="reported after verification (bpf_fixup_call_args), not at the store"),
    Case("second_call_reuses_slots", "bpf2bpf_rules.c", TC, REJECT,
         f"{ST_VS}: stack_arg_sequential_calls", msg=UNINIT7,
         r11=_r11(second_call_reuses_slots=(st(1, 6), st(2, 7)), add_seven=ADD_SEVEN)),
    Case("helper_call_consumes_slot", "bpf2bpf_rules.c", TC, REJECT,
         "DESIGN.md §3 (after every call, helpers included, the slots are uninitialized)",
         msg=UNINIT6, r11=_r11(helper_call_consumes_slot=(st(1, 6),), add_six=ADD_SIX),
         needs=(PRANDOM,)),
    Case("callee_reads_past_its_args", "bpf2bpf_rules.c", TC, REJECT,
         "DESIGN.md §3 (load beyond the incoming count, 'with the actual off/depth')",
         msg="invalid read from stack arg off 16 depth {{[0-9]+}}",
         r11=_r11(callee_reads_past_its_args=(st(1, 6),),
                  reads_missing_seventh=(ldx(0, 2),)),
         notes="what 'depth' counts (frame or incoming bytes) is not documented: the "
               "selftest only shows 'off 8 depth 0' for the main program"),
    Case("tail_call_in_stack_arg_callee", "bpf2bpf_rules.c", TC, REJECT,
         "stack_arg_abi.md §2.3 (tail calls with stack args are rejected; x86 JIT commit)",
         r11=_r11(tail_call_in_stack_arg_callee=(st(1, 6),),
                  tail_call_with_arg6=(ldx(6, 1),)),
         needs=("helper:bpf_tail_call", "map:prog_array"),
         notes="message not documented (stack_arg_abi.md open question 1): verdict only"),

    # ------------------------------------------------------- verifier_stack_arg_order.c (§3.5)
    Case("load_after_store", "load_order.c", TC, REJECT, f"{ST_ORDER}: stack_arg_load_after_store",
         msg=BAD_ORDER,
         r11=_r11(load_after_store=(st(1, 6),), store_then_load=(stx(1, 1), ldx(0, 1)))),
    Case("load_after_call", "load_order.c", TC, REJECT, f"{ST_ORDER}: stack_arg_load_after_call",
         msg=BAD_ORDER, r11=_r11(load_after_call=(st(1, 6),), helper_then_load=(ldx(0, 1),)),
         needs=(PRANDOM,)),
    Case("load_after_call_one_path", "load_order.c", TC, REJECT,
         f"{ST_ORDER}: stack_arg_pruning_load_after_call", msg=BAD_ORDER,
         flags=("BPF_F_TEST_STATE_FREQ",),
         r11=_r11(load_after_call_one_path=(st(1, 6),),
                  maybe_helper_then_load=(ldx(0, 1),)),
         needs=(PRANDOM,),
         notes="the no-call path reaches the load first; pruning must not let the "
               "after-a-call path pass (no_stack_arg_load in func_states_equal)"),
    Case("unreliable_no_stores", "load_order.c", TC, REJECT,
         f"{ST_ORDER}: stack_arg_read_without_write_1", msg=UNINIT7,
         r11=_r11(unreliable_seven=(ldx(0, 1), ldx(1, 2))),
         notes="'long *' first parameter: btf_prepare_func_args fails (unreliable), yet "
               "arg_cnt 7 / stack_arg_cnt 2 stand and the static call proceeds"),
    Case("unreliable_called_twice", "load_order.c", TC, REJECT,
         f"{ST_ORDER}: stack_arg_read_without_write_2", msg="R0 !read_ok",
         r11=_r11(unreliable_called_twice=(st(1, 0), st(2, 0)),
                  unreliable_seven=(ldx(0, 1), ldx(1, 2))),
         notes="the selftest's expectation; why R0 and not the uninitialized-slot message "
               "is not worked out (stack_arg_abi.md open question 8; the callee returns "
               "void)"),

    # ---------------------------------------------------------------- stack_arg_precision.c (§3.6)
    Case("size_precise_through_slot", "precision.c", TC, ACCEPT,
         f"{ST_PREC}: stack_arg_precision_bpf2bpf", retval=25, log_level=2,
         flags=("BPF_F_TEST_STATE_FREQ",),
         log_msgs=(
             "mark_precise: frame1: last_idx 26 first_idx 13 subseq_idx -1",
             "mark_precise: frame1: regs= stack= before 20: (7b) *(u64 *)(r11 -16) = r1",
             "mark_precise: frame1: regs=r1 stack= before 19: (7b) *(u64 *)(r11 -8) = r2",
             "mark_precise: frame1: regs=r1 stack= before 13: (79) r1 = *(u64 *)(r11 +8)",
             "mark_precise: frame0: regs= stack= before 8: (7a) *(u64 *)(r11 -8) = 4",
             "mark_precise: frame0: regs= stack= before 10: (7a) *(u64 *)(r11 -8) = 6",
         ),
         r11=_r11(size_precise_through_slot=(st(1, 4), st(1, 6)),
                  forward_size_to_mem_kfunc=(ldx(1, 1), stx(1, 2), stx(2, 1))),
         needs=(PRANDOM, MEM),
         notes="retval 25 from the later revision of the selftest (size 4: "
               "bpf_get_prandom_u32() >= 2); log_msgs are 6 of the selftest's 42 "
               "mark_precise lines, in their order"),

    # ---------------------------------------------------------------- review bug (a): pruning
    Case("join_branch_lacks_slot1", "review_bpf2bpf.c", TC, REJECT, "review bug (a)",
         msg=UNINIT7,
         r11=_r11(join_branch_lacks_slot1=(st(1, 6), st(2, 7), st(2, 7)),
                  seven_sum=ADD_SEVEN),
         needs=(PRANDOM,),
         notes="v1: 'stacksafe() does not compare [stack_arg_slots] during state pruning'; "
               "the fall-through path (both slots) reaches the call first"),
    Case("join_fallthrough_lacks_slot1", "review_bpf2bpf.c", TC, REJECT, "review bug (a)",
         msg=UNINIT7,
         r11=_r11(join_fallthrough_lacks_slot1=(st(2, 7), st(1, 6), st(2, 7)),
                  seven_sum=ADD_SEVEN),
         needs=(PRANDOM,), notes="the other exploration order"),
    Case("join_branch_lacks_slot1_freq", "review_bpf2bpf.c", TC, REJECT, "review bug (a)",
         msg=UNINIT7, flags=("BPF_F_TEST_STATE_FREQ",),
         r11=_r11(join_branch_lacks_slot1_freq=(st(1, 6), st(2, 7), st(2, 7)),
                  seven_sum=ADD_SEVEN),
         needs=(PRANDOM,), notes="checkpoints at every instruction"),

    # ------------------------------------------------------- review bug (b): kfunc arg loop
    Case("mix_then_use_callee_saved", "review_kfunc.c", TC, ACCEPT, "review bug (b)",
         retval=76,
         r11=_r11(mix_then_use_callee_saved=(st(1, 6), st(2, 7), stx(3, 6), st(4, 8),
                                             stx(5, 7))),
         needs=(MIX,),
         notes="v1: 'this continue ... the next_arg restore is skipped'; 66 from the kfunc "
               "(testmod_kfuncs.md §2) + p.x0 10 read through r6 after the call"),
    Case("mix_then_read_r1", "review_kfunc.c", TC, REJECT, "review bug (b)",
         msg="R1 !read_ok",
         r11=_r11(mix_then_read_r1=(st(1, 6), st(2, 7), stx(3, 6), st(4, 8), stx(5, 7))),
         needs=(MIX,), notes="no stack-argument state may be left in R1 after the call"),
    Case("mix_then_bpf2bpf_without_store", "review_kfunc.c", TC, REJECT, "review bug (b)",
         msg=UNINIT6,
         r11=_r11(mix_then_bpf2bpf_without_store=(st(1, 6), st(2, 7), stx(3, 6), st(4, 8),
                                                  stx(5, 7)),
                  add_six=ADD_SIX),
         needs=(MIX,), notes="a kfunc call consumes the slots like any call (DESIGN.md §3)"),
    Case("mix_scalar_as_last_ptr", "review_kfunc.c", TC, REJECT, "review bug (b)",
         r11=_r11(mix_scalar_as_last_ptr=(st(1, 6), st(2, 7), stx(3, 6), st(4, 8),
                                          stx(5, 8))),
         needs=(MIX,),
         notes="q (slot 5) is the scalar 256, right after the scalar slot 4: it must be "
               "checked on its own slot.  The kernel's text for a scalar in a "
               "stack-position struct pointer is not documented: verdict only"),

    # ---------------------------------------------------------------- review bug (c): release
    Case("sock_released_by_first_callee", "review_bpf2bpf.c", TC, REJECT, "review bug (c)",
         msg=UNINIT6,
         r11=_r11(sock_released_by_first_callee=(stx(1, 0),), drop_sock_arg6=SOCK_ARG6,
                  read_sock_arg6=SOCK_ARG6),
         needs=SK_LOOKUP + ("ctx",),
         notes="v1: 'release_reference() does not invalidate ref_obj_id in "
               "stack_arg_slots'; stored once, the first call consumes the slot"),
    Case("sock_copy_restored_after_release", "review_bpf2bpf.c", TC, REJECT, "review bug (c)",
         msg=SCALAR_DEREF,
         r11=_r11(sock_copy_restored_after_release=(stx(1, 0), stx(1, 7)),
                  drop_sock_arg6=SOCK_ARG6, read_sock_arg6=SOCK_ARG6),
         needs=SK_LOOKUP + ("ctx",),
         notes="the release inside the first callee turns the caller's copy r7 into an "
               "unknown scalar (mark_reg_invalid with allow_ptr_leaks, i.e. a privileged "
               "load; unprivileged it would be NOT_INIT and the store 'R7 !read_ok')"),

    # ---------------------------------------------------------------- review bug (d): mem/size
    Case("mem_slot1_size_slot2", "review_kfunc.c", TC, ACCEPT, "review bug (d)",
         retval=1149,
         r11=_r11(mem_slot1_size_slot2=(stx(1, 1), st(2, 16))),
         needs=(MEM,),
         notes="v1: 'they assume regno + 1 to be the size'; R2 = 1000 is not the size. "
               "1 + 1000 + 3 + 4 + 5 + (1 + ... + 16)"),
    Case("mem_size_slot2_too_big", "review_kfunc.c", TC, REJECT, "review bug (d)",
         r11=_r11(mem_size_slot2_too_big=(stx(1, 1), st(2, 32))),
         needs=(MEM,),
         notes="32 bytes from fp-16 leave the frame; R2 = 2 would fit.  The kernel's text "
               "for a stack-position mem argument is not documented: verdict only"),
    Case("mem_r5_size_slot1", "review_kfunc_split.c", TC, ACCEPT, "review bug (d)",
         retval=146, r11=_r11(mem_r5_size_slot1=(st(1, 16),)),
         needs=("kfunc:bpf_kfunc_call_stack_arg_mem_r5",),
         notes="mem in R5, mem__sz in slot 1; R6 = 1000 is not the size.  The kfunc is the "
               "mock kernel's own (not in bpf_testmod; see the file's header)"),
    Case("mem_r5_size_slot1_too_big", "review_kfunc_split.c", TC, REJECT, "review bug (d)",
         r11=_r11(mem_r5_size_slot1_too_big=(st(1, 32),)),
         needs=("kfunc:bpf_kfunc_call_stack_arg_mem_r5",),
         notes="size 32 in slot 1 leaves the frame; R6 = 2 would fit.  Verdict only"),
)

BY_PROG = {c.prog: c for c in CASES}


def interp_cases() -> list[Case]:
    """Accepted cases the reference interpreter runs alone: no kfunc, no timer callback."""
    return [c for c in CASES if c.verdict == ACCEPT and not c.kfuncs
            and "timer-callback" not in c.needs]


def mock_kernel_cases() -> list[Case]:
    """Accepted cases that call kfuncs: run with the mock kernel's kfuncs."""
    return [c for c in CASES if c.verdict == ACCEPT and c.kfuncs
            and "timer-callback" not in c.needs]
