// intent: reject
// expect: arg#0 reference type('UNKNOWN ') size cannot be determined
// about: a global function cannot take void *: the pointee size is unknown

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__noinline int peek(void *p)
{
	return p ? *(char *)p : 0;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	char c = 3;
	return peek(&c);
}

char LICENSE[] SEC("license") = "GPL";
