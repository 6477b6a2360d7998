// intent: reject
// expect: invalid bpf_context access off=0 size=4

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int prog(struct xdp_md *ctx)
{
	ctx->data = 0;
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
