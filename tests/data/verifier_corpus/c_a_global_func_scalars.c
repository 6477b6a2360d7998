// intent: accept
// retval: 15
// about: five scalar arguments: the most a call can pass without stack arguments

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__noinline int mix5(int a, int b, int c, int d, int e)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return mix5(1, 1, 1, 1, 1);
}

char LICENSE[] SEC("license") = "GPL";
