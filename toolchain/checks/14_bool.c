/* 14_bool.c: _Bool args in stack slots mixed with longs. */
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

NOINLINE long b9(long a, _Bool b, long c, _Bool d, long e, _Bool f, _Bool g, long h, _Bool i)
{
	return a + (b ? 10 : 0) + c + (d ? 100 : 0) + e + (f ? 1000 : 0) + (g ? 10000 : 0) + h
	       + (long)i * 100000;
}

SEC("tc") long check_main(void)
{
	long v = 6;

	OPAQUE(v);
	return b9(v, v > 5, 1, v < 5, 2, v == 6, v != 6, 3, (_Bool)(v & 2))
	       + b9(-v, v & 1, v * 2, !v, v + 1, v > 100, v < 100, v * 7, v == 6) * 1000000;
}
