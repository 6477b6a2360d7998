// intent: accept
// retval: 12
// about: skb->cb is writable from socket filters

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
	skb->cb[0] = 11;
	skb->cb[1] = skb->cb[0] + 1;
	return skb->cb[1];
}

char LICENSE[] SEC("license") = "GPL";
