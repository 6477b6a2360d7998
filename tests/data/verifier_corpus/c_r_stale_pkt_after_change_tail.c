// intent: reject
// expect: invalid mem access 'scalar'
// about: bpf_skb_change_tail invalidates packet pointers

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
	if (p + 1 > end)
		return 0;
	bpf_skb_change_tail(skb, 100, 0);
	return *p;
}

char LICENSE[] SEC("license") = "GPL";
