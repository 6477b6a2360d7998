// SPDX-License-Identifier: GPL-2.0
/*
 * The v1 series' progs/stack_arg_kfunc.c (shared/seed, patch 08), with the v1
 * bpf_testmod_kfunc.h prototypes declared here instead of vmlinux.h + the test module
 * header.  prog_tests/stack_arg.c expects 36, 45 and 51 (pkt_v4 input).  Needs
 * `--kmod testmod_v1`: the final series' kfuncs of the same names take ten arguments.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct prog_test_pass1 {
	int x0;
	struct {
		int x1;
		struct {
			int x2;
			struct {
				int x3;
			};
		};
	};
};

extern __u64 bpf_kfunc_call_stack_arg(__u64 a, __u64 b, __u64 c, __u64 d,
				      __u64 e, __u64 f, __u64 g, __u64 h) __ksym;
extern __u64 bpf_kfunc_call_stack_arg_ptr(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
					  struct prog_test_pass1 *p) __ksym;
extern __u64 bpf_kfunc_call_stack_arg_mix(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
					  struct prog_test_pass1 *p, __u64 f,
					  struct prog_test_pass1 *q) __ksym;

SEC("tc")
int test_stack_arg_scalar(struct __sk_buff *skb)
{
	return bpf_kfunc_call_stack_arg(1, 2, 3, 4, 5, 6, 7, 8);
}

SEC("tc")
int test_stack_arg_ptr(struct __sk_buff *skb)
{
	struct prog_test_pass1 p = { .x0 = 10, .x1 = 20 };

	return bpf_kfunc_call_stack_arg_ptr(1, 2, 3, 4, 5, &p);
}

SEC("tc")
int test_stack_arg_mix(struct __sk_buff *skb)
{
	struct prog_test_pass1 p = { .x0 = 10 };
	struct prog_test_pass1 q = { .x1 = 20 };

	return bpf_kfunc_call_stack_arg_mix(1, 2, 3, 4, 5, &p, 6, &q);
}

char _license[] SEC("license") = "GPL";
