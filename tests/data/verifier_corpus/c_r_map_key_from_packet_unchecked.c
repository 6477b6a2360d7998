// intent: reject
// expect: invalid access to packet

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 16);
	__type(key, __u32);
	__type(value, __u64);
} h SEC(".maps");

SEC("tc")
int prog(struct __sk_buff *skb)
{
	__u32 *key = (void *)(long)skb->data;
	__u64 *v = bpf_map_lookup_elem(&h, key);
	return v ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
