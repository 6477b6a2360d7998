// SPDX-License-Identifier: GPL-2.0
/* Tail calls through prog arrays filled by .values initialisers (libbpf) and by the run's
 * prog_array= / --prog-array.  Expected results: tests/runtime/test_tail_calls.py. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

long visited;        /* programs run, one decimal digit each */

int second(struct __sk_buff *skb);
int third(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 4);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} chain SEC(".maps") = {
	.values = { [1] = (void *)&second, [2] = (void *)&third },
};

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 2);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} empty SEC(".maps");

SEC("tc")
int entry(struct __sk_buff *skb)
{
	visited = visited * 10 + 1;
	bpf_tail_call(skb, &chain, 1);
	return 10;                       /* not reached: second replaced entry */
}

SEC("tc")
int second(struct __sk_buff *skb)
{
	visited = visited * 10 + 2;
	bpf_tail_call(skb, &chain, 2);
	return 20;
}

SEC("tc")
int third(struct __sk_buff *skb)
{
	visited = visited * 10 + 3;
	bpf_tail_call(skb, &chain, 3);   /* an empty slot: falls through */
	bpf_tail_call(skb, &chain, 99);  /* out of range: falls through */
	return 30;
}

__attribute__((noinline)) int via_subprog(struct __sk_buff *skb)
{
	visited = visited * 10 + 4;
	bpf_tail_call(skb, &chain, 2);
	return visited;                  /* fell through: not reached */
}

SEC("tc")
int from_subprog(struct __sk_buff *skb)
{
	/* the tail call replaces the subprogram: it returns third's 30 to here */
	return via_subprog(skb) + 100;
}

SEC("tc")
int dynamic(struct __sk_buff *skb)
{
	visited = visited * 10 + 5;
	bpf_tail_call(skb, &empty, 0);   /* filled by the run (prog_array=), else empty */
	return 50;
}

char _license[] SEC("license") = "GPL";
