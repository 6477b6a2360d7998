// intent: reject
// expect: doesn't return scalar

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__noinline int *pick(int *a, int *b)
{
	return a ? a : b;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	int x = 1, y = 2;
	int *p = pick(&x, &y);
	return p ? *p : 0;
}

char LICENSE[] SEC("license") = "GPL";
