// SPDX-License-Identifier: GPL-2.0
/*
 * BPF-to-BPF calls with more than five arguments, in plain C: the programs of
 * the kernel selftest progs/stack_arg.c (run by prog_tests/stack_arg.c on
 * pkt_v4), transposed — same calls, same results, our own code and names.
 * Built through our toolchain (clang-22 plus the r11 lowering).  Expected
 * results are in tests/verifier/stack_arg_cases.py.
 *
 * Every static callee is reached through a global function whose arguments
 * the optimiser cannot see, so the stack arguments are real stores and loads
 * (no constant folding, no dead-argument elimination).
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "bpf_kfuncs.h"

#ifndef __arg_ctx
#define __arg_ctx __attribute__((btf_decl_tag("arg:ctx")))
#endif

#define CLOCK_MONOTONIC 1

/* ---- ten ints through a global function: 1 + 2 + ... + 10 = 55 ---------- */

__noinline static int add_ten(int a, int b, int c, int d, int e,
			      int f, int g, int h, int i, int j)
{
	return a + b + c + d + e + f + g + h + i + j;
}

__noinline int spread_three(int a, int b, int c)
{
	/* a = 1, b = 2, c = 3: the remaining seven are 4..10 */
	return add_ten(a, b, c, a + 3, a + 4, a + 5, a + 6, a + 7, a + 8, a + 9);
}

SEC("tc")
int ten_ints_via_global(void)
{
	return spread_three(1, 2, 3);
}

/* ---- a pointer in the last stack slot: 1..9 + 10 + 20 = 75 -------------- */

struct two_longs {
	long first;
	long second;
};

__noinline static long nine_and_pair(long a, long b, long c, long d, long e,
				     long f, long g, long h, long i,
				     struct two_longs *pair)
{
	return a + b + c + d + e + f + g + h + i + pair->first + pair->second;
}

__noinline long pair_in_slot_five(long a, long b, long c, long d, long e)
{
	struct two_longs pair = { .first = 10, .second = 20 };

	return nine_and_pair(a, b, c, d, e, a + 5, a + 6, a + 7, a + 8, &pair);
}

SEC("tc")
int stack_struct_ptr_arg(void)
{
	return pair_in_slot_five(1, 2, 3, 4, 5);
}

/* ---- pointers in slots 3 and 5, a scalar between: 1..7 + 10 + 8 + 20 = 66 */

__noinline static long ptr_scalar_ptr(long a, long b, long c, long d, long e,
				      long f, long g, struct two_longs *left,
				      long h, struct two_longs *right)
{
	return a + b + c + d + e + f + g + left->first + h + right->second;
}

__noinline long two_pairs_interleaved(long a, long b, long c, long d, long e)
{
	struct two_longs left = { .first = 10 };
	struct two_longs right = { .second = 20 };

	return ptr_scalar_ptr(a, b, c, d, e, e + 1, e + 2, &left, e + 3, &right);
}

SEC("tc")
int interleaved_ptr_args(void)
{
	return two_pairs_interleaved(1, 2, 3, 4, 5);
}

/* ---- an outer callee forwards its incoming stack args (+1) and the pointer
 *      to an inner one: 2 + 3 + ... + 10 + 10 + 20 = 84 -------------------- */

__noinline static long inner_sum(long a, long b, long c, long d, long e,
				 long f, long g, long h, long i,
				 struct two_longs *pair)
{
	return a + b + c + d + e + f + g + h + i + pair->first + pair->second;
}

__noinline static long outer_bump(long a, long b, long c, long d, long e,
				  long f, long g, long h, long i,
				  struct two_longs *pair)
{
	return inner_sum(a + 1, b + 1, c + 1, d + 1, e + 1,
			 f + 1, g + 1, h + 1, i + 1, pair);
}

__noinline long nest_two_levels(long a, long b, long c, long d, long e)
{
	struct two_longs pair = { .first = 10, .second = 20 };

	return outer_bump(a, b, c, d, e, a + 5, a + 6, a + 7, a + 8, &pair);
}

SEC("tc")
int nested_stack_args(void)
{
	return nest_two_levels(1, 2, 3, 4, 5);
}

/* ---- a dynptr on the caller's stack passed in slot 5:
 *      1..9 + bpf_dynptr_size = 45 + 54 (pkt_v4) = 99 ------------------------ */

__noinline static long nine_and_dynptr(long a, long b, long c, long d, long e,
				       long f, long g, long h, long i,
				       struct bpf_dynptr *dp)
{
	return a + b + c + d + e + f + g + h + i + bpf_dynptr_size(dp);
}

__noinline long skb_dynptr_in_slot(void *ctx __arg_ctx, long a, long b, long c, long d)
{
	struct bpf_dynptr dp;

	bpf_dynptr_from_skb(ctx, 0, &dp);
	return nine_and_dynptr(a, b, c, d, d + 1, d + 2, d + 3, d + 4, d + 5, &dp);
}

SEC("tc")
int dynptr_stack_arg(struct __sk_buff *skb)
{
	return skb_dynptr_in_slot(skb, 1, 2, 3, 4);
}

/* ---- one caller, a 10-argument and a 12-argument callee (7 slots):
 *      55 + 78 = 133 ---------------------------------------------------------- */

__noinline static int ten_args(int a, int b, int c, int d, int e,
			       int f, int g, int h, int i, int j)
{
	return a + b + c + d + e + f + g + h + i + j;
}

__noinline static int twelve_args(int a, int b, int c, int d, int e, int f,
				  int g, int h, int i, int j, int k, int l)
{
	return a + b + c + d + e + f + g + h + i + j + k + l;
}

__noinline int call_ten_then_twelve(int a, int b, int c, int d, int e)
{
	int sum;

	sum = ten_args(a, b, c, d, e, a + 5, a + 6, a + 7, a + 8, a + 9);
	sum += twelve_args(a, b, c, d, e, a + 5, a + 6, a + 7, a + 8, a + 9,
			   a + 10, a + 11);
	return sum;
}

SEC("tc")
int ten_and_twelve_args(void)
{
	return call_ten_then_twelve(1, 2, 3, 4, 5);
}

/* ---- a timer callback calling the 10-argument function:
 *      10 * (1 + ... + 10) = 550 in timer_sum; the program returns 0 -------- */

struct timer_slot {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct timer_slot);
} cb_timers SEC(".maps");

int timer_sum;
const volatile int timer_step = 10;

static int fire_many_args(void *map, int *key, struct bpf_timer *timer)
{
	int s = timer_step;

	timer_sum = add_ten(s, 2 * s, 3 * s, 4 * s, 5 * s,
			    6 * s, 7 * s, 8 * s, 9 * s, 10 * s);
	return 0;
}

SEC("tc")
int timer_cb_many_args(void)
{
	struct timer_slot *slot;
	int key = 0;

	slot = bpf_map_lookup_elem(&cb_timers, &key);
	if (!slot)
		return -1;
	bpf_timer_init(&slot->timer, &cb_timers, CLOCK_MONOTONIC);
	bpf_timer_set_callback(&slot->timer, fire_many_args);
	bpf_timer_start(&slot->timer, 1, 0);
	return 0;
}

char _license[] SEC("license") = "GPL";
