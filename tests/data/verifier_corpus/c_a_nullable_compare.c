// intent: accept
// retval: 4
// about: the NULL check on a copy also covers the original (same id)

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

SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u32 k = 1;
	__u64 *v = bpf_map_lookup_elem(&h, &k);
	__u64 *w = v;
	if (w == 0)
		return 4;
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
