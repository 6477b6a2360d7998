// intent: accept
// retval: 42
// about: global function verified once against its BTF prototype

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__noinline int checked_read(int *p)
{
	if (!p)
		return -1;
	return *p + 1;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	int x = 41;
	return checked_read(&x);
}

char LICENSE[] SEC("license") = "GPL";
