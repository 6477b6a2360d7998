// SPDX-License-Identifier: GPL-2.0
/*
 * kfunc calls with more than five arguments, in plain C: the programs of the
 * kernel selftest progs/stack_arg_kfunc.c (run by prog_tests/stack_arg.c,
 * subtest "kfunc", on pkt_v4 = 54 bytes), transposed — same kfuncs, same
 * arguments, same results, our own code and names.  The kfunc prototypes
 * come from the mock kernel's headers (pipeline/kernel/include).  Built
 * through our toolchain.
 */
/* struct bpf_iter_num is UAPI only since Linux 6.4; keep whatever the host
 * header has out of the way (bpf_kfuncs.h only forward-declares it). */
#define bpf_iter_num __host_uapi_bpf_iter_num
#include <linux/bpf.h>
#undef bpf_iter_num
#include <bpf/bpf_helpers.h>
#include "bpf_kfuncs.h"
#include "bpf_testmod_kfunc.h"

/* opaque on the BPF side, as the selftests declare it */
struct bpf_iter_testmod_seq {
	__u64 :64;
	__u64 :64;
};

extern int bpf_iter_testmod_seq_new(struct bpf_iter_testmod_seq *it, __s64 value, int cnt) __ksym;
extern void bpf_iter_testmod_seq_destroy(struct bpf_iter_testmod_seq *it) __ksym;

struct timer_holder {
	struct bpf_timer t;
};

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, int);
	__type(value, struct timer_holder);
} kf_timers SEC(".maps");

/* 1 + ... + 10 = 55 */
SEC("tc")
int kf_ten_scalars(struct __sk_buff *skb)
{
	return bpf_kfunc_call_stack_arg(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
}

/* 1 + ... + 9 + x0 + x1 = 45 + 10 + 20 = 75 */
SEC("tc")
int kf_struct_ptr_last(struct __sk_buff *skb)
{
	struct prog_test_pass1 s = { .x0 = 10, .x1 = 20 };

	return bpf_kfunc_call_stack_arg_ptr(1, 2, 3, 4, 5, 6, 7, 8, 9, &s);
}

/* 1 + ... + 7 + p.x0 + 8 + q.x1 = 28 + 10 + 8 + 20 = 66 */
SEC("tc")
int kf_ptr_scalar_ptr(struct __sk_buff *skb)
{
	struct prog_test_pass1 p = { .x0 = 10 };
	struct prog_test_pass1 q = { .x1 = 20 };

	return bpf_kfunc_call_stack_arg_mix(1, 2, 3, 4, 5, 6, 7, &p, 8, &q);
}

/* 1 + ... + 9 + dynptr size = 45 + 54 = 99 */
SEC("tc")
int kf_skb_dynptr(struct __sk_buff *skb)
{
	struct bpf_dynptr dp;

	bpf_dynptr_from_skb(skb, 0, &dp);
	return bpf_kfunc_call_stack_arg_dynptr(1, 2, 3, 4, 5, 6, 7, 8, 9, &dp);
}

/* mem in slot 1, its size in slot 2: 1 + ... + 5 + (1 + ... + 16) = 151 */
SEC("tc")
int kf_mem_and_size(struct __sk_buff *skb)
{
	char bytes[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

	return bpf_kfunc_call_stack_arg_mem(1, 2, 3, 4, 5, bytes, sizeof(bytes));
}

/* 1 + ... + 9 + the iterator's value 100 = 145 */
SEC("tc")
int kf_iterator(struct __sk_buff *skb)
{
	struct bpf_iter_testmod_seq it;
	__u64 sum;

	bpf_iter_testmod_seq_new(&it, 100, 10);
	sum = bpf_kfunc_call_stack_arg_iter(1, 2, 3, 4, 5, 6, 7, 8, 9, &it);
	bpf_iter_testmod_seq_destroy(&it);
	return sum;
}

const char greeting[] = "hello";

/* 1 + ... + 9 = 45 (the string is only checked, never read) */
SEC("tc")
int kf_const_string(struct __sk_buff *skb)
{
	return bpf_kfunc_call_stack_arg_const_str(1, 2, 3, 4, 5, 6, 7, 8, 9, greeting);
}

/* 1 + ... + 9 = 45 (the timer is only checked) */
SEC("tc")
int kf_map_timer(struct __sk_buff *skb)
{
	struct timer_holder *h;
	int key = 0;

	h = bpf_map_lookup_elem(&kf_timers, &key);
	if (!h)
		return 0;
	return bpf_kfunc_call_stack_arg_timer(1, 2, 3, 4, 5, 6, 7, 8, 9, &h->t);
}

char _license[] SEC("license") = "GPL";
