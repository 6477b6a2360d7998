// intent: reject
// expect: expected prog array map for tail call

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 4);
	__type(key, __u32);
	__type(value, __u64);
} arr SEC(".maps");

SEC("socket")
int prog(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &arr, 0);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
