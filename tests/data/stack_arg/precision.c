// SPDX-License-Identifier: GPL-2.0
/*
 * Precision tracking through stack arguments: the kernel selftest
 * progs/stack_arg_precision.c, transposed.  The caller puts 4 or 6 in slot 1
 * of a 6-argument callee; the callee forwards it as mem__sz (slot 2) of
 * bpf_kfunc_call_stack_arg_mem together with an 8-byte stack buffer
 * 01 02 .. 08 (slot 1).  The size must be marked precise back through the
 * callee's r11 + 8 load into the caller's two r11 - 8 stores.  With
 * bpf_get_prandom_u32() >= 2 the size is 4: 1 + ... + 5 + (1 + 2 + 3 + 4) = 25
 * (the later revision of the selftest checks __retval(25)).
 *
 * The instruction layout is the selftest's, so the log-level-2 lines it
 * expects ("mark_precise: frame1: last_idx 26 first_idx 13 ...") refer to
 * the same indices here.  A plain C program in its own "?tc" section makes
 * clang emit the kfunc's extern BTF (inline asm alone does not).  That C
 * call has seven arguments, so this file is built through our toolchain;
 * the naked functions pass through it untouched.  Parameter names for the
 * naked callee come from btf__precision.c.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpf_testmod_kfunc.h"

/* ---- bpf_misc.h, the parts used here ---------------------------------- */
#define __sa_str(x) #x
#define __sa_xstr(x) __sa_str(x)
#define __sa_tag(t) __attribute__((btf_decl_tag("comment:" __sa_xstr(__COUNTER__) ":" t)))
#define __success __sa_tag("test_expect_success")
#define __msg(m) __sa_tag("test_expect_msg=" m)
#define __retval(v) __sa_tag("test_retval=" #v)
#define __flag(f) __sa_tag("test_prog_flags=" #f)
#define __log_level(l) __sa_tag("test_log_level=" #l)
#define __btf_func_path(p) __sa_tag("test_btf_func_path=" p)
#define __description(d) __sa_tag("test_description=" d)
#define __naked __attribute__((naked))
#define __naked_subprog __attribute__((naked, noinline, used)) static
#define __imm(x) [x] "i"(x)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"

/* never loaded: only here for the extern BTF of the kfunc */
SEC("?tc")
int mem_kfunc_btf_anchor(struct __sk_buff *ctx)
{
	char bytes[8] = {};

	return bpf_kfunc_call_stack_arg_mem(0, 0, 0, 0, 0, bytes, sizeof(bytes));
}

/* size arrives as arg 6 and leaves as mem__sz (arg 7) of the kfunc */
__naked_subprog long forward_size_to_mem_kfunc(long a, long b, long c, long d, long e, long size)
{
	asm volatile (
		"r1 = *(u64 *)(r11 + 8);"
		"r2 = 0x0807060504030201 ll;"
		"*(u64 *)(r10 - 8) = r2;"
		"r2 = r10;"
		"r2 += -8;"
		"*(u64 *)(r11 - 8) = r2;"
		"*(u64 *)(r11 - 16) = r1;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call %[bpf_kfunc_call_stack_arg_mem];"
		"exit;"
		:: __imm(bpf_kfunc_call_stack_arg_mem)
		: __clobber_all);
}

SEC("tc")
__description("mem__sz precision crosses a BPF-to-BPF stack argument")
__success __retval(25) __log_level(2) __flag(BPF_F_TEST_STATE_FREQ)
__btf_func_path("btf__precision.bpf.o")
__msg("mark_precise: frame1: last_idx 26 first_idx 13 subseq_idx -1")
__msg("mark_precise: frame1: regs= stack= before 20: (7b) *(u64 *)(r11 -16) = r1")
__msg("mark_precise: frame1: regs=r1 stack= before 19: (7b) *(u64 *)(r11 -8) = r2")
__msg("mark_precise: frame1: regs=r1 stack= before 13: (79) r1 = *(u64 *)(r11 +8)")
__msg("mark_precise: frame0: regs= stack= before 8: (7a) *(u64 *)(r11 -8) = 4")
__msg("mark_precise: frame0: regs= stack= before 10: (7a) *(u64 *)(r11 -8) = 6")
__naked void size_precise_through_slot(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r6 = r0;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"if r6 < 2 goto 1f;"
		"*(u64 *)(r11 - 8) = 4;"
		"goto 2f;"
	"1:"
		"*(u64 *)(r11 - 8) = 6;"
	"2:"
		"call forward_size_to_mem_kfunc;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

char _license[] SEC("license") = "GPL";
