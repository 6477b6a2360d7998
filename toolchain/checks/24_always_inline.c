/* 24_always_inline.c: always_inline 7-arg helper inlined into a noinline 9-arg function. */
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

static inline __attribute__((always_inline)) long ai7(long a, long b, long c, long d, long e,
						      long f, long g)
{
	return (a + b) * (c + d) - (e + f) * g;
}

NOINLINE long outer9(long a, long b, long c, long d, long e, long f, long g, long h, long i)
{
	return ai7(a, b, c, d, e, f, g) + ai7(i, h * 2, g, f, e, d, c);   /* h, i: asymmetric */
}

SEC("tc") long check_main(void)
{
	long v = 4;

	OPAQUE(v);
	return outer9(v, 1, 2, 3, 5, 6, 7, 8, v * 3) + outer9(2, v, v, v, v, v + 1, v - 1, v * 5, 1);
}
