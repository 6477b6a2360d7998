// SPDX-License-Identifier: GPL-2.0
/*
 * Incoming r11 loads must come before any r11 store or call in a function
 * ("r11 load must be before any r11 store or call insn"; x86 keeps arg 6 in
 * r9 only until then), and static callees with an argument the kernel cannot
 * describe.  The cases of the kernel selftest
 * progs/verifier_stack_arg_order.c, transposed.  Like the selftest, the
 * callees are naked, so their parameter names come from a companion object
 * (btf__load_order.c, the selftest's __btf_func_path).  Built with clang-22
 * directly.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* ---- bpf_misc.h, the parts used here ---------------------------------- */
#define __sa_str(x) #x
#define __sa_xstr(x) __sa_str(x)
#define __sa_tag(t) __attribute__((btf_decl_tag("comment:" __sa_xstr(__COUNTER__) ":" t)))
#define __failure __sa_tag("test_expect_failure")
#define __msg(m) __sa_tag("test_expect_msg=" m)
#define __flag(f) __sa_tag("test_prog_flags=" #f)
#define __btf_func_path(p) __sa_tag("test_btf_func_path=" p)
#define __description(d) __sa_tag("test_description=" d)
#define __naked __attribute__((naked))
#define __naked_subprog __attribute__((naked, noinline, used)) static
#define __imm(x) [x] "i"(x)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"
#define COMPANION "btf__load_order.bpf.o"

/* ---- stack_arg_load_after_store ---------------------------------------- */

/* writes an outgoing slot, then reads its own incoming one */
__naked_subprog int store_then_load(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"*(u64 *)(r11 - 8) = r1;"
		"r0 = *(u64 *)(r11 + 8);"
		"exit;"
		::: __clobber_all);
}

SEC("tc")
__description("callee loads r11 + 8 after a store to r11 - 8")
__failure __msg("r11 load must be before any r11 store or call insn")
__btf_func_path(COMPANION)
__naked void load_after_store(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 8) = 6;"
		"call store_then_load;"
		"exit;"
		::: __clobber_all);
}

/* ---- stack_arg_load_after_call ----------------------------------------- */

__naked_subprog int helper_then_load(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r0 = *(u64 *)(r11 + 8);"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

SEC("tc")
__description("callee loads r11 + 8 after a helper call")
__failure __msg("r11 load must be before any r11 store or call insn")
__btf_func_path(COMPANION)
__naked void load_after_call(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 8) = 6;"
		"call helper_then_load;"
		"exit;"
		::: __clobber_all);
}

/* ---- stack_arg_pruning_load_after_call --------------------------------- */

/* the helper call happens on one path only; both paths meet at the load */
__naked_subprog int maybe_helper_then_load(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"if r1 s> 0 goto 1f;"
		"goto 2f;"
	"1:"
		"call %[bpf_get_prandom_u32];"
	"2:"
		"r0 = *(u64 *)(r11 + 8);"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

SEC("tc")
__description("pruning at the load must keep the after-a-call fact")
__failure __flag(BPF_F_TEST_STATE_FREQ)
__msg("r11 load must be before any r11 store or call insn")
__btf_func_path(COMPANION)
__naked void load_after_call_one_path(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r1 = r0;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 8) = 6;"
		"call maybe_helper_then_load;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* ---- stack_arg_read_without_write_1 / _2 ---------------------------------
 * A 'long *' first parameter is not something btf_prepare_func_args can
 * describe for a static function: the callee is "unreliable", yet its
 * argument count (7: two stack slots) still stands and the call proceeds. */

__naked_subprog void unreliable_seven(long *a, int b, int c, int d, int e, int f, int g)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 8);"
		"r1 = *(u64 *)(r11 + 16);"
		"exit;"
		::: __clobber_all);
}

SEC("tc")
__description("unreliable 7-argument callee, nothing written")
__failure __msg("callee expects 7 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void unreliable_no_stores(void)
{
	asm volatile (
		"r1 = 0;"
		"r2 = 0;"
		"r3 = 0;"
		"r4 = 0;"
		"r5 = 0;"
		"call unreliable_seven;"
		"exit;"
		::: __clobber_all);
}

SEC("tc")
__description("unreliable void 7-argument callee, slots written once, called twice")
__failure __msg("R0 !read_ok")
__btf_func_path(COMPANION)
__naked void unreliable_called_twice(void)
{
	asm volatile (
		"r1 = 0;"
		"r2 = 0;"
		"r3 = 0;"
		"r4 = 0;"
		"r5 = 0;"
		"*(u64 *)(r11 - 8) = 0;"
		"*(u64 *)(r11 - 16) = 0;"
		"call unreliable_seven;"
		"call unreliable_seven;"
		"exit;"
		::: __clobber_all);
}

char _license[] SEC("license") = "GPL";
