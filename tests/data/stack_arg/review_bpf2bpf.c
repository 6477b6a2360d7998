// SPDX-License-Identifier: GPL-2.0
/*
 * Regression cases for two bugs found in review of the v1 stack-argument
 * series (shared/seed/: bpf-stack-arguments-v1-series-and-review.txt), in
 * the final r11 ABI:
 *
 * (a) "stacksafe() does not compare it during state pruning": two paths
 *     reach one call, one of them without slot 1.  If pruning ignores the
 *     slots, whichever path arrives second is pruned as equivalent and the
 *     call is never checked on it.  Both orders of exploration, and once
 *     more with a checkpoint at every instruction.
 *
 * (c) "release_reference() does not invalidate ref_obj_id in
 *     stack_arg_slots": a referenced socket stored once in r11 - 8 is
 *     released by the first callee and dereferenced by a second one.  With
 *     the final rules the second call finds the slot consumed by the first;
 *     re-storing a register copy of the pointer does not help either, the
 *     release turned every copy into a scalar (privileged load).
 *
 * Naked asm built with clang-22 directly; parameter names of the callees in
 * btf__review_bpf2bpf.c.  Expectations in tests/verifier/stack_arg_cases.py.
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
#define __imm_const(n, e) [n] "i"(e)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"
#define COMPANION "btf__review_bpf2bpf.bpf.o"

/* ---- callees ----------------------------------------------------------- */

__naked_subprog int seven_sum(int a, int b, int c, int d, int e, int f, int g)
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

/* releases the socket it gets as argument 6 */
__naked_subprog long drop_sock_arg6(long a, long b, long c, long d, long e, struct bpf_sock *sk)
{
	asm volatile (
		"r1 = *(u64 *)(r11 + 8);"
		"call %[bpf_sk_release];"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_sk_release)
		: __clobber_all);
}

/* reads the first field of the socket it gets as argument 6 */
__naked_subprog long read_sock_arg6(long a, long b, long c, long d, long e, struct bpf_sock *sk)
{
	asm volatile (
		"r1 = *(u64 *)(r11 + 8);"
		"r0 = *(u32 *)(r1 + 0);"
		"exit;"
		::: __clobber_all);
}

/* ---- (a) pruning compares the slots ------------------------------------ */

/* fall-through (explored first by the kernel) writes both slots, the branch
 * only slot 2; both reach the same call */
SEC("tc")
__description("(a) one call, the branch path lacks slot 1")
__failure __msg("callee expects 7 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void join_branch_lacks_slot1(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"if r0 > 7 goto 1f;"
		"*(u64 *)(r11 - 8) = 6;"
		"*(u64 *)(r11 - 16) = 7;"
		"goto 2f;"
	"1:"
		"*(u64 *)(r11 - 16) = 7;"
	"2:"
		"call seven_sum;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* the same with the roles swapped: the fall-through path lacks slot 1 */
SEC("tc")
__description("(a) one call, the fall-through path lacks slot 1")
__failure __msg("callee expects 7 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void join_fallthrough_lacks_slot1(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"if r0 > 7 goto 1f;"
		"*(u64 *)(r11 - 16) = 7;"
		"goto 2f;"
	"1:"
		"*(u64 *)(r11 - 8) = 6;"
		"*(u64 *)(r11 - 16) = 7;"
	"2:"
		"call seven_sum;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* the first program again, with a pruning checkpoint at every instruction */
SEC("tc")
__description("(a) one call, the branch path lacks slot 1, checkpoints everywhere")
__failure __flag(BPF_F_TEST_STATE_FREQ)
__msg("callee expects 7 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void join_branch_lacks_slot1_freq(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"if r0 > 7 goto 1f;"
		"*(u64 *)(r11 - 8) = 6;"
		"*(u64 *)(r11 - 16) = 7;"
		"goto 2f;"
	"1:"
		"*(u64 *)(r11 - 16) = 7;"
	"2:"
		"call seven_sum;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* ---- (c) a released reference does not survive in a slot --------------- */

/* look up a TCP socket (zeroed tuple); on NULL jump to 9f */
#define LOOKUP_SOCK							\
		"r6 = r1;"						\
		"r2 = 0;"						\
		"*(u32 *)(r10 - 8) = r2;"				\
		"*(u64 *)(r10 - 16) = r2;"				\
		"*(u64 *)(r10 - 24) = r2;"				\
		"*(u64 *)(r10 - 32) = r2;"				\
		"*(u64 *)(r10 - 40) = r2;"				\
		"*(u64 *)(r10 - 48) = r2;"				\
		"r1 = r6;"						\
		"r2 = r10;"						\
		"r2 += -48;"						\
		"r3 = %[tuple_size];"					\
		"r4 = 0;"						\
		"r5 = 0;"						\
		"call %[bpf_sk_lookup_tcp];"				\
		"if r0 == 0 goto 9f;"

SEC("tc")
__description("(c) socket stored once, released by the first callee, read by the second")
__failure __msg("callee expects 6 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void sock_released_by_first_callee(void)
{
	asm volatile (
		LOOKUP_SOCK
		"*(u64 *)(r11 - 8) = r0;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call drop_sock_arg6;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call read_sock_arg6;"
	"9:"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_sk_lookup_tcp),
		   __imm_const(tuple_size, sizeof(struct bpf_sock_tuple))
		: __clobber_all);
}

SEC("tc")
__description("(c) socket released by the first callee, a register copy re-stored for the second")
__failure __msg("R{{[0-9]}} invalid mem access 'scalar'")
__btf_func_path(COMPANION)
__naked void sock_copy_restored_after_release(void)
{
	asm volatile (
		LOOKUP_SOCK
		"r7 = r0;"
		"*(u64 *)(r11 - 8) = r0;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call drop_sock_arg6;"
		"*(u64 *)(r11 - 8) = r7;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call read_sock_arg6;"
	"9:"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_sk_lookup_tcp),
		   __imm_const(tuple_size, sizeof(struct bpf_sock_tuple))
		: __clobber_all);
}

char _license[] SEC("license") = "GPL";
