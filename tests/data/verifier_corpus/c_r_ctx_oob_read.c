// intent: reject
// expect: invalid bpf_context access off=400 size=4

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
	return ((__u32 *)skb)[100];
}

char LICENSE[] SEC("license") = "GPL";
