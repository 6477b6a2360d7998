// intent: reject
// expect: infinite loop detected

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
	volatile int spin = 0;
	while (spin == 0)
		;
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
