// The disassembler example (docs/cli.md, tests/pipeline/test_cli_disasm.py).
//
// Two programs, hello_xdp (section xdp) and hello_socket (section socket), share the
// static subprogram hello(), which calls mix() twice; both are noinline, so linking
// appends them after each program in first-reach order (hello, then mix).  The globals
// runs (.bss) and scale (.rodata) are relocated data references.  Built objects are not
// committed: `python -m pipeline disasm examples/hello.c` compiles it first, and the
// tests build it with toolchain.driver.compile_c.
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

__u64 runs;                           /* .bss: how often hello() ran */
const volatile __u32 scale = 3;       /* .rodata */

/*
 * mix: one round of a multiplicative hash.
 */

static __attribute__((noinline)) __u32 mix(__u32 x)
{
	return (x ^ 0x9e3779b9) * scale;
}

static __attribute__((noinline)) __u32 hello(__u32 seed)
{
	runs += 1;
	return mix(seed) + mix(seed >> 3);
}

SEC("xdp")
int hello_xdp(struct xdp_md *ctx)
{
	return hello(ctx->rx_queue_index) & 1 ? 2 /* XDP_PASS */ : 1 /* XDP_DROP */;
}

SEC("socket")
int hello_socket(void *skb)
{
	return hello(42) & 0xff;
}

char LICENSE[] SEC("license") = "GPL";
