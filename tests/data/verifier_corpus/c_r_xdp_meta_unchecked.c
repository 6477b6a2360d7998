// intent: reject
// expect: invalid access to packet

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
	__u32 *meta = (void *)(long)ctx->data_meta;
	return *meta;
}

char LICENSE[] SEC("license") = "GPL";
