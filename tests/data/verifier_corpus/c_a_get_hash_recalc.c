// intent: accept
// retval: 1

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
	return bpf_get_hash_recalc(skb) != 0 || 1;
}

char LICENSE[] SEC("license") = "GPL";
