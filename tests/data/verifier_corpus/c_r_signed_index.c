// intent: reject
// expect: math between map_value pointer and register with unbounded min value is not allowed

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct val { __u32 slots[8]; };
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct val);
} vals SEC(".maps");

SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	int i = (int)skb->len - 100;
	struct val *v = bpf_map_lookup_elem(&vals, &k);
	if (!v || i >= 8)
		return 0;
	return v->slots[i];
}

char LICENSE[] SEC("license") = "GPL";
