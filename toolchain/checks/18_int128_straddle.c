/* 18_int128_straddle.c: an __int128 straddling r5 and stack slot 1, then more stack args. */
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

NOINLINE long q6(long a, long b, long c, long d, __int128 e, long f, long g)
{
	return (long)e * 3 + (long)(e >> 64) * 5 + a + b * 2 + c * 4 + d * 8 + f * 16 + g * 32;
}

SEC("tc") long check_main(void)
{
	long lo = 77, hi = 0x5555;

	OPAQUE(lo);
	OPAQUE(hi);
	return q6(1, 2, 3, 4, ((__int128)hi << 64) | (unsigned long)lo, -6, 7)
	       + q6(lo, hi, -lo, hi * 2, -(((__int128)lo << 64) | 3), hi, lo + hi);
}
