/* 13_uint.c: unsigned int args with the top bit set in stack slots. */
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

NOINLINE u64 u7(unsigned a, unsigned b, unsigned c, unsigned d, unsigned e, unsigned f, unsigned g)
{
	return (u64)a + (u64)b + (u64)c + (u64)d + (u64)e + ((u64)f << 1) + ((u64)g << 2);
}

SEC("tc") long check_main(void)
{
	long v = 0xfffffff0L;

	OPAQUE(v);
	return (long)(u7(1, 2, 3, 4, 5, (unsigned)v, (unsigned)(v + 0x20))
		      + u7((unsigned)v, (unsigned)(v >> 4), (unsigned)(v * 3), (unsigned)(v + 1),
			   (unsigned)(v << 1), 9, (unsigned)(v - 1)));
}
