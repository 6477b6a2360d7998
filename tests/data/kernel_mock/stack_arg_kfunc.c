// SPDX-License-Identifier: GPL-2.0
/*
 * The programs of the selftest progs/stack_arg_kfunc.c, written from their
 * description in reference/testmod_kfuncs.md §3.2; the expected return
 * values in the comments are the selftest's (prog_tests/stack_arg.c runs
 * them on pkt_v4, 54 bytes).  Plus two programs for the reference-tracking
 * pair and the numeric iterator.
 */
/* struct bpf_iter_num is UAPI since Linux 6.4; older <linux/bpf.h> copies
 * (this project's build hosts among them) lack it.  Rename whatever the
 * header has and define the kernel's layout ourselves either way. */
#define bpf_iter_num __uapi_bpf_iter_num
#include <linux/bpf.h>
#undef bpf_iter_num
struct bpf_iter_num {
	__u64 __opaque[1];
} __attribute__((aligned(8)));

#include <bpf/bpf_helpers.h>
#include "bpf_testmod_kfunc.h"
#include "bpf_kfuncs.h"

/* opaque on the BPF side, as in the selftests */
struct bpf_iter_testmod_seq {
	__u64 :64;
	__u64 :64;
};

extern int bpf_iter_testmod_seq_new(struct bpf_iter_testmod_seq *it, __s64 value, int cnt) __ksym;
extern void bpf_iter_testmod_seq_destroy(struct bpf_iter_testmod_seq *it) __ksym;

struct timer_map_value {
	struct bpf_timer timer;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct timer_map_value);
} kfunc_timer_map SEC(".maps");

/* 1 + ... + 10 = 55 */
SEC("tc")
int test_stack_arg_scalar(struct __sk_buff *skb)
{
	return bpf_kfunc_call_stack_arg(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
}

/* 45 + x0 10 + x1 20 = 75 */
SEC("tc")
int test_stack_arg_ptr(struct __sk_buff *skb)
{
	struct prog_test_pass1 p = { .x0 = 10, .x1 = 20 };

	return bpf_kfunc_call_stack_arg_ptr(1, 2, 3, 4, 5, 6, 7, 8, 9, &p);
}

/* 1..7 = 28, + p->x0 10 + 8 + q->x1 20 = 66 */
SEC("tc")
int test_stack_arg_mix(struct __sk_buff *skb)
{
	struct prog_test_pass1 p = { .x0 = 10 };
	struct prog_test_pass1 q = { .x1 = 20 };

	return bpf_kfunc_call_stack_arg_mix(1, 2, 3, 4, 5, 6, 7, &p, 8, &q);
}

/* 45 + the skb dynptr's size, the packet length 54 = 99 */
SEC("tc")
int test_stack_arg_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr d;

	bpf_dynptr_from_skb(skb, 0, &d);
	return bpf_kfunc_call_stack_arg_dynptr(1, 2, 3, 4, 5, 6, 7, 8, 9, &d);
}

/* 15 + (1 + ... + 16) = 151 */
SEC("tc")
int test_stack_arg_mem(struct __sk_buff *skb)
{
	char buf[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};

	return bpf_kfunc_call_stack_arg_mem(1, 2, 3, 4, 5, buf, sizeof(buf));
}

/* 45 + the iterator's value 100 = 145 */
SEC("tc")
int test_stack_arg_iter(struct __sk_buff *skb)
{
	struct bpf_iter_testmod_seq it;
	__u64 ret;

	bpf_iter_testmod_seq_new(&it, 100, 10);
	ret = bpf_kfunc_call_stack_arg_iter(1, 2, 3, 4, 5, 6, 7, 8, 9, &it);
	bpf_iter_testmod_seq_destroy(&it);
	return ret;
}

const char cstr[] = "hello";

/* 45 */
SEC("tc")
int test_stack_arg_const_str(struct __sk_buff *skb)
{
	return bpf_kfunc_call_stack_arg_const_str(1, 2, 3, 4, 5, 6, 7, 8, 9, cstr);
}

/* 45 */
SEC("tc")
int test_stack_arg_timer(struct __sk_buff *skb)
{
	struct timer_map_value *val;
	int key = 0;

	val = bpf_map_lookup_elem(&kfunc_timer_map, &key);
	if (!val)
		return 0;
	return bpf_kfunc_call_stack_arg_timer(1, 2, 3, 4, 5, 6, 7, 8, 9, &val->timer);
}

/* bpf_testmod's prog_test_struct has a = 42, b = 108 */
SEC("tc")
int test_acquire_release(struct __sk_buff *skb)
{
	unsigned long sp = 0;
	struct prog_test_ref_kfunc *p;
	int ret;

	p = bpf_kfunc_call_test_acquire(&sp);
	if (!p)
		return -1;
	ret = p->a + p->b;
	bpf_kfunc_call_test_release(p);
	return ret;
}

/* 0 + 1 + ... + 9 = 45, counted by the open-coded numeric iterator */
SEC("tc")
int test_iter_num(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int *v, sum = 0;

	bpf_iter_num_new(&it, 0, 10);
	while ((v = bpf_iter_num_next(&it)))
		sum += *v;
	bpf_iter_num_destroy(&it);
	return sum;
}

char _license[] SEC("license") = "GPL";
