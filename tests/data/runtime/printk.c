// SPDX-License-Identifier: GPL-2.0
/* bpf_printk with 3 arguments (bpf_trace_printk, helper 6) and with more
 * (bpf_trace_vprintk, helper 177): one formatter, lines in Result.output. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int printk(struct __sk_buff *skb)
{
	long a = 1, b = -2;

	bpf_printk("three %d %ld %x", 7, b, 255);
	bpf_printk("six %d %d %d %d %d %ld", 1, 2, 3, 4, 5, b);
	bpf_printk("twelve %d %d %d %d %d %d %d %d %d %d %d %s", a, 2, 3, 4, 5, 6, 7, 8, 9,
		   10, 11, "end");
	return 0;
}

char _license[] SEC("license") = "GPL";
