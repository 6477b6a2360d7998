// intent: reject
// expect: value -2147483648 makes fp pointer be out of bounds

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
	volatile char buf[64] = {};
	int i = (int)skb->len - 100;
	if (i >= 64)
		return 0;
	buf[i] = 1;
	return buf[0];
}

char LICENSE[] SEC("license") = "GPL";
