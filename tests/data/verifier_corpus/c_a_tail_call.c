// intent: accept
// retval: 3
// about: tail call into an empty slot falls through

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__type(key, __u32);
	__type(value, __u32);
} jmp SEC(".maps");

SEC("socket")
int prog(struct __sk_buff *skb)
{
	bpf_tail_call(skb, &jmp, 1);
	return 3;
}

char LICENSE[] SEC("license") = "GPL";
