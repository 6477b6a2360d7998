// The bundled example: a tc program calling a static function with ten arguments.
// Arguments 6..10 of sum10 travel through r11 (the BPF stack-argument ABI).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

long calls = 0;          // a global in .bss
long step = 1;           // a global in .data; the runner may change it

static __attribute__((noinline)) long sum10(long a, long b, long c, long d, long e,
                                            long f, long g, long h, long i, long j)
{
	return a + b + c + d + e + f + g + h + i + j;
}

SEC("tc")
int sum(struct __sk_buff *skb)
{
	long s = step;

	calls++;
	/* with step = 1: 1 + 2 + ... + 10 = 55 */
	return sum10(s, 2 * s, 3 * s, 4 * s, 5 * s, 6 * s, 7 * s, 8 * s, 9 * s, 10 * s);
}

char _license[] SEC("license") = "GPL";
