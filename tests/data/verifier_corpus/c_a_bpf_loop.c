// intent: accept
// retval: 10
// about: bpf_loop with a static callback (BPF_PSEUDO_FUNC)

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

static int cb(__u32 i, void *ctx)
{
	*(int *)ctx += 1;
	return 0;
}

SEC("socket")
int prog(struct __sk_buff *skb)
{
	int n = 0;
	bpf_loop(10, cb, &n, 0);
	return n;
}

char LICENSE[] SEC("license") = "GPL";
