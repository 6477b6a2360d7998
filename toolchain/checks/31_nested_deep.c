/* 31_nested_deep.c: deeply nested many-argument calls, every stack argument itself a call. */
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

NOINLINE long d6(long a, long b, long c, long d, long e, long f)
{
	return (a + b + c + d + e) * 2 + f;
}

NOINLINE long d8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a + b + c + d + e - f * 3 + g * 5 - h * 7;
}

SEC("tc") long check_main(void)
{
	long v = 1;

	OPAQUE(v);
	return d8(v, v, v, v, v,
		  d6(v, v, v, v, v, d6(2, 2, 2, 2, 2, v)),
		  d8(1, 2, 3, 4, 5, d6(v, 0, 0, 0, 0, 9), 7, 8),
		  d6(3, 3, 3, 3, 3, d8(v, v, v, v, v, v, v, v)));
}
