/* Callback function pointers (LD_IMM64 PSEUDO_FUNC) through bpf_loop, and a
 * callback that itself calls a static subprogram. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) long square(long v) { return v * v; }

static long step(__u32 index, void *ctx)
{
	long *acc = ctx;

	*acc += square(index);
	return 0;
}

static long stop_early(__u32 index, void *ctx)
{
	return index > 3;
}

SEC("tc")
int loop_twice(struct __sk_buff *skb)
{
	long acc = 0;

	bpf_loop(10, step, &acc, 0);
	bpf_loop(10, stop_early, &acc, 0);
	return acc & 0xff;
}

char LICENSE[] SEC("license") = "GPL";
