// intent: accept
// retval: 7

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
	volatile __u8 buf[16] = {};
	__u32 i = skb->len & 15;
	buf[i] = 7;
	return buf[i];
}

char LICENSE[] SEC("license") = "GPL";
