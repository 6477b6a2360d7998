/* Two programs in one section (libbpf splits by FUNC symbol), sharing a static
 * subprogram, plus a third program in its own section that reaches none. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int add3(int a, int b, int c)
{
	return a * 3 + b * 2 + c;
}

SEC("xdp")
int xdp_first(struct xdp_md *ctx)
{
	return add3(bpf_get_prandom_u32(), 2, 3) & 3;
}

SEC("xdp")
int xdp_second(struct xdp_md *ctx)
{
	return add3(bpf_get_prandom_u32(), 5, 7) & 1;
}

SEC("socket")
int sock_plain(struct __sk_buff *skb)
{
	return skb->len > 64 ? 1 : 0;
}

char LICENSE[] SEC("license") = "GPL";
