// intent: accept
// retval: 4

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

static __u64 cb(void *map, __u32 *key, __u64 *val, void *ctx)
{
	*(int *)ctx += 1;
	return 0;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	int n = 0;
	bpf_for_each_map_elem(&arr, cb, &n, 0);
	return n;
}

char LICENSE[] SEC("license") = "GPL";
