#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

extern __u64 my_weighted_sum(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e, __u64 f,
			     __u64 g) __ksym;

SEC("tc")
int weigh(struct __sk_buff *skb)
{
	return my_weighted_sum(1, 1, 1, 1, 1, 1, 2);	/* 1+2+3+4+5+6 + 7*2 = 35 */
}

char _license[] SEC("license") = "GPL";
