/* 12_int_neg.c: plain int args in stack slots (upper half unspecified, callee uses the low half), negatives. */
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

NOINLINE long i8(int a, int b, int c, int d, int e, int f, int g, int h)
{
	long r = 0;

	r += f;          /* the callee must use only the low 32 bits of slot 1 */
	r = r * 1000 + g;
	r = r * 1000 + h;
	return r + a + b + c + d + e;
}

SEC("tc") long check_main(void)
{
	long v = -1;

	OPAQUE(v);
	return i8(1, 2, 3, 4, 5, (int)v, (int)(v * 500), (int)(v - 0x7ffffffe))
	       + i8((int)v, (int)(v * 3), (int)-v, (int)(v << 20), (int)v, (int)(v * 9), 8, (int)(v * 77));
}
