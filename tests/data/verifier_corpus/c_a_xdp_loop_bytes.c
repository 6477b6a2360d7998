// intent: accept
// about: per-iteration bounds check in a loop over packet bytes

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
	__u32 sum = 0;
	for (int i = 0; i < 32; i++) {
		if (p + i + 1 > end)
			break;
		sum += p[i];
	}
	return sum & 0xff;
}

char LICENSE[] SEC("license") = "GPL";
