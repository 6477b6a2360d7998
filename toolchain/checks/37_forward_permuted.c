/* 37_forward_permuted.c: a 7-arg callee forwarding its own stack args (permuted) to a 7-arg callee, twice. */
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

NOINLINE long leaf7(long a, long b, long c, long d, long e, long f, long g)
{
	return a * 1 + b * 3 + c * 9 + d * 27 + e * 81 + f * 243 + g * 729;
}

NOINLINE long fwd7(long a, long b, long c, long d, long e, long f, long g)
{
	/* f and g are read once at entry; both calls need them re-stored */
	return leaf7(g, f, a, b, c, d, e) - leaf7(a, b, c, d, e, g, f);
}

SEC("tc") long check_main(void)
{
	long v = 2;

	OPAQUE(v);
	return fwd7(v, 0, 1, 0, 1, v * 5, -v) + fwd7(1, v, v, 2 * v, v + 3, 2, v * 11) * 100000;
}
