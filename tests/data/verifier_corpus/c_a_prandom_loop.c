// intent: accept
// retval: 1

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("socket")
int prog(struct __sk_buff *skb)
{
	int n = 0;
	for (int i = 0; i < 32; i++) {
		if (bpf_get_prandom_u32() & 1)
			n++;
	}
	return n <= 32;
}

char LICENSE[] SEC("license") = "GPL";
