// intent: reject
// expect: invalid read from stack

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
	char fmt[8] = "hi %d";
	return bpf_trace_printk(fmt, 64, 1);
}

char LICENSE[] SEC("license") = "GPL";
