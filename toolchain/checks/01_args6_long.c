/* 01_args6_long.c: 6 long args (1 stack slot), static noinline callee, called twice. */
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

NOINLINE long sum6(long a, long b, long c, long d, long e, long f)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f;
}

SEC("tc") long check_main(void)
{
	long x = 7;

	OPAQUE(x);
	return sum6(x, x + 1, x + 2, x + 3, x + 4, x + 5) * 1000 + sum6(-x, 0, 0, 0, 0, x * 11);
}
