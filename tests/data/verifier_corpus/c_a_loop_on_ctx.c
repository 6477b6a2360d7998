// intent: accept
// retval: 1225
// about: bounded loop whose trip count the verifier only knows as <= 63

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u32 n = skb->len & 63, sum = 0;
#pragma clang loop unroll(disable)
	for (__u32 i = 0; i < n; i++)
		sum += i;
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
