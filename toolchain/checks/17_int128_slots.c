/* 17_int128_slots.c: __int128 args wholly in stack slots (two slots each, low half first). */
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

NOINLINE long q7(long a, long b, long c, long d, long e, __int128 f, __int128 g)
{
	__int128 s = f + g;
	return (long)s ^ (long)(s >> 64) ^ (a + b + c + d + e);
}

SEC("tc") long check_main(void)
{
	long lo = 0x123456789L, hi = -2;

	OPAQUE(lo);
	OPAQUE(hi);
	__int128 f = ((__int128)hi << 64) | (unsigned long)lo;
	__int128 g = ((__int128)lo << 64) + 5;
	return q7(1, 2, 3, 4, 5, f, g) + q7(lo, hi, lo, hi, lo, g, f + lo);
}
