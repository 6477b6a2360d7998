// intent: reject
// expect: combined stack size of 2 calls is

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __noinline int inner(int x)
{
	volatile char buf[400];
	buf[x & 255] = 1;
	return buf[0];
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	volatile char buf[300];
	buf[skb->len & 127] = 2;
	return inner(skb->len) + buf[1];
}

char LICENSE[] SEC("license") = "GPL";
