// intent: accept
// retval: 105

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

__attribute__((naked, noinline, used)) static int helper(void)
{
	asm volatile("r0 = r1; r0 += 100; exit;" ::: "memory");
}

SEC("socket")
__attribute__((naked)) int prog(void)
{
	asm volatile("r1 = 5; call helper; exit;" ::: "memory");
}

char LICENSE[] SEC("license") = "GPL";
