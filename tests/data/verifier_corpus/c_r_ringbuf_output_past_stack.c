// intent: reject
// expect: invalid read from stack

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 4096);
} rb SEC(".maps");

SEC("socket")
int prog(struct __sk_buff *skb)
{
	__u64 x = skb->len;
	return bpf_ringbuf_output(&rb, &x, 16, 0);
}

char LICENSE[] SEC("license") = "GPL";
