// intent: reject
// expect: unbounded memory access
// about: a global function is checked for every argument value, not the caller's

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__u32 table[8];

__noinline int get(__u32 i)
{
	return table[i];
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return get(skb->len & 7);
}

char LICENSE[] SEC("license") = "GPL";
