/* 16_pointer.c: pointer args in stack slots: the callee writes through them into the caller's stack. */
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

NOINLINE long p8(long *a, long b, long *c, long d, long e, long *f, long g, long *h)
{
	*a += b;
	*c += d * e;
	*f = *a + *c + g;
	*h = *f * 2;
	return *h - g;
}

SEC("tc") long check_main(void)
{
	long x = 5, y = 6, z = 0, w = 0, k = 3;

	OPAQUE(k);
	long r = p8(&x, k, &y, k + 1, 2, &z, 100, &w);
	long r2 = p8(&w, k * 2, &z, k, k - 1, &x, k + 50, &y);
	return r * 1000000 + x * 10000 + y * 100 + z + w + r2 * 7;
}
