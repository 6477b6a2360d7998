// intent: reject
// expect: write into map forbidden

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

const volatile int limit = 5;

SEC("socket")
int prog(struct __sk_buff *skb)
{
	int *p = (int *)&limit;
	asm volatile("" : "+r"(p));	/* keep clang from deleting the UB store */
	*p = 6;
	return limit;
}

char LICENSE[] SEC("license") = "GPL";
