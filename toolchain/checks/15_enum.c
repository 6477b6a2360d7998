/* 15_enum.c: enum args (including a negative enumerator) in stack slots. */
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

enum color { RED = -3, GREEN = 4, BLUE = 1000 };

NOINLINE long e7(enum color a, enum color b, long c, long d, long e, enum color f, enum color g)
{
	return (long)a * 2 + (long)b * 3 + c + d + e + (long)f * 5 + (long)g * 7;
}

SEC("tc") long check_main(void)
{
	long v = 1;
	enum color x;

	OPAQUE(v);
	x = v ? RED : BLUE;
	return e7(GREEN, x, v, 2, 3, x, v ? BLUE : GREEN)
	       + 10000 * e7(x, v > 3 ? RED : GREEN, 3 * v, v, -v, v ? GREEN : BLUE, x);
}
