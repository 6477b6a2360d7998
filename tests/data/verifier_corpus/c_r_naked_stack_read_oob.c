// intent: reject
// expect: invalid read from stack R10 off=-520 size=8

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
	asm volatile("r0 = *(u64 *)(r10 - 520); exit;" ::: "memory");
}

char LICENSE[] SEC("license") = "GPL";
