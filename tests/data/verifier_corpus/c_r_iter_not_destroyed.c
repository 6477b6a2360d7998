// intent: reject
// expect: Unreleased reference

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct bpf_iter_num { __u64 __opaque[1]; } __attribute__((aligned(8)));
extern int bpf_iter_num_new(struct bpf_iter_num *it, int start, int end) __ksym;
extern int *bpf_iter_num_next(struct bpf_iter_num *it) __ksym;
extern void bpf_iter_num_destroy(struct bpf_iter_num *it) __ksym;

SEC("socket")
int prog(struct __sk_buff *skb)
{
	struct bpf_iter_num it;
	int *v, sum = 0;
	bpf_iter_num_new(&it, 0, 5);
	while ((v = bpf_iter_num_next(&it)))
		sum += *v;
	return sum;
}

char LICENSE[] SEC("license") = "GPL";
