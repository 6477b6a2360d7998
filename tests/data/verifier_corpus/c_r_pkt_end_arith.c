// intent: reject
// expect: pointer arithmetic on pkt_end prohibited

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
	void *end = (void *)(long)skb->data_end;
	asm volatile("%0 += 1" : "+r"(end));
	return end != 0;
}

char LICENSE[] SEC("license") = "GPL";
