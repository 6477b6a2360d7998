// intent: reject
// expect: unbounded memory access, make sure to bounds check any such access

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__u32 table[16];

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return table[skb->len];
}

char LICENSE[] SEC("license") = "GPL";
