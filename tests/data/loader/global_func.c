/* Global (non-static) subprograms in .text, called from two sections, with
 * a call chain global -> static; exercises relocations against FUNC symbols
 * rather than the .text section symbol. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int helper_static(int x) { return x + 11; }

__attribute__((noinline)) int gfunc_a(int x) { return helper_static(x) * 2; }
__attribute__((noinline)) int gfunc_b(int x) { return x - 1; }

SEC("xdp")
int gx(struct xdp_md *ctx)
{
	return gfunc_a(bpf_get_prandom_u32()) + gfunc_b(1) > 0 ? XDP_PASS : XDP_DROP;
}

SEC("socket")
int gs(struct __sk_buff *skb)
{
	return gfunc_b(skb->len);
}

char LICENSE[] SEC("license") = "GPL";
