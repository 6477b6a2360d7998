// SPDX-License-Identifier: GPL-2.0
/* A program that tail-calls itself: the kernel allows 33 tail calls per run
 * (MAX_TAIL_CALL_CNT), so the program runs 34 times and the last run returns 34. */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

int self_tail(struct __sk_buff *skb);

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, 1);
	__uint(key_size, sizeof(__u32));
	__array(values, int (void *));
} jmp SEC(".maps") = {
	.values = { [0] = (void *)&self_tail },
};

int count;

SEC("tc")
int self_tail(struct __sk_buff *skb)
{
	count++;
	bpf_tail_call(skb, &jmp, 0);
	return count;
}

char _license[] SEC("license") = "GPL";
