/* 23_inline_static.c: inlineable static 8-arg functions (no noinline): at -O1+ no call remains. */
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

static long add8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

static inline long twice8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return add8(a, b, c, d, e, f, g, h) + add8(h, g, f, e, d, c, b, a);
}

SEC("tc") long check_main(void)
{
	long v = 10;

	OPAQUE(v);
	return twice8(v, 1, 2, 3, 4, 5, 6, v * 2);
}
