/* 39_kfunc9_narrow.c: an extern kfunc with 9 narrow/signed parameters (char, short, int, unsigned, _Bool). */
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
extern long kf_narrow9(signed char a, short b, int c, unsigned d, _Bool e, signed char f,
		       short g, int h, unsigned char i) KFUNC;
#else
long kf_narrow9(signed char a, short b, int c, unsigned d, _Bool e, signed char f, short g, int h,
		unsigned char i)
{
	return 1L * a + 2L * b + 3L * c + 4L * d + 5L * e + 6L * f + 7L * g + 8L * h + 9L * i;
}
#endif

SEC("tc") long check_main(void)
{
	long v = -7;

	OPAQUE(v);
	return kf_narrow9((signed char)v, (short)(v * 1000), (int)v * 100000, (unsigned)v, v < 0,
			  (signed char)(v * 18), (short)(v * 4000), (int)(v - 2000000000),
			  (unsigned char)v);
}
