// SPDX-License-Identifier: GPL-2.0
/*
 * Verifier rules for BPF-to-BPF stack arguments, in naked inline asm: the
 * cases of the kernel selftest progs/verifier_stack_arg.c transposed (same
 * instructions that matter, same expected verdicts and messages, our own
 * code and names), plus a few more rules of DESIGN.md §3 that no selftest
 * pins down.  Expectations live in tests/verifier/stack_arg_cases.py; the
 * annotations below say the same thing in the selftests' bpf_misc.h format
 * and a test keeps the two in agreement.
 *
 * The selftest's callees are plain C, which needs an LLVM 23 clang.  Here
 * they are naked functions with the full parameter list, so their BTF
 * FUNC_PROTO has the right number of parameters; clang leaves those
 * parameters anonymous, and btf__bpf2bpf_rules.c supplies the names
 * (the selftests' __btf_func_path fix-up, btf.fixup.apply_func_names).
 *
 * Built with clang-22 directly (nothing to lower: all r11 accesses are
 * written by hand).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* ---- bpf_misc.h, the parts used here ---------------------------------- */
#define __sa_str(x) #x
#define __sa_xstr(x) __sa_str(x)
#define __sa_tag(t) __attribute__((btf_decl_tag("comment:" __sa_xstr(__COUNTER__) ":" t)))
#define __success __sa_tag("test_expect_success")
#define __failure __sa_tag("test_expect_failure")
#define __msg(m) __sa_tag("test_expect_msg=" m)
#define __retval(v) __sa_tag("test_retval=" #v)
#define __flag(f) __sa_tag("test_prog_flags=" #f)
#define __log_level(l) __sa_tag("test_log_level=" #l)
#define __btf_func_path(p) __sa_tag("test_btf_func_path=" p)
#define __description(d) __sa_tag("test_description=" d)
#define __naked __attribute__((naked))
#define __naked_subprog __attribute__((naked, noinline, used)) static
#define __imm(x) [x] "i"(x)
#define __imm_addr(x) [x] "i"(&x)
#define __imm_const(n, e) [n] "i"(e)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"
#define COMPANION "btf__bpf2bpf_rules.bpf.o"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, long long);
	__type(value, long long);
} one_elem_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, int);
} jump_table SEC(".maps");

/* ---- callees ----------------------------------------------------------- */

/* a + b + c + d + e + f (int arithmetic: the callee uses the low halves) */
__naked_subprog int add_six(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 8);"
		"w0 += w1;"
		"w0 += w2;"
		"w0 += w3;"
		"w0 += w4;"
		"w0 += w5;"
		"exit;"
		::: __clobber_all);
}

/* a + ... + g */
__naked_subprog int add_seven(int a, int b, int c, int d, int e, int f, int g)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 8);"
		"r6 = *(u64 *)(r11 + 16);"
		"w0 += w6;"
		"w0 += w1;"
		"w0 += w2;"
		"w0 += w3;"
		"w0 += w4;"
		"w0 += w5;"
		"exit;"
		::: __clobber_all);
}

/* return *f: the sixth argument must be a readable pointer */
__naked_subprog long load_through_sixth(long a, long b, long c, long d, long e, long *f)
{
	asm volatile (
		"r1 = *(u64 *)(r11 + 8);"
		"r0 = *(u64 *)(r1 + 0);"
		"exit;"
		::: __clobber_all);
}

/* a six-argument callee that reads a seventh, which it does not have */
__naked_subprog int reads_missing_seventh(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 16);"
		"exit;"
		::: __clobber_all);
}

/* a tail call from a function that has a stack argument */
__naked_subprog int tail_call_with_arg6(struct __sk_buff *skb, int b, int c, int d, int e, int f)
{
	asm volatile (
		"r6 = *(u64 *)(r11 + 8);"
		"r2 = %[jump_table] ll;"
		"r3 = 0;"
		"call %[bpf_tail_call];"
		"r0 = r6;"
		"exit;"
		:: __imm_addr(jump_table), __imm(bpf_tail_call)
		: __clobber_all);
}

/* ---- verifier_stack_arg.c: stack_arg_6args ----------------------------- */
SEC("tc")
__description("one stack argument: 1 + ... + 6")
__success __retval(21) __btf_func_path(COMPANION)
__naked void six_args_one_slot(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 8) = 6;"
		"call add_six;"
		"exit;"
		::: __clobber_all);
}

/* ---- stack_arg_two_subprogs: (15 + 10) + (15 + 20 + 30) = 90 ----------- */
SEC("tc")
__description("a 6-argument and a 7-argument callee")
__success __retval(90) __btf_func_path(COMPANION)
__naked void six_then_seven(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 8) = 10;"
		"call add_six;"
		"r6 = r0;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 16) = 30;"
		"*(u64 *)(r11 - 8) = 20;"
		"call add_seven;"
		"r0 += r6;"
		"exit;"
		::: __clobber_all);
}

/* ---- stack_arg_read_uninitialized -------------------------------------- */
SEC("tc")
__description("the main program has no incoming stack arguments")
__failure __msg("invalid read from stack arg off 8 depth 0")
__naked void main_reads_arg6(void)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 8);"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

/* ---- stack_arg_gap_at_minus8 ------------------------------------------- */
SEC("tc")
__description("slot 2 written, slot 1 not")
__failure __msg("callee expects 7 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void slot1_gap(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 16) = 30;"
		"call add_seven;"
		"exit;"
		::: __clobber_all);
}

/* ---- stack_arg_pruning_type_mismatch ------------------------------------
 * One path puts a stack pointer in slot 1, the other a scalar; the callee
 * dereferences it.  Pruning at the join must not let the scalar path pass.
 * (Same instruction layout as the selftest: the log-level-2 "arg JOIN insn
 * 9 -> 10" lines refer to these indices.) */
SEC("tc")
__description("join of a pointer and a scalar in slot 1")
__failure __log_level(2) __flag(BPF_F_TEST_STATE_FREQ)
__msg("R{{[0-9]}} invalid mem access 'scalar'")
__btf_func_path(COMPANION)
__naked void slot1_ptr_or_scalar(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r6 = r0;"
		"r7 = 0;"
		"*(u64 *)(r10 - 8) = r7;"
		"if r6 s> 3 goto 1f;"
		"r1 = r10;"
		"r1 += -8;"
		"*(u64 *)(r11 - 8) = r1;"
		"goto 2f;"
	"1:"
		"*(u64 *)(r11 - 8) = 42;"
	"2:"
		"r1 = r6;"
		"r2 = 0;"
		"r3 = 0;"
		"r4 = 0;"
		"r5 = 0;"
		"call load_through_sixth;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* ---- stack_arg_release_ref --------------------------------------------- */
SEC("tc")
__description("releasing a socket clears the slot holding it")
__failure __msg("callee expects 6 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void released_sock_in_slot(void)
{
	asm volatile (
		"r6 = r1;"
		"r2 = 0;"
		"*(u32 *)(r10 - 8) = r2;"
		"*(u64 *)(r10 - 16) = r2;"
		"*(u64 *)(r10 - 24) = r2;"
		"*(u64 *)(r10 - 32) = r2;"
		"*(u64 *)(r10 - 40) = r2;"
		"*(u64 *)(r10 - 48) = r2;"
		"r1 = r6;"
		"r2 = r10;"
		"r2 += -48;"
		"r3 = %[tuple_size];"
		"r4 = 0;"
		"r5 = 0;"
		"call %[bpf_sk_lookup_tcp];"
		"if r0 == 0 goto 1f;"
		"*(u64 *)(r11 - 8) = r0;"
		"r1 = r0;"
		"call %[bpf_sk_release];"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call load_through_sixth;"
	"1:"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_sk_lookup_tcp), __imm(bpf_sk_release),
		   __imm_const(tuple_size, sizeof(struct bpf_sock_tuple))
		: __clobber_all);
}

/* ---- stack_arg_stale_pkt_ptr ------------------------------------------- */
SEC("tc")
__description("bpf_skb_pull_data clears a packet pointer held in a slot")
__failure __msg("callee expects 6 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void pkt_ptr_in_slot_then_pull(void)
{
	asm volatile (
		"r6 = r1;"
		"r7 = *(u32 *)(r6 + %[skb_data]);"
		"r8 = *(u32 *)(r6 + %[skb_data_end]);"
		"r0 = r7;"
		"r0 += 8;"
		"if r0 > r8 goto 1f;"
		"*(u64 *)(r11 - 8) = r7;"
		"r1 = r6;"
		"r2 = 0;"
		"call %[bpf_skb_pull_data];"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call load_through_sixth;"
	"1:"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_skb_pull_data),
		   __imm_const(skb_data, __builtin_offsetof(struct __sk_buff, data)),
		   __imm_const(skb_data_end, __builtin_offsetof(struct __sk_buff, data_end))
		: __clobber_all);
}

/* ---- stack_arg_null_propagation_fail ----------------------------------- */
SEC("tc")
__description("the NULL check of r0 reaches its copy in slot 1")
__failure __msg("R{{[0-9]}} invalid mem access 'scalar'")
__btf_func_path(COMPANION)
__naked void maybe_null_value_in_slot(void)
{
	asm volatile (
		"r1 = 0;"
		"*(u64 *)(r10 - 8) = r1;"
		"r2 = r10;"
		"r2 += -8;"
		"r1 = %[one_elem_hash] ll;"
		"call %[bpf_map_lookup_elem];"
		"*(u64 *)(r11 - 8) = r0;"
		"if r0 != 0 goto 1f;"
		"r1 = 0;"
		"r2 = 0;"
		"r3 = 0;"
		"r4 = 0;"
		"r5 = 0;"
		"call load_through_sixth;"
	"1:"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_map_lookup_elem), __imm_addr(one_elem_hash)
		: __clobber_all);
}

/* ---- stack_arg_missing_store_one_branch -------------------------------- */
SEC("tc")
__description("slot 2 before the branch, slot 1 on one branch only")
__failure __msg("callee expects 7 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void slot1_on_one_branch(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 16) = 20;"
		"if r0 > 0 goto 1f;"
		"*(u64 *)(r11 - 8) = 10;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call add_seven;"
		"goto 2f;"
	"1:"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call add_seven;"
	"2:"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* ---- stack_arg_shared_store -------------------------------------------- */
SEC("tc")
__description("slot 2 before the branch, slot 1 on both branches")
__success __retval(0) __btf_func_path(COMPANION)
__naked void slot1_on_both_branches(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 16) = 20;"
		"if r0 > 0 goto 1f;"
		"*(u64 *)(r11 - 8) = 10;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call add_seven;"
		"goto 2f;"
	"1:"
		"*(u64 *)(r11 - 8) = 30;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call add_seven;"
	"2:"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* ---- stack_arg_write_beyond_max ---------------------------------------- */
SEC("tc")
__description("slot 10 does not exist (at most 7)")
__failure __msg("stack arg write offset -80 exceeds max 7 stack args")
__btf_func_path(COMPANION)
__naked void store_slot10(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 80) = 99;"
		"*(u64 *)(r11 - 16) = 20;"
		"*(u64 *)(r11 - 8) = 10;"
		"call add_seven;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

/* ---- the first slot past the limit (DESIGN §3: store past 7 slots) ----- */
SEC("tc")
__description("slot 8 is the first that does not exist")
__failure __msg("stack arg write offset -64 exceeds max 7 stack args")
__btf_func_path(COMPANION)
__naked void store_slot8(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 64) = 99;"
		"*(u64 *)(r11 - 16) = 20;"
		"*(u64 *)(r11 - 8) = 10;"
		"call add_seven;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

/* ---- stack_arg_write_unused_slot --------------------------------------- */
SEC("tc")
__description("slot 5 written, the only callee takes two stack args")
__failure __msg("func#0 writes 5 stack arg slots, but calls only require 2")
__btf_func_path(COMPANION)
__naked void store_unneeded_slot5(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 40) = 99;"
		"*(u64 *)(r11 - 16) = 20;"
		"*(u64 *)(r11 - 8) = 10;"
		"call add_seven;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

/* ---- stack_arg_sequential_calls ---------------------------------------- */
SEC("tc")
__description("a call consumes the outgoing slots")
__failure __msg("callee expects 7 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void second_call_reuses_slots(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 8) = 6;"
		"*(u64 *)(r11 - 16) = 7;"
		"call add_seven;"
		"r6 = r0;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call add_seven;"
		"r0 += r6;"
		"exit;"
		::: __clobber_all);
}

/* ---- DESIGN §3: a helper call consumes the outgoing slots too ---------- */
SEC("tc")
__description("a helper call between the store and the call")
__failure __msg("callee expects 6 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void helper_call_consumes_slot(void)
{
	asm volatile (
		"*(u64 *)(r11 - 8) = 6;"
		"call %[bpf_get_prandom_u32];"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call add_six;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* ---- DESIGN §3: a load beyond the callee's own incoming count ---------- */
SEC("tc")
__description("a 6-argument callee reads r11 + 16")
__failure __msg("invalid read from stack arg off 16 depth {{[0-9]+}}")
__btf_func_path(COMPANION)
__naked void callee_reads_past_its_args(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 8) = 6;"
		"call reads_missing_seventh;"
		"exit;"
		::: __clobber_all);
}

/* ---- stack_arg_abi.md §2.3: stack arguments and tail calls ------------- */
SEC("tc")
__description("a function with a stack argument makes a tail call")
__failure __btf_func_path(COMPANION)
__naked void tail_call_in_stack_arg_callee(void)
{
	asm volatile (
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 8) = 6;"
		"call tail_call_with_arg6;"
		"exit;"
		::: __clobber_all);
}

char _license[] SEC("license") = "GPL";
