// SPDX-License-Identifier: GPL-2.0
/*
 * Regression cases for two kfunc bugs found in review of the v1
 * stack-argument series (shared/seed/), in the final r11 ABI:
 *
 * (b) "a continue skipped restoring state": v1 checked a stack argument by
 *     copying its slot into R1 and restoring R1 afterwards, and one early
 *     `continue` skipped the restore.  Whatever our verifier does inside the
 *     argument loop, no state may leak out of it: with scalar and pointer
 *     stack arguments interleaved (bpf_kfunc_call_stack_arg_mix: slots 1, 2
 *     scalars, 3 pointer, 4 scalar, 5 pointer), callee-saved registers keep
 *     their pointers, R1-R5 are unreadable after the call, the slots are
 *     consumed by it, and a later pointer argument is checked on its own
 *     slot.
 *
 * (d) "mem/size pairing assumed registers": v1 looked for the size of a
 *     memory argument in the register after it (R1 + 1 = R2) even when both
 *     were stack arguments.  bpf_kfunc_call_stack_arg_mem takes mem in slot 1
 *     and mem__sz in slot 2; R2 (argument b) is made large where a wrong
 *     pairing would reject a correct call and small where it would accept a
 *     wrong one.  (Mem in r5 with its size in slot 1 needs another kfunc:
 *     review_kfunc_split.c.)
 *
 * Expected results of accepted programs follow from the kfuncs' documented
 * behaviour (reference/testmod_kfuncs.md §2).  Naked asm; the "?tc" program
 * gives clang the kfuncs' extern BTF and has more than five arguments, so
 * this file is built through our toolchain.  Parameter names of add_six
 * come from btf__review_kfunc.c.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpf_testmod_kfunc.h"

/* ---- bpf_misc.h, the parts used here ---------------------------------- */
#define __sa_str(x) #x
#define __sa_xstr(x) __sa_str(x)
#define __sa_tag(t) __attribute__((btf_decl_tag("comment:" __sa_xstr(__COUNTER__) ":" t)))
#define __success __sa_tag("test_expect_success")
#define __failure __sa_tag("test_expect_failure")
#define __msg(m) __sa_tag("test_expect_msg=" m)
#define __retval(v) __sa_tag("test_retval=" #v)
#define __btf_func_path(p) __sa_tag("test_btf_func_path=" p)
#define __description(d) __sa_tag("test_description=" d)
#define __naked __attribute__((naked))
#define __naked_subprog __attribute__((naked, noinline, used)) static
#define __imm(x) [x] "i"(x)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"
#define COMPANION "btf__review_kfunc.bpf.o"

/* never loaded: only here for the kfuncs' extern BTF */
SEC("?tc")
int review_kfunc_btf_anchor(struct __sk_buff *ctx)
{
	struct prog_test_pass1 p = {}, q = {};
	char bytes[8] = {};

	return bpf_kfunc_call_stack_arg_mix(0, 0, 0, 0, 0, 0, 0, &p, 0, &q) +
	       bpf_kfunc_call_stack_arg_mem(0, 0, 0, 0, 0, bytes, sizeof(bytes));
}

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

/* p = { .x0 = 10 } at fp-16 (r6), q = { .x1 = 20 } at fp-32 (r7); the slots
 * of _mix(1, 2, 3, 4, 5, 6, 7, p, 8, q); r1-r5 = 1..5 */
#define MIX_SETUP(q_slot_value)						\
		"r1 = 0;"						\
		"*(u64 *)(r10 - 16) = r1;"				\
		"*(u64 *)(r10 - 8) = r1;"				\
		"*(u64 *)(r10 - 32) = r1;"				\
		"*(u64 *)(r10 - 24) = r1;"				\
		"r1 = 10;"						\
		"*(u32 *)(r10 - 16) = r1;"				\
		"r1 = 20;"						\
		"*(u32 *)(r10 - 28) = r1;"				\
		"r6 = r10;"						\
		"r6 += -16;"						\
		"r7 = r10;"						\
		"r7 += -32;"						\
		"*(u64 *)(r11 - 8) = 6;"				\
		"*(u64 *)(r11 - 16) = 7;"				\
		"*(u64 *)(r11 - 24) = r6;"				\
		"*(u64 *)(r11 - 32) = 8;"				\
		"*(u64 *)(r11 - 40) = " q_slot_value ";"		\
		"r1 = 1;"						\
		"r2 = 2;"						\
		"r3 = 3;"						\
		"r4 = 4;"						\
		"r5 = 5;"

/* ---- (b) ----------------------------------------------------------------- */

/* 1 + ... + 7 + p.x0 + 8 + q.x1 = 66, plus p.x0 read through r6 after the
 * call = 76 */
SEC("tc")
__description("(b) interleaved scalar/pointer stack args; r6 still points at p afterwards")
__success __retval(76)
__naked void mix_then_use_callee_saved(void)
{
	asm volatile (
		MIX_SETUP("r7")
		"call %[bpf_kfunc_call_stack_arg_mix];"
		"r1 = *(u32 *)(r6 + 0);"
		"r0 += r1;"
		"exit;"
		:: __imm(bpf_kfunc_call_stack_arg_mix)
		: __clobber_all);
}

SEC("tc")
__description("(b) R1 is unreadable after the kfunc call")
__failure __msg("R1 !read_ok")
__naked void mix_then_read_r1(void)
{
	asm volatile (
		MIX_SETUP("r7")
		"call %[bpf_kfunc_call_stack_arg_mix];"
		"r0 = r1;"
		"exit;"
		:: __imm(bpf_kfunc_call_stack_arg_mix)
		: __clobber_all);
}

SEC("tc")
__description("(b) the kfunc call consumed the slots")
__failure __msg("callee expects 6 args, stack arg1 is not initialized")
__btf_func_path(COMPANION)
__naked void mix_then_bpf2bpf_without_store(void)
{
	asm volatile (
		MIX_SETUP("r7")
		"call %[bpf_kfunc_call_stack_arg_mix];"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call add_six;"
		"exit;"
		:: __imm(bpf_kfunc_call_stack_arg_mix)
		: __clobber_all);
}

/* q (arg 10, slot 5) is a scalar; slot 4 before it is a scalar argument
 * that the check passes over */
SEC("tc")
__description("(b) a scalar where the last pointer argument belongs")
__failure
__naked void mix_scalar_as_last_ptr(void)
{
	asm volatile (
		"r8 = 256;"
		MIX_SETUP("r8")
		"call %[bpf_kfunc_call_stack_arg_mix];"
		"exit;"
		:: __imm(bpf_kfunc_call_stack_arg_mix)
		: __clobber_all);
}

/* ---- (d) ----------------------------------------------------------------- */

/* bytes 1..16 at fp-16; mem = fp-16 in slot 1, mem__sz in slot 2 */
#define MEM_SETUP(size, b)						\
		"r1 = 0x0807060504030201 ll;"				\
		"*(u64 *)(r10 - 16) = r1;"				\
		"r1 = 0x100f0e0d0c0b0a09 ll;"				\
		"*(u64 *)(r10 - 8) = r1;"				\
		"r1 = r10;"						\
		"r1 += -16;"						\
		"*(u64 *)(r11 - 8) = r1;"				\
		"*(u64 *)(r11 - 16) = " #size ";"			\
		"r1 = 1;"						\
		"r2 = " #b ";"						\
		"r3 = 3;"						\
		"r4 = 4;"						\
		"r5 = 5;"

/* 1 + 1000 + 3 + 4 + 5 + (1 + ... + 16) = 1149 */
SEC("tc")
__description("(d) mem and size both in slots, R2 larger than the buffer")
__success __retval(1149)
__naked void mem_slot1_size_slot2(void)
{
	asm volatile (
		MEM_SETUP(16, 1000)
		"call %[bpf_kfunc_call_stack_arg_mem];"
		"exit;"
		:: __imm(bpf_kfunc_call_stack_arg_mem)
		: __clobber_all);
}

SEC("tc")
__description("(d) size in slot 2 exceeds the buffer, R2 does not")
__failure
__naked void mem_size_slot2_too_big(void)
{
	asm volatile (
		MEM_SETUP(32, 2)
		"call %[bpf_kfunc_call_stack_arg_mem];"
		"exit;"
		:: __imm(bpf_kfunc_call_stack_arg_mem)
		: __clobber_all);
}

char _license[] SEC("license") = "GPL";
