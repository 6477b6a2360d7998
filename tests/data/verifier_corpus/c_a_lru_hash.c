// intent: accept
// retval: 9

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 8);
	__type(key, __u32);
	__type(value, __u32);
} lru SEC(".maps");

SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u32 k = 1, v = 9, *p;
	bpf_map_update_elem(&lru, &k, &v, BPF_NOEXIST);
	p = bpf_map_lookup_elem(&lru, &k);
	return p ? *p : 0;
}

char LICENSE[] SEC("license") = "GPL";
