/* 04_args9.c: 9 args (4 slots), callee position-weights each argument. */
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

NOINLINE long w9(long a, long b, long c, long d, long e, long f, long g, long h, long i)
{
	return a * 1 + b * 10 + c * 100 + d * 1000 + e * 10000 + f * 100000 + g * 1000000
	       + h * 10000000 + i * 100000000;
}

SEC("tc") long check_main(void)
{
	long v = 1;

	OPAQUE(v);
	return w9(v, v + 1, v + 2, v + 3, v + 4, v + 5, v + 6, v + 7, v + 8);
}
