/* 26_global_callee7.c: a global 7-arg function (its BTF prototype cannot shrink) called with constants. */
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

__attribute__((noinline)) long g7(long a, long b, long c, long d, long e, long f, long g)
{
	return a + b + c + d + e + f * 1000 + g * 1000000;
}

SEC("tc") long check_main(void)
{
	return g7(1, 2, 3, 4, 5, 6, 7) + g7(0, 0, 0, 0, 0, -1, -5);
}
