// intent: reject
// expect: program of this type cannot use helper bpf_skb_store_bytes#9

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
	__u8 v = 1;
	return bpf_skb_store_bytes(skb, 0, &v, 1, 0);
}

char LICENSE[] SEC("license") = "GPL";
