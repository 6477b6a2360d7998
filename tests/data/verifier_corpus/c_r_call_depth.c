// intent: reject
// expect: the call stack of 9 frames is too deep

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static __noinline int f9(int x) { return x * 3; }
static __noinline int f8(int x) { return f9(x + 1) + 1; }
static __noinline int f7(int x) { return f8(x + 1) + 1; }
static __noinline int f6(int x) { return f7(x + 1) + 1; }
static __noinline int f5(int x) { return f6(x + 1) + 1; }
static __noinline int f4(int x) { return f5(x + 1) + 1; }
static __noinline int f3(int x) { return f4(x + 1) + 1; }
static __noinline int f2(int x) { return f3(x + 1) + 1; }
static __noinline int f1(int x) { return f2(x + 1) + 1; }

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return f1(skb->len);
}

char LICENSE[] SEC("license") = "GPL";
