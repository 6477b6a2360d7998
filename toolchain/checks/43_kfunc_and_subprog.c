/* 43_kfunc_and_subprog.c: kfunc and subprogram calls interleaved, the subprogram calling a kfunc too. */
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
extern long kf_sum7(long a, long b, long c, long d, long e, long f, long g) KFUNC;
#else
long kf_sum7(long a, long b, long c, long d, long e, long f, long g)
{
	return 1L * a + 2L * b + 3L * c + 4L * d + 5L * e + 6L * f + 7L * g;
}
#endif

NOINLINE long sub8(long a, long b, long c, long d, long e, long f, long g, long h)
{
	return kf_sum7(a, b, c, d, e, f, g) - h;
}

SEC("tc") long check_main(void)
{
	long v = 5, r;

	OPAQUE(v);
	r = kf_sum7(v, 1, 1, 1, 1, v, v);
	r += sub8(r, 1, 2, 3, 4, 5, 6, v);
	r += kf_sum7(1, 2, 3, 4, 5, sub8(v, v, v, v, v, v, v, v), r);
	return r;
}
