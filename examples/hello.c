// The bundled example: a tc program calling a static function with ten arguments.
// Arguments 6..10 of sum10 travel through r11 (the BPF stack-argument ABI).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

long calls = 0;  // a global in .bss, readable and writable from the runner

static __attribute__((noinline)) long sum10(long a, long b, long c, long d, long e,
                                            long f, long g, long h, long i, long j)
{
	return a + b + c + d + e + f + g + h + i + j;
}

SEC("tc")
int hello(struct __sk_buff *skb)
{
	calls++;
	return sum10(1, 2, 3, 4, 5, 6, 7, 8, 9, skb->len & 0);  /* 45 */
}

char _license[] SEC("license") = "GPL";
