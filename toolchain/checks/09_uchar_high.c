/* 09_uchar_high.c: unsigned char args >= 128 in stack slots (caller zero-extends). */
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

NOINLINE long uc7(unsigned char a, unsigned char b, unsigned char c, unsigned char d,
		  unsigned char e, unsigned char f, unsigned char g)
{
	return (long)a + ((long)b << 8) + ((long)c << 16) + ((long)d << 24) + ((long)e << 32)
	       + ((long)f << 40) + ((long)g << 48);
}

SEC("tc") long check_main(void)
{
	long v = 0x1ff;

	OPAQUE(v);
	return uc7((unsigned char)v, 0x80, 1, 2, 3, (unsigned char)(v - 1), (unsigned char)(v + 0x7f))
	       ^ uc7(4, (unsigned char)(v + 3), (unsigned char)v, (unsigned char)(v >> 1), (unsigned char)v,
		     (unsigned char)(v + 0x55), (unsigned char)(v - 0x100));
}
