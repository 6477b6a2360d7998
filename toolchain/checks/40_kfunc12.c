/* 40_kfunc12.c: an extern kfunc with 12 parameters (7 stack slots), called twice. */
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
extern long kf_sum12(long a, long b, long c, long d, long e, long f, long g, long h, long i,
		     long j, long k, long l) KFUNC;
#else
long kf_sum12(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j,
	      long k, long l)
{
	return 1L * a + 2L * b + 3L * c + 4L * d + 5L * e + 6L * f + 7L * g + 8L * h + 9L * i
	       + 10L * j + 11L * k + 12L * l;
}
#endif

SEC("tc") long check_main(void)
{
	long v = 3, r;

	OPAQUE(v);
	r = kf_sum12(v, v, v, v, v, v, v, v, v, v, v, v);
	return r * 7 + kf_sum12(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, r);
}
