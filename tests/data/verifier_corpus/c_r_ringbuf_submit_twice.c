// intent: reject
// expect: expected=ringbuf_mem

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
	__u64 *e = bpf_ringbuf_reserve(&rb, 8, 0);
	if (!e)
		return 0;
	*e = 1;
	bpf_ringbuf_submit(e, 0);
	bpf_ringbuf_submit(e, 0);
	return 1;
}

char LICENSE[] SEC("license") = "GPL";
