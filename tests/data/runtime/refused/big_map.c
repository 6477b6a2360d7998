// SPDX-License-Identifier: GPL-2.0
/* A 2 GiB array map: the kernel would allocate it; a test run refuses it by name before
 * allocating anything.  The second program is rejected by the verifier: verification comes
 * before any allocation sized by the object. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct big { char bytes[1 << 16]; };

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, struct big);
	__uint(max_entries, 1 << 15);
} huge SEC(".maps");

SEC("tc")
int uses_huge(struct __sk_buff *skb)
{
	__u32 k = 0;
	struct big *v = bpf_map_lookup_elem(&huge, &k);

	return v ? v->bytes[0] : 1;
}

SEC("tc")
int rejected(struct __sk_buff *skb)
{
	__u32 k = skb->mark;
	struct big *v = bpf_map_lookup_elem(&huge, &k);

	return v->bytes[0];          /* no NULL check */
}

char _license[] SEC("license") = "GPL";
