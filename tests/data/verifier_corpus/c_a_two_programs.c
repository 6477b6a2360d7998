// intent: accept
// prog: second
// retval: 2
// about: pick one program of several in the object

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("socket")
int first(struct __sk_buff *skb)
{
	return 1;
}

SEC("socket")
int second(struct __sk_buff *skb)
{
	return 2;
}

char LICENSE[] SEC("license") = "GPL";
