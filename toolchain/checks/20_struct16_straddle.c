/* 20_struct16_straddle.c: a 16-byte struct straddling r5 and slot 1; mixed-member struct. */
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

struct mix16 { int a; short b; signed char c; long d; };

NOINLINE long sm(long x1, long x2, long x3, long x4, struct mix16 m, long x6, long x7)
{
	return x1 + x2 * 2 + x3 * 3 + x4 * 4 + (long)m.a * 5 + (long)m.b * 6 + (long)m.c * 7
	       + m.d * 8 + x6 * 9 + x7 * 10;
}

SEC("tc") long check_main(void)
{
	long v = -3;

	OPAQUE(v);
	struct mix16 m = { (int)v * 1000, (short)v, (signed char)v, v * 99999 };
	struct mix16 n = { (int)v, (short)(v * 300), (signed char)(v * 40), -v };
	return sm(1, 2, 3, 4, m, v, 7) + sm(v, v * 2, v * 3, v * 4, n, 1, v * v) * 3;
}
