// intent: accept
// retval: 69
// about: packet pointers reloaded after adjust_head

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
	void *data, *data_end;
	if (bpf_xdp_adjust_head(ctx, sizeof(struct ethhdr)))
		return XDP_ABORTED;
	data = (void *)(long)ctx->data;
	data_end = (void *)(long)ctx->data_end;
	if (data + 1 > data_end)
		return XDP_DROP;
	return *(__u8 *)data;
}

char LICENSE[] SEC("license") = "GPL";
