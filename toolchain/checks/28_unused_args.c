/* 28_unused_args.c: unused stack arguments: dead-argument elimination drops them (BTF must follow). */
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

NOINLINE long u9(long a, long b, long c, long d, long e, long f, long g, long h, long i)
{
	(void)b;
	(void)f;
	(void)h;
	return a * 2 + c * 3 + d * 5 + e * 7 + g * 11 + i * 13;
}

NOINLINE long u8tail(long a, long b, long c, long d, long e, long f, long g, long h)
{
	/* every stack argument unused: the optimised function takes only registers */
	(void)f;
	(void)g;
	(void)h;
	return a - b + c - d + e;
}

SEC("tc") long check_main(void)
{
	long v = 3;

	OPAQUE(v);
	return u9(v, 100, v + 1, v + 2, v + 3, 200, v + 4, 300, v + 5) * 1000
	       + u8tail(v, 1, 2, 3, 4, v, v, v);
}
