// SPDX-License-Identifier: GPL-2.0
/*
 * A program whose extern kfunc declaration disagrees with the kernel's
 * prototype in one chosen way (compile with exactly one -D):
 *   WRONG_PTR     arg 10 of bpf_kfunc_call_stack_arg_mix is an int *, the
 *                 kernel's q is a struct prog_test_pass1 *
 *   WRONG_COUNT   bpf_kfunc_call_stack_arg with 9 parameters (kernel: 10)
 *   NARROW_INT    bpf_kfunc_call_stack_arg's j is a __u32 (kernel: u64) —
 *                 compatible by libbpf's loose rules, not by strict ones
 *   UNKNOWN       a kfunc the kernel does not have
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

#if defined(WRONG_PTR)
extern __u64 bpf_kfunc_call_stack_arg_mix(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
					  __u64 f, __u64 g, struct prog_test_pass1 *p,
					  __u64 h, int *q) __ksym;

SEC("tc")
int prog(struct __sk_buff *skb)
{
	struct prog_test_pass1 p = { .x0 = 10 };
	int q = 20;

	return bpf_kfunc_call_stack_arg_mix(1, 2, 3, 4, 5, 6, 7, &p, 8, &q);
}
#elif defined(WRONG_COUNT)
extern __u64 bpf_kfunc_call_stack_arg(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				      __u64 f, __u64 g, __u64 h, __u64 i) __ksym;

SEC("tc")
int prog(struct __sk_buff *skb)
{
	return bpf_kfunc_call_stack_arg(1, 2, 3, 4, 5, 6, 7, 8, 9);
}
#elif defined(NARROW_INT)
extern __u64 bpf_kfunc_call_stack_arg(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e,
				      __u64 f, __u64 g, __u64 h, __u64 i, __u32 j) __ksym;

SEC("tc")
int prog(struct __sk_buff *skb)
{
	return bpf_kfunc_call_stack_arg(1, 2, 3, 4, 5, 6, 7, 8, 9, 10);
}
#elif defined(UNKNOWN)
extern __u64 bpf_kfunc_call_no_such_kfunc(__u64 a) __ksym;

SEC("tc")
int prog(struct __sk_buff *skb)
{
	return bpf_kfunc_call_no_such_kfunc(1);
}
#else
#error "compile with one of -DWRONG_PTR, -DWRONG_COUNT, -DNARROW_INT, -DUNKNOWN"
#endif

char _license[] SEC("license") = "GPL";
