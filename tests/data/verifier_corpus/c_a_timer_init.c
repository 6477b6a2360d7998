// intent: accept
// about: bpf_timer in a BTF-described map value

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct tval {
	struct bpf_timer t;
};
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, struct tval);
} tm SEC(".maps");

SEC("tc")
int prog(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct tval *v = bpf_map_lookup_elem(&tm, &k);
	if (!v)
		return 0;
	return bpf_timer_init(&v->t, &tm, 1) == 0;
}

char LICENSE[] SEC("license") = "GPL";
