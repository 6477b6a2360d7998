// intent: accept
// about: clang folds this; kept as the trivial case

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
	int sum = 0;
#pragma clang loop unroll(disable)
	for (int i = 0; i < 100; i++)
		sum += i;
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
