/* 48_narrow_returns.c: many-argument callees returning signed char, short and unsigned char. */
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

NOINLINE signed char rc7(long a, long b, long c, long d, long e, long f, long g)
{
	return (signed char)(a + b + c + d + e + f + g);
}

NOINLINE short rs8(short a, short b, short c, short d, short e, short f, short g, short h)
{
	return (short)(a * b - c * d + e * f - g * h);
}

NOINLINE unsigned char ru6(long a, long b, long c, long d, long e, unsigned char f)
{
	return (unsigned char)(a + b + c + d + e + f);
}

SEC("tc") long check_main(void)
{
	long v = 100;

	OPAQUE(v);
	return (long)rc7(v, v, 1, 2, 3, 4, v) * 1000000
	       + (long)rc7(1, 2, v, v, v, v * 3, 5) * 10000000
	       + (long)rs8((short)v, 300, 7, 9, -5, (short)v, 200, (short)-v) * 100
	       + (long)rs8(1, (short)v, (short)(v + 9), (short)(v * 2), 3, 4, (short)(v * 150), 5) * 10
	       + ru6(v, v, v, 1, 2, (unsigned char)(v + 100)) + ru6(1, 2, 3, v, v, (unsigned char)v);
}
