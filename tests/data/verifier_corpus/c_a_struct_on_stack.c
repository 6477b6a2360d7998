// intent: accept
// retval: 3

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct pair { __u32 a; __u64 b; };

SEC("socket")
int prog(struct __sk_buff *skb)
{
	struct pair p = { .a = 1, .b = 2 }, q;
	__builtin_memcpy(&q, &p, sizeof(q));
	return q.a + q.b;
}

char LICENSE[] SEC("license") = "GPL";
