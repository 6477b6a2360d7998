/* 41_kfunc_ptr.c: an extern kfunc taking pointers in stack slots (to the caller's stack). */
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
extern long kf_ptr7(long a, long b, long c, long d, long e, const long *f, const long *g) KFUNC;
#else
long kf_ptr7(long a, long b, long c, long d, long e, const long *f, const long *g)
{
	return 1L * a + 2L * b + 3L * c + 4L * d + 5L * e + 6L * *f + 7L * *g;
}
#endif

SEC("tc") long check_main(void)
{
	long x = 1000, y = -55, v = 2;

	OPAQUE(v);
	return kf_ptr7(v, v, v, v, v, &x, &y);
}
