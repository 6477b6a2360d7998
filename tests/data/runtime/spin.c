// SPDX-License-Identifier: GPL-2.0
/* A verified program that runs for a long time: 2^23 bpf_loop callbacks (the kernel's
 * maximum).  tests/runtime/test_timeout.py stops it with run(timeout=). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

long n;

static int body(__u64 i, void *ctx)
{
	n++;
	return 0;
}

SEC("tc")
int spin(struct __sk_buff *skb)
{
	bpf_loop(1 << 23, body, 0, 0);
	return 1;
}

char _license[] SEC("license") = "GPL";
