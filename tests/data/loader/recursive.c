/* Mutually recursive static subprograms (the kernel verifier rejects recursion, but the
 * loader must still link each function exactly once and terminate). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int ping(int x);

static __attribute__((noinline)) int pong(int x)
{
	return x > 0 ? ping(x - 1) * 3 + 1 : 7;
}

static __attribute__((noinline)) int ping(int x)
{
	return x > 0 ? pong(x - 2) * 5 + 2 : 11;
}

SEC("socket")
int bounce(struct __sk_buff *skb)
{
	return ping(skb->len & 7);
}

char LICENSE[] SEC("license") = "GPL";
