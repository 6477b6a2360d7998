/* 07_args12.c: 12 args: the maximum, all 7 stack slots. */
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

NOINLINE u64 h12(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f, u64 g, u64 h, u64 i, u64 j, u64 k,
		 u64 l)
{
	u64 r = 17;

	r = r * 131 + a; r = r * 131 + b; r = r * 131 + c; r = r * 131 + d;
	r = r * 131 + e; r = r * 131 + f; r = r * 131 + g; r = r * 131 + h;
	r = r * 131 + i; r = r * 131 + j; r = r * 131 + k; r = r * 131 + l;
	return r;
}

SEC("tc") long check_main(void)
{
	u64 v = 2;

	OPAQUE(v);
	return (long)(h12(v, v + 1, v + 2, v + 3, v + 4, v + 5, v + 6, v + 7, v + 8, v + 9, v + 10, v + 11)
		      ^ h12(12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, v));
}
