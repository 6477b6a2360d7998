// intent: reject
// expect: offset is outside of the packet

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
	__u32 off = bpf_get_prandom_u32();
	p += off;
	if (p + 1 > end)
		return 0;
	return *p;
}

char LICENSE[] SEC("license") = "GPL";
