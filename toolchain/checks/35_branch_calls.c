/* 35_branch_calls.c: calls on different branches with different slot counts, merged afterwards. */
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

NOINLINE long br6(long a, long b, long c, long d, long e, long f)
{
	return a * 6 + b * 5 + c * 4 + d * 3 + e * 2 + f;
}

NOINLINE long br9(long a, long b, long c, long d, long e, long f, long g, long h, long i)
{
	return a + b + c + d + e + f + g + h + i * 100;
}

NOINLINE long pick(long sel, long x)
{
	long r;

	if (sel > 2)
		r = br6(x, 1, 2, 3, 4, sel);
	else if (sel > 0)
		r = br9(x, sel, 2, x, 4, sel + x, 6, x * 3, sel);
	else
		r = x;
	return r + br6(r, sel, x, 0, 0, 1);
}

SEC("tc") long check_main(void)
{
	long v = 0;

	OPAQUE(v);
	return pick(v, 3) + pick(v + 1, 4) * 1000 + pick(v + 5, 5) * 1000000;
}
