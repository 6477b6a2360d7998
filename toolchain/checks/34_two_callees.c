/* 34_two_callees.c: back-to-back calls to callees needing 7 and 2 stack slots. */
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

NOINLINE long big12(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j,
		    long k, long l)
{
	return a + b + c + d + e + f * 2 + g * 3 + h * 4 + i * 5 + j * 6 + k * 7 + l * 8;
}

NOINLINE long small7(long a, long b, long c, long d, long e, long f, long g)
{
	return a * b + c * d + e * f + g;
}

SEC("tc") long check_main(void)
{
	long v = 3, r;

	OPAQUE(v);
	r = big12(v, v, v, v, v, 1, 2, 3, 4, 5, 6, 7);
	r += small7(v, 2, v, 4, v, 6, r);
	r += small7(r, v, 1, v, 3, v * 5, v);
	r += big12(r, 1, 1, 1, 1, r, v, 1, 1, 1, 1, 1);
	return r;
}
