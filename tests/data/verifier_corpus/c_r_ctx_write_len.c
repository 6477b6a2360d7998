// intent: reject
// expect: invalid bpf_context access off=0 size=4

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("tc")
int prog(struct __sk_buff *skb)
{
	skb->len = 0;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
