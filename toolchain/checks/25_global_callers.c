/* 25_global_callers.c: global (non-static) <=5-arg functions calling many-argument statics. */
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

NOINLINE long st6(long a, long b, long c, long d, long e, long f)
{
	return a * b + c * d + e * f;
}

NOINLINE long st8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return st6(a, b, c, d, e, f) - g * h;
}

__attribute__((noinline)) long gcall1(long x)
{
	return st6(x, x + 1, x + 2, x + 3, x + 4, x + 5);
}

__attribute__((noinline)) long gcall2(long x, long y)
{
	return st8(x, y, x, y, x, y, x * y, 3);
}

SEC("tc") long check_main(void)
{
	long v = 5;

	OPAQUE(v);
	return gcall1(v) * 1000 + gcall2(v, v + 2);
}
