// intent: accept
// retval: 1
// about: five-argument calls with live values across them (spills)

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __noinline __u64 mix(__u64 a, __u64 b, __u64 c, __u64 d, __u64 e)
{
	return a ^ (b << 1) ^ (c << 2) ^ (d << 3) ^ (e << 4);
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u64 a = skb->len, b = skb->protocol, c = skb->pkt_type, d = skb->mark, e = a * 3;
	__u64 x = mix(a, b, c, d, e);
	__u64 y = mix(e, d, c, b, a);
	return (x + y + a + b + c + d + e) != 0;
}

char LICENSE[] SEC("license") = "GPL";
