// SPDX-License-Identifier: GPL-2.0
/* Programs the verifier accepts that call helpers a test run cannot give the kernel's
 * answer for: refused before the run, by name. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("tc")
int task(struct __sk_buff *skb)
{
	return bpf_get_current_task() != 0;
}

SEC("xdp")
int fib(struct xdp_md *ctx)
{
	struct bpf_fib_lookup params = {};

	params.family = 2;
	params.ifindex = ctx->ingress_ifindex;
	return bpf_fib_lookup(ctx, &params, sizeof(params), 0);
}

/* the call is dead code unless the loader sets use_task: the kernel never runs it then */
const volatile int use_task = 0;

SEC("tc")
int maybe_task(struct __sk_buff *skb)
{
	if (use_task)
		return bpf_get_current_task() != 0;
	return 5;
}

SEC("tc")
int fine(struct __sk_buff *skb)
{
	return 3;
}

char _license[] SEC("license") = "GPL";
