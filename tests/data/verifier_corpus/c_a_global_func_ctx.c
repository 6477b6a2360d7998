// intent: accept
// retval: 50
// about: global function taking the ctx

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__noinline int get_len(struct __sk_buff *skb)
{
	return skb ? skb->len : 0;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return get_len(skb);
}

char LICENSE[] SEC("license") = "GPL";
