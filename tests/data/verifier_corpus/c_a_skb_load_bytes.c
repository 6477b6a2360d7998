// intent: accept
// retval: 69
// about: socket filters see the packet from the network header

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
	__u8 buf[4];
	if (bpf_skb_load_bytes(skb, 0, buf, sizeof(buf)))
		return -1;
	return buf[0];
}

char LICENSE[] SEC("license") = "GPL";
