// intent: accept
// retval: 20

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__u32 table[8] = { 0, 10, 20, 30, 40, 50, 60, 70 };

__noinline int get(__u32 i)
{
	if (i >= 8)
		return -1;
	return table[i];
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return get(skb->len & 7);
}

char LICENSE[] SEC("license") = "GPL";
