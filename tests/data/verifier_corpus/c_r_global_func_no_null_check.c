// intent: reject
// expect: invalid mem access 'mem_or_null'
// about: global functions are verified for any argument, NULL included

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__noinline int read_it(int *p)
{
	return *p;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	int x = 1;
	return read_it(&x);
}

char LICENSE[] SEC("license") = "GPL";
