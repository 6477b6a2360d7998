/* 45_asm_r11_slots.c: inline asm reading stack slots 2..4 of a 9-arg function that then calls another. */
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

NOINLINE long tail7(long a, long b, long c, long d, long e, long f, long g)
{
	return a + b + c + d + e + f * 10 + g * 100;
}

NOINLINE long ar9(long a, long b, long c, long d, long e, long f, long g, long h, long i)
{
	long x2, x3, x4;

#ifdef __bpf__
	__asm__ volatile("%0 = *(u64 *)(r11 + 16)" : "=r"(x2));
	__asm__ volatile("%0 = *(u64 *)(r11 + 24)" : "=r"(x3));
	__asm__ volatile("%0 = *(u64 *)(r11 + 32)" : "=r"(x4));
#else
	x2 = g;
	x3 = h;
	x4 = i;
#endif
	return tail7(a, b, c, d, e, f + g + h + i, x2 * 3 + x3 * 5 + x4 * 7);
}

SEC("tc") long check_main(void)
{
	long v = 2;

	OPAQUE(v);
	/* two different calls: no argument is constant, so IPSCCP/DAE cannot shrink ar9's
	 * signature under the asm's feet (its r11 offsets assume the source prototype) */
	return ar9(1, 2, 3, 4, 5, v, v + 1, v + 2, v + 3) * 1000 + ar9(v, v, v, v, v, 1, 2, 3, 4);
}
