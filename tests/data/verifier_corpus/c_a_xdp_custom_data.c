// intent: accept
// retval: 59
// data: 2a 00000000000000000000000000 00 01
// about: declares its own 16-byte test packet

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
	__u8 *p = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	if (p + 16 > end)
		return XDP_DROP;
	return p[0] + p[15] + (end - p);
}

char LICENSE[] SEC("license") = "GPL";
