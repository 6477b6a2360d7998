/* 42_kfunc_int128.c: an extern kfunc with an __int128 in stack slots (static check; runs with stubs). */
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

#ifdef __bpf__
/* the kernel lets only GPL-compatible programs call kfuncs */
char LICENSE[] SEC("license") = "GPL";
extern long kf_wide(long a, long b, long c, long d, long e, __int128 f, long g) KFUNC;
#else
long kf_wide(long a, long b, long c, long d, long e, __int128 f, long g)
{
	return 1L * a + 2L * b + 3L * c + 4L * d + 5L * e + 6L * ((long)f + 3L * (long)(f >> 64)) + 7L * g;
}
#endif

SEC("tc") long check_main(void)
{
	long lo = 40, hi = 2;

	OPAQUE(lo);
	OPAQUE(hi);
	return kf_wide(1, 2, 3, 4, 5, ((__int128)hi << 64) | (unsigned long)lo, -1);
}
