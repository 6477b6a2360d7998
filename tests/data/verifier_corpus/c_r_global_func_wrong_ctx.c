// intent: reject
// expect: Caller passes invalid args into func#1 ('get_len')

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__noinline int get_len(struct __sk_buff *skb)
{
	return skb ? skb->len : 0;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	struct __sk_buff fake = {};
	return get_len(&fake);
}

char LICENSE[] SEC("license") = "GPL";
