// intent: accept
// retval: 64
// about: root may subtract two packet pointers (the result is a scalar)

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
	return (long)skb->data_end - (long)skb->data;
}

char LICENSE[] SEC("license") = "GPL";
