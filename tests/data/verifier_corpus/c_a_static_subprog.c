// intent: accept
// retval: 102

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __noinline int twice(int x)
{
	return x * 2;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return twice(skb->len) + twice(1);
}

char LICENSE[] SEC("license") = "GPL";
