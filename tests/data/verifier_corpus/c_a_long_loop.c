// intent: accept
// retval: 1
// about: 5000 iterations, each state distinct: tens of thousands of verified insns

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
	volatile __u32 acc = 0;
	for (__u32 i = 0; i < 5000; i++)
		acc += i;
	return acc == 12497500;
}

char LICENSE[] SEC("license") = "GPL";
