// intent: accept

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
	__u32 h = 0;
#pragma unroll
	for (int i = 0; i < 16; i++)
		h = h * 31 + (skb->len >> (i & 3));
	return h & 0xff;
}

char LICENSE[] SEC("license") = "GPL";
