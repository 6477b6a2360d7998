/* 11_ushort.c: unsigned short args >= 32768 in stack slots. */
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

NOINLINE u64 us8(unsigned short a, unsigned short b, unsigned short c, unsigned short d,
		 unsigned short e, unsigned short f, unsigned short g, unsigned short h)
{
	return ((u64)a << 48) ^ ((u64)b << 32) ^ ((u64)c << 16) ^ d ^ ((u64)e << 40) ^ ((u64)f << 24)
	       ^ ((u64)g << 8) ^ ((u64)h << 56);
}

SEC("tc") long check_main(void)
{
	long v = 0xffff;

	OPAQUE(v);
	return (long)(us8(1, 2, 3, 4, 5, (unsigned short)v, (unsigned short)(v - 0x7ffe),
			  (unsigned short)0x8001)
		      + us8((unsigned short)v, (unsigned short)(v >> 1), (unsigned short)(v - 1), (unsigned short)v,
			    (unsigned short)(v + 1), 7, (unsigned short)(v << 3), (unsigned short)(v ^ 0x1234)));
}
