// SPDX-License-Identifier: GPL-2.0
/*
 * Review bug (d), the other half: a memory argument in R5 whose size is the
 * first stack argument.  v1 took the size of a memory argument from the next
 * register (R5 + 1 = R6, a callee-saved register that is not an argument at
 * all); the size is in slot 1.  R6 is set large where a wrong pairing would
 * reject a correct call and small where it would accept a wrong one.
 *
 * The kfunc is the mock kernel's own (pipeline/kernel/testmod, not in
 * bpf_testmod):
 *     u64 bpf_kfunc_call_stack_arg_mem_r5(u64 a, u64 b, u64 c, u64 d,
 *                                         void *mem, int mem__sz)
 * returning a + b + c + d plus the sum of the unsigned bytes mem[0..mem__sz)
 * (bpf_kfunc_call_stack_arg_mem shifted one argument to the left; no
 * kernel selftest has such a kfunc).  It is declared here, in its own file,
 * as the selftest headers do not have it.
 *
 * Naked asm; the "?tc" program gives clang the kfunc's extern BTF and has six
 * arguments, so this file is built through our toolchain.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

/* ---- bpf_misc.h, the parts used here ---------------------------------- */
#define __sa_str(x) #x
#define __sa_xstr(x) __sa_str(x)
#define __sa_tag(t) __attribute__((btf_decl_tag("comment:" __sa_xstr(__COUNTER__) ":" t)))
#define __success __sa_tag("test_expect_success")
#define __failure __sa_tag("test_expect_failure")
#define __retval(v) __sa_tag("test_retval=" #v)
#define __description(d) __sa_tag("test_description=" d)
#define __naked __attribute__((naked))
#define __imm(x) [x] "i"(x)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"

extern __u64 bpf_kfunc_call_stack_arg_mem_r5(__u64 a, __u64 b, __u64 c, __u64 d,
					     void *mem, int mem__sz) __ksym;

/* never loaded: only here for the kfunc's extern BTF */
SEC("?tc")
int mem_r5_btf_anchor(struct __sk_buff *ctx)
{
	char bytes[8] = {};

	return bpf_kfunc_call_stack_arg_mem_r5(0, 0, 0, 0, bytes, sizeof(bytes));
}

/* bytes 1..16 at fp-16; mem = fp-16 in r5, mem__sz in slot 1 */
#define MEM_R5_SETUP(size, r6_value)					\
		"r1 = 0x0807060504030201 ll;"				\
		"*(u64 *)(r10 - 16) = r1;"				\
		"r1 = 0x100f0e0d0c0b0a09 ll;"				\
		"*(u64 *)(r10 - 8) = r1;"				\
		"r5 = r10;"						\
		"r5 += -16;"						\
		"*(u64 *)(r11 - 8) = " #size ";"			\
		"r6 = " #r6_value ";"					\
		"r1 = 1;"						\
		"r2 = 2;"						\
		"r3 = 3;"						\
		"r4 = 4;"

/* 1 + 2 + 3 + 4 + (1 + ... + 16) = 146 */
SEC("tc")
__description("(d) mem in r5, size in slot 1, R6 larger than the buffer")
__success __retval(146)
__naked void mem_r5_size_slot1(void)
{
	asm volatile (
		MEM_R5_SETUP(16, 1000)
		"call %[bpf_kfunc_call_stack_arg_mem_r5];"
		"exit;"
		:: __imm(bpf_kfunc_call_stack_arg_mem_r5)
		: __clobber_all);
}

SEC("tc")
__description("(d) mem in r5, size in slot 1 exceeds the buffer, R6 does not")
__failure
__naked void mem_r5_size_slot1_too_big(void)
{
	asm volatile (
		MEM_R5_SETUP(32, 2)
		"call %[bpf_kfunc_call_stack_arg_mem_r5];"
		"exit;"
		:: __imm(bpf_kfunc_call_stack_arg_mem_r5)
		: __clobber_all);
}

char _license[] SEC("license") = "GPL";
