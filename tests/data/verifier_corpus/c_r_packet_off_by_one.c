// intent: reject
// expect: invalid access to packet, off=14 size=1

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
	__u8 *p = (void *)(long)skb->data, *end = (void *)(long)skb->data_end;
	if (p + 14 > end)
		return 0;
	return p[14];
}

char LICENSE[] SEC("license") = "GPL";
