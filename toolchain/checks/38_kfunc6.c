/* 38_kfunc6.c: an extern kfunc with 6 long parameters (native stub under #ifndef __bpf__). */
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

/* kfunc stub convention (all kfunc files): return sum of (i + 1) * arg_i over the parameters,
 * pointers dereferenced as long, a 16-byte value counted as lo + 3 * hi (halves swapped must show). */
#ifdef __bpf__
/* the kernel lets only GPL-compatible programs call kfuncs */
char LICENSE[] SEC("license") = "GPL";
extern long kf_sum6(long a, long b, long c, long d, long e, long f) KFUNC;
#else
long kf_sum6(long a, long b, long c, long d, long e, long f)
{
	return 1L * a + 2L * b + 3L * c + 4L * d + 5L * e + 6L * f;
}
#endif

SEC("tc") long check_main(void)
{
	long v = 11;

	OPAQUE(v);
	return kf_sum6(v, 2, 3, 4, 5, v * 7) * 3 + kf_sum6(0, 0, 0, 0, 0, -v);
}
