/* 29_const_unused_mix.c: some stack args constant, one unused, the rest live: surviving args shift into lower slots. */
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

NOINLINE long m10(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j)
{
	(void)g;
	return a + b + c + d + e + f * 10 + h * 100 + i * 1000 + j * 10000;
}

SEC("tc") long check_main(void)
{
	long v = 1, r = 0;

	OPAQUE(v);
	for (int k = 0; k < 3; k++) {
		OPAQUE(v);
		/* a..e, h, j vary; f and i are the same constant at every call; g is unused:
		 * the optimised m10 keeps 7 args, h and j moving to slots 1 and 2 */
		r += m10(v, v + k, v * 3, v - k, k, 6, 999, v * k, 8, v + 2 * k);
	}
	return r;
}
