/* 27_const_args.c: constant stack arguments: IPSCCP may propagate them and shrink the static signature. */
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

NOINLINE long c8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return a * 3 + b * 5 + c + d + e + f * 7 + g * 11 + h * 13;
}

SEC("tc") long check_main(void)
{
	long v = 2, r = 0;

	OPAQUE(v);
	/* f, g, h are the same constants at every call site */
	r += c8(v, v + 1, v + 2, v + 3, v + 4, 40, 50, 60);
	r += c8(v * 2, v, 1, 1, 1, 40, 50, 60);
	return r;
}
