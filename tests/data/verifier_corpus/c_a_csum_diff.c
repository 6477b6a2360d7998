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
	__be32 a[2] = { 1, 2 }, b[2] = { 3, 4 };
	__s64 r = bpf_csum_diff(a, sizeof(a), b, sizeof(b), 0);
	return r >= 0;
}

char LICENSE[] SEC("license") = "GPL";
