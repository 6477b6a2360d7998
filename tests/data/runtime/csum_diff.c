// SPDX-License-Identifier: GPL-2.0
/* bpf_csum_diff on packet bytes: the packet is a 4-byte seed, then FROM bytes, then TO
 * bytes; each program returns the helper's result for one (FROM, TO) size pair. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define CSUM(F, T)								\
SEC("xdp")									\
int csum_##F##_##T(struct xdp_md *ctx)						\
{										\
	void *d = (void *)(long)ctx->data, *e = (void *)(long)ctx->data_end;	\
										\
	if (d + 4 + (F) + (T) > e)						\
		return -1;							\
	return bpf_csum_diff((F) ? d + 4 : 0, (F), (T) ? d + 4 + (F) : 0, (T),	\
			     *(__u32 *)d);					\
}

CSUM(0, 0)
CSUM(0, 4)
CSUM(4, 0)
CSUM(4, 4)
CSUM(8, 8)
CSUM(0, 20)
CSUM(20, 0)
CSUM(12, 40)
CSUM(64, 64)
CSUM(0, 256)
CSUM(256, 256)
CSUM(256, 260)
CSUM(2, 2)
CSUM(0, 6)

char _license[] SEC("license") = "GPL";
