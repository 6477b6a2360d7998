// intent: accept
// retval: 5

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
	__u32 key = 2;
	__u64 *v = bpf_map_lookup_elem(&arr, &key);
	if (!v)
		return -1;
	*v += 5;
	return *v;
}

char LICENSE[] SEC("license") = "GPL";
