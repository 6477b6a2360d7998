/* 33_loop_two_callees.c: a loop alternating two callees with different slot counts (1 and 6). */
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

NOINLINE long a6(long a, long b, long c, long d, long e, long f)
{
	return a + b + c + d + e + f * 2;
}

NOINLINE long a11(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j,
		  long k)
{
	return a - b + c - d + e - f + g - h + i - j + k * 3;
}

SEC("tc") long check_main(void)
{
	long acc = 1, n = 10;

	OPAQUE(n);
	for (long i = 0; i < n && i < 12; i++) {
		if (i & 1)
			acc += a6(i, acc & 15, acc, i, acc + 4, i * 7);
		else
			acc += a11(i, acc, i, acc + 1, acc, i * 5, i - 1, acc ^ i, acc & 3, acc & 31, i + 1);
	}
	return acc;
}
