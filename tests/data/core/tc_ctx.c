/* CO-RE on a tc context: a local flavor of struct __sk_buff whose fields sit at other
 * offsets than in the kernel's, read directly and through BPF_CORE_READ. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct __sk_buff___mine {
	__u32 protocol;
	__u32 ifindex;
	__u32 no_such_field;
} __attribute__((preserve_access_index));

SEC("tc")
int tc_fields(struct __sk_buff *skb)
{
	struct __sk_buff___mine *s = (void *)skb;
	int r = s->protocol * 100 + s->ifindex;

	if (bpf_core_field_exists(s->no_such_field))
		r += 100000;
	r += bpf_core_field_offset(s->ifindex) * 1000000;
	return r;
}

SEC("tc")
int tc_core_read(struct __sk_buff *skb)
{
	struct __sk_buff___mine *s = (void *)skb;
	__u32 v = 42;

	/* the protocol of the skb through a local flavor: offset 0 here, 16 in the kernel */
	v = BPF_CORE_READ(s, protocol);
	return v;
}

SEC("tc")
int tc_unguarded(struct __sk_buff *skb)
{
	struct __sk_buff___mine *s = (void *)skb;

	return s->no_such_field;
}

SEC("tc")
int tc_guarded(struct __sk_buff *skb)
{
	struct __sk_buff___mine *s = (void *)skb;

	/* the poisoned read is dead code once the existence check resolves to 0 */
	if (bpf_core_field_exists(s->no_such_field))
		return BPF_CORE_READ(s, no_such_field);
	return skb->ifindex;
}

char LICENSE[] SEC("license") = "GPL";
