// intent: accept
// retval: 8
// about: .data, .bss and .rodata as array maps

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

int counter = 3;
int zeroed;
const volatile int ro = 4;

SEC("socket")
int prog(struct __sk_buff *skb)
{
	zeroed += 1;
	counter += ro;
	return counter + zeroed;
}

char LICENSE[] SEC("license") = "GPL";
