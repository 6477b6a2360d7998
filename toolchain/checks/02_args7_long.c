/* 02_args7_long.c: 7 long args (2 stack slots); arguments 6 and 7 must not be swapped. */
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

NOINLINE long pick7(long a, long b, long c, long d, long e, long f, long g)
{
	return (a ^ b) + (c - d) * e + f * 100 - g * 7;
}

SEC("tc") long check_main(void)
{
	long x = 3, y = 19;

	OPAQUE(x);
	OPAQUE(y);
	return pick7(x, y, x * y, y - x, 2, y, x) + pick7(1, 2, 3, 4, 5, x, y * 3);
}
