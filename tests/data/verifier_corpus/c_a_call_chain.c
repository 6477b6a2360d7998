// intent: accept
// retval: 7

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __noinline int f3(int x) { return x + 3; }
static __noinline int f2(int x) { return f3(x) * 2; }
static __noinline int f1(int x) { return f2(x) - 1; }

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return f1(1);
}

char LICENSE[] SEC("license") = "GPL";
