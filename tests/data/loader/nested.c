/* Nested static calls: prog -> outer -> middle -> inner, and a second
 * program that reaches only middle (and through it inner). */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

static __attribute__((noinline)) int inner(int x) { return x ^ 0x5a; }
static __attribute__((noinline)) int middle(int x) { return inner(x + 1) * 2; }
static __attribute__((noinline)) int outer(int x) { return middle(x) + inner(x); }

SEC("tc")
int tc_outer(struct __sk_buff *skb)
{
	return outer(skb->len);
}

SEC("tc")
int tc_middle(struct __sk_buff *skb)
{
	return middle(skb->protocol);
}

char LICENSE[] SEC("license") = "GPL";
