// SPDX-License-Identifier: GPL-2.0
/* A 1.5 GiB .bss: refused by name before anything is allocated. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

char big[1536 << 20];

SEC("tc")
int uses_bss(struct __sk_buff *skb)
{
	return big[skb->len & 1];
}

char _license[] SEC("license") = "GPL";
