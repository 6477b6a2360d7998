/* Call order that differs from .text layout order: the program calls the
 * last-defined subprogram first; libbpf appends in first-call (DFS) order. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int s_a(int x) { return x + 1; }
static __attribute__((noinline)) int s_b(int x) { return s_a(x) + 2; }
static __attribute__((noinline)) int s_c(int x) { return x * 5; }
static __attribute__((noinline)) int s_d(int x) { return s_c(x) + s_b(x); }

SEC("tc")
int order(struct __sk_buff *skb)
{
	int v = s_d(skb->len);

	return v + s_a(v) + s_c(v);
}

char LICENSE[] SEC("license") = "GPL";
