// intent: reject
// expect: At callback return the register R0 has

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static int cb(__u32 i, void *ctx)
{
	return 5;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	return bpf_loop(4, cb, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
