// SPDX-License-Identifier: GPL-2.0
/*
 * More stack-argument rules for tests/verifier/test_stack_args.py: what the
 * acceptance corpus (tests/data/stack_arg/) does not pin down.  Naked asm;
 * built through our toolchain (the "?tc" anchor calls a 7-argument kfunc so
 * that clang emits its extern BTF).  Expectations live in the test.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpf_testmod_kfunc.h"

#define __naked __attribute__((naked))
#define __naked_subprog __attribute__((naked, noinline, used)) static
#define __imm(x) [x] "i"(x)
#define __imm_addr(x) [x] "i"(&x)
#define __imm_const(n, e) [n] "i"(e)
#define __clobber_all "r0", "r1", "r2", "r3", "r4", "r5", "r6", "r7", "r8", "r9", "memory"

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 1);
	__type(key, long long);
	__type(value, long long);
} hash8 SEC(".maps");

/* never loaded: only here for the extern BTF of the kfunc */
SEC("?tc")
int rules_more_btf_anchor(struct __sk_buff *ctx)
{
	char bytes[8] = {};

	return bpf_kfunc_call_stack_arg_mem(0, 0, 0, 0, 0, bytes, sizeof(bytes));
}

/* ---- callees ------------------------------------------------------------ */

/* *f, 8 bytes */
__naked_subprog long deref6(long a, long b, long c, long d, long e, long *f)
{
	asm volatile (
		"r1 = *(u64 *)(r11 + 8);"
		"r0 = *(u64 *)(r1 + 0);"
		"exit;"
		::: __clobber_all);
}

/* returns a; reads f without using it */
__naked_subprog int first6(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"r2 = *(u64 *)(r11 + 8);"
		"r0 = r1;"
		"exit;"
		::: __clobber_all);
}

/* a + f */
__naked_subprog int sum6(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 8);"
		"w0 += w1;"
		"exit;"
		::: __clobber_all);
}

/* forwards its slot 1 as mem__sz of the kfunc, with an 8-byte buffer */
__naked_subprog int size_to_mem_kfunc(int a, int b, int c, int d, int e, int size)
{
	asm volatile (
		"r1 = *(u64 *)(r11 + 8);"
		"r2 = 0;"
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

/* level 2 of a nesting: forwards its two incoming slots to sum7 */
__naked_subprog int sum7(int a, int b, int c, int d, int e, int f, int g)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 8);"
		"r1 = *(u64 *)(r11 + 16);"
		"w0 += w1;"
		"exit;"
		::: __clobber_all);
}

__naked_subprog int forward7(int a, int b, int c, int d, int e, int f, int g)
{
	asm volatile (
		"r6 = *(u64 *)(r11 + 8);"
		"r7 = *(u64 *)(r11 + 16);"
		"*(u64 *)(r11 - 8) = r6;"
		"*(u64 *)(r11 - 16) = r7;"
		"call sum7;"
		"exit;"
		::: __clobber_all);
}

/* a global function with a stack argument: verified on its own */
__attribute__((noinline, used)) __naked int global6(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 8);"
		"w0 += w1;"
		"exit;"
		::: __clobber_all);
}

/* ---- programs ------------------------------------------------------------ */

/* the packet pointer is stored before its bounds check: the range reaches the slot */
SEC("tc")
__naked void pkt_range_reaches_slot(void)
{
	asm volatile (
		"r7 = *(u32 *)(r1 + %[skb_data]);"
		"r8 = *(u32 *)(r1 + %[skb_data_end]);"
		"*(u64 *)(r11 - 8) = r7;"
		"r0 = r7;"
		"r0 += 8;"
		"if r0 > r8 goto 1f;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call deref6;"
	"1:"
		"r0 = 0;"
		"exit;"
		:: __imm_const(skb_data, __builtin_offsetof(struct __sk_buff, data)),
		   __imm_const(skb_data_end, __builtin_offsetof(struct __sk_buff, data_end))
		: __clobber_all);
}

/* without the check the callee's access is out of the packet */
SEC("tc")
__naked void pkt_unchecked_in_slot(void)
{
	asm volatile (
		"r7 = *(u32 *)(r1 + %[skb_data]);"
		"*(u64 *)(r11 - 8) = r7;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call deref6;"
		"r0 = 0;"
		"exit;"
		:: __imm_const(skb_data, __builtin_offsetof(struct __sk_buff, data))
		: __clobber_all);
}

/* map value or NULL in slot 1; the non-NULL branch makes the slot copy a map value */
SEC("tc")
__naked void nonnull_branch_reaches_slot(void)
{
	asm volatile (
		"r1 = 0;"
		"*(u64 *)(r10 - 8) = r1;"
		"r2 = r10;"
		"r2 += -8;"
		"r1 = %[hash8] ll;"
		"call %[bpf_map_lookup_elem];"
		"*(u64 *)(r11 - 8) = r0;"
		"if r0 == 0 goto 1f;"
		"r1 = 0;"
		"r2 = 0;"
		"r3 = 0;"
		"r4 = 0;"
		"r5 = 0;"
		"call deref6;"
	"1:"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_map_lookup_elem), __imm_addr(hash8)
		: __clobber_all);
}

/* without a NULL check the slot holds map_value_or_null */
SEC("tc")
__naked void maybe_null_in_slot_unchecked(void)
{
	asm volatile (
		"r1 = 0;"
		"*(u64 *)(r10 - 8) = r1;"
		"r2 = r10;"
		"r2 += -8;"
		"r1 = %[hash8] ll;"
		"call %[bpf_map_lookup_elem];"
		"*(u64 *)(r11 - 8) = r0;"
		"r1 = 0;"
		"r2 = 0;"
		"r3 = 0;"
		"r4 = 0;"
		"r5 = 0;"
		"call deref6;"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_map_lookup_elem), __imm_addr(hash8)
		: __clobber_all);
}

/* size 4 or 16 into an 8-byte buffer, a checkpoint at every instruction: the
 * slot value is precise, so the 16 path cannot be pruned by the 4 path */
SEC("tc")
__naked void slot_size_not_pruned(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"if r0 > 7 goto 1f;"
		"*(u64 *)(r11 - 8) = 4;"
		"goto 2f;"
	"1:"
		"*(u64 *)(r11 - 8) = 16;"
	"2:"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call size_to_mem_kfunc;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* the size reaches the slot through a register that joins two paths */
SEC("tc")
__naked void slot_size_from_register(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"r6 = 4;"
		"if r0 > 7 goto 1f;"
		"goto 2f;"
	"1:"
		"r6 = 16;"
	"2:"
		"*(u64 *)(r11 - 8) = r6;"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call size_to_mem_kfunc;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* the same with 4 or 8: both fit */
SEC("tc")
__naked void slot_size_both_fit(void)
{
	asm volatile (
		"call %[bpf_get_prandom_u32];"
		"if r0 > 7 goto 1f;"
		"*(u64 *)(r11 - 8) = 4;"
		"goto 2f;"
	"1:"
		"*(u64 *)(r11 - 8) = 8;"
	"2:"
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call size_to_mem_kfunc;"
		"exit;"
		:: __imm(bpf_get_prandom_u32)
		: __clobber_all);
}

/* two levels: main -> forward7 -> sum7 (slot 1 + slot 2 = 20 + 30) */
SEC("tc")
__naked void two_levels(void)
{
	asm volatile (
		"r1 = 1;"
		"*(u64 *)(r11 - 8) = 20;"
		"*(u64 *)(r11 - 16) = 30;"
		"call forward7;"
		"exit;"
		::: __clobber_all);
}

/* a global function taking a stack argument */
SEC("tc")
__naked void calls_global6(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"*(u64 *)(r11 - 8) = 6;"
		"call global6;"
		"exit;"
		::: __clobber_all);
}

/* ... with a pointer where it takes an int */
SEC("tc")
__naked void global6_gets_pointer(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"r6 = r10;"
		"*(u64 *)(r11 - 8) = r6;"
		"call global6;"
		"exit;"
		::: __clobber_all);
}

/* storing an unwritten register into a slot */
SEC("tc")
__naked void store_uninit_register(void)
{
	asm volatile (
		"*(u64 *)(r11 - 8) = r6;"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

/* a callee loading its argument into r10 */
__naked_subprog int load_into_fp(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"r10 = *(u64 *)(r11 + 8);"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

SEC("tc")
__naked void callee_loads_into_fp(void)
{
	asm volatile (
		"*(u64 *)(r11 - 8) = 6;"
		"call load_into_fp;"
		"exit;"
		::: __clobber_all);
}

/* a bpf_loop callback has no incoming stack arguments */
__naked_subprog int loop_cb(int a, int b, int c, int d, int e, int f)
{
	asm volatile (
		"r0 = *(u64 *)(r11 + 8);"
		"r0 = 0;"
		"exit;"
		::: __clobber_all);
}

SEC("tc")
__naked void callback_reads_stack_arg(void)
{
	asm volatile (
		"r1 = 1;"
		"r2 = loop_cb ll;"
		"r3 = 0;"
		"r4 = 0;"
		"*(u64 *)(r11 - 8) = 6;"
		"call %[bpf_loop];"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_loop)
		: __clobber_all);
}

/* a referenced socket handed to a callee through a slot and never released */
SEC("tc")
__naked void sock_in_slot_leaks(void)
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
		"r1 = 1;"
		"r2 = 2;"
		"r3 = 3;"
		"r4 = 4;"
		"r5 = 5;"
		"call first6;"
	"1:"
		"r0 = 0;"
		"exit;"
		:: __imm(bpf_sk_lookup_tcp),
		   __imm_const(tuple_size, sizeof(struct bpf_sock_tuple))
		: __clobber_all);
}

char _license[] SEC("license") = "GPL";
