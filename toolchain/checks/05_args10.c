/* 05_args10.c: 10 args (5 slots) in a global noinline function called from the entry. */
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

__attribute__((noinline)) long glob10(long a, long b, long c, long d, long e, long f, long g,
				      long h, long i, long j)
{
	return (a - b) * (c - d) + (e - f) * (g - h) + (i - j) * 1000;
}

SEC("tc") long check_main(void)
{
	long v = 9;

	OPAQUE(v);
	return glob10(v, 1, v * 2, 3, v * 3, 5, v * 4, 7, v * 5, 11);
}
