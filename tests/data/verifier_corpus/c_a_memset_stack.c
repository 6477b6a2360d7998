// intent: accept
// retval: 50

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
	__u64 buf[32];
	__builtin_memset(buf, 0, sizeof(buf));
	buf[31] = skb->len;
	return buf[31] + buf[0];
}

char LICENSE[] SEC("license") = "GPL";
