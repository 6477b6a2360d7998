/* 36_call_chain.c: a chain f6 -> f7 -> f8 -> f9: each callee loads its own stack args, then stores its callee's. */
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

NOINLINE long c9(long a, long b, long c, long d, long e, long f, long g, long h, long i)
{
	return a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7 + h * 8 + i * 9;
}

NOINLINE long c8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return c9(h, g, f, e, d, c, b, a, a + h) + 1;
}

NOINLINE long c7(long a, long b, long c, long d, long e, long f, long g)
{
	return c8(g, f, e, d, c, b, a, a * g) * 2;
}

NOINLINE long c6(long a, long b, long c, long d, long e, long f)
{
	return c7(f, e, d, c, b, a, a - f) - 3;
}

SEC("tc") long check_main(void)
{
	long v = 1;

	OPAQUE(v);
	return c6(v, v + 1, v + 2, v + 3, v + 4, v + 5);
}
