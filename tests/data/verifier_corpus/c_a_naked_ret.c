// intent: accept
// retval: 7
// about: naked C: the body is exactly the inline asm

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("socket")
__attribute__((naked)) int prog(void)
{
	asm volatile("r0 = 7; exit;" ::: "memory");
}

char LICENSE[] SEC("license") = "GPL";
