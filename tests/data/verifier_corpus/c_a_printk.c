// intent: accept
// retval: 0

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
	bpf_printk("len %u", skb->len);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
