/* 06_args11.c: 11 args (6 slots), mixed signs. */
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

NOINLINE long alt11(long a, long b, long c, long d, long e, long f, long g, long h, long i,
		    long j, long k)
{
	return a - b + c - d + e - f * 3 + g * 5 - h * 7 + i * 11 - j * 13 + k * 17;
}

SEC("tc") long check_main(void)
{
	long v = -4;

	OPAQUE(v);
	return alt11(v, -v, 2 * v, 3, -5, v - 1, v + 100, 8, -9, v * v, 12345)
	       + alt11(1, 2, 3, v, v, v, 4, v, v, v - 7, v * 3);
}
