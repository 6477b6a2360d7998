// intent: reject
// expect: tail_calls are not allowed when call stack of previous frames is

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} jmp SEC(".maps");

static __noinline int tc_sub(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jmp, 0);
	return 1;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	volatile char buf[300];
	buf[skb->len & 255] = 1;
	return tc_sub(skb) + buf[3];
}

char LICENSE[] SEC("license") = "GPL";
