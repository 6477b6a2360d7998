// intent: reject
// expect: invalid mem access 'scalar'
// about: adjust_head invalidates packet pointers

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
	if (p + 1 > end)
		return XDP_DROP;
	bpf_xdp_adjust_head(ctx, 1);
	return *p;
}

char LICENSE[] SEC("license") = "GPL";
