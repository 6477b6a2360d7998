// intent: reject
// expect: bpf_spin_unlock without taking a lock

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct val {
	struct bpf_spin_lock lock;
	int x;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct val);
} lm SEC(".maps");

SEC("tc")
int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct val *v = bpf_map_lookup_elem(&lm, &k);
	if (!v)
		return 0;
	bpf_spin_unlock(&v->lock);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
