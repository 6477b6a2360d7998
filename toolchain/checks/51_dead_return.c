/* 51_dead_return.c: DAE of a return value and of all-constant args: a static called only for its side effect. */
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

long g_sink;

NOINLINE long side7(long a, long b, long c, long d, long e, long f, long g)
{
	g_sink += a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7;
	return g_sink;   /* never used by the caller: the return value may be dropped */
}

NOINLINE long allconst8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + b + c + d + e + f + g + h;
}

SEC("tc") long check_main(void)
{
	long v = 4;

	g_sink = 0;
	OPAQUE(v);
	side7(v, 1, 2, 3, 4, v, 6);
	side7(1, v, 2, 3, 4, 5, v);
	return g_sink * 1000 + allconst8(1, 2, 3, 4, 5, 6, 7, 8);
}
