// intent: accept
// retval: 0
// about: root: the helper may read the uninitialised upper half of the value

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
	__u32 k = 1, small = 3;
	return bpf_map_update_elem(&h, &k, &small, BPF_ANY);
}

char LICENSE[] SEC("license") = "GPL";
