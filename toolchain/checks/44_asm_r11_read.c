/* 44_asm_r11_read.c: inline asm already reading r11 (arg 6) in a 6-arg function: passes through untouched. */
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

NOINLINE long ar6(long a, long b, long c, long d, long e, long f)
{
	long again;

#ifdef __bpf__
	__asm__ volatile("%0 = *(u64 *)(r11 + 8)" : "=r"(again));
#else
	again = f;
#endif
	return a + b + c + d + e + f * 3 + again * 5;
}

SEC("tc") long check_main(void)
{
	long v = 10;

	OPAQUE(v);
	return ar6(1, 2, 3, 4, 5, v) * 100 + ar6(v, v, v, v, v, v + 1);
}
