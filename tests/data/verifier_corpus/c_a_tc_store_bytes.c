// intent: accept
// retval: 66

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
	__u8 v = 0x42, out = 0;
	if (bpf_skb_store_bytes(skb, 0, &v, 1, 0))
		return -1;
	bpf_skb_load_bytes(skb, 0, &out, 1);
	return out;
}

char LICENSE[] SEC("license") = "GPL";
