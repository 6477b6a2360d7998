/* 30_nested_call_args.c: calls nested as arguments: the inner call consumes slots the outer call needs. */
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

NOINLINE long n6(long a, long b, long c, long d, long e, long f)
{
	return a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6;
}

NOINLINE long n7(long a, long b, long c, long d, long e, long f, long g)
{
	return a * g - f + b + c + d + e;
}

SEC("tc") long check_main(void)
{
	long v = 2;

	OPAQUE(v);
	return n7(v, n6(v, 1, 1, 1, 1, v), 3, 4, 5, n6(1, 2, 3, 4, 5, v), n7(1, 1, 1, 1, 1, v, v));
}
