// intent: reject
// expect: BPF program is too large. Processed 1000001 insn

#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/tcp.h>
#include <linux/pkt_cls.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

/* A naked function: the body is exactly this asm. The 1000-insn loop body lets the
 * verifier reach 1M insns after ~1000 loop states, which keeps the test fast. */
SEC("socket")
__attribute__((naked)) int prog(void)
{
	asm volatile(
	"r1 = 0;"
	"r0 = 0;"
"1:"
	".rept 1000\n r0 += 1\n .endr\n"
	"r1 += 1;"
	"if r1 != 0 goto 1b;"
	"exit;"
	::: "memory");
}

char LICENSE[] SEC("license") = "GPL";
