/* 10_short_neg.c: short args in stack slots with negative values. */
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

NOINLINE long s9(short a, short b, short c, short d, short e, short f, short g, short h, short i)
{
	return (long)a * 1 + (long)b * 2 + (long)c * 3 + (long)d * 4 + (long)e * 5 + (long)f * 6
	       + (long)g * 7 + (long)h * 8 + (long)i * 9;
}

SEC("tc") long check_main(void)
{
	long v = -32768;

	OPAQUE(v);
	return s9(1, 2, 3, 4, 5, (short)v, (short)(v + 1), (short)-1, (short)(v + 12345))
	       + 10 * s9((short)(v + 7), (short)v, (short)-v, (short)(v >> 4), (short)(v + 2), -3,
			 (short)(v + 32767), (short)(v >> 8), 4);
}
