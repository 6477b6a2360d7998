// intent: reject
// expect: BPF program is too large. Processed 1000001 insn

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
	volatile __u32 acc = 0;
	for (__u32 i = 0; i < 10000000; i++)
		acc += i;
	return acc;
}

char LICENSE[] SEC("license") = "GPL";
