/* 32_loop_calls.c: a many-argument call inside a bounded loop: slots re-stored each iteration. */
#ifdef __bpf__
#define SEC(name) __attribute__((section(name), used))
#define KFUNC __attribute__((section(".ksyms")))
#else
#define SEC(name)
#endif
#define NOINLINE static __attribute__((noinline))
/* hide a value from the optimiser (an empty asm that "changes" it); valid on both targets */
#define OPAQUE(x) __asm__ volatile("" : "+r"(x))
typedef unsigned long u64;

NOINLINE long l7(long a, long b, long c, long d, long e, long f, long g)
{
	return a + b * 3 + c * 5 + d * 7 + e * 11 + f * 13 + g * 17;
}

SEC("tc") long check_main(void)
{
	long acc = 0, n = 8;

	OPAQUE(n);
	for (long i = 0; i < n && i < 16; i++)
		acc = acc * 3 + l7(i, i + 1, acc & 7, i * i, 5, i - 4, acc >> 2);
	return acc;
}
