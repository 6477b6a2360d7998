/* 03_args8_u64.c: 8 unsigned long args (3 slots) with values above 2^63 and 2^32. */
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

NOINLINE u64 mix8(u64 a, u64 b, u64 c, u64 d, u64 e, u64 f, u64 g, u64 h)
{
	u64 r = 0;

	r = r * 31 + a; r = r * 31 + b; r = r * 31 + c; r = r * 31 + d;
	r = r * 31 + e; r = r * 31 + f; r = r * 31 + g; r = r * 31 + h;
	return r;
}

SEC("tc") long check_main(void)
{
	u64 big = 0xfedcba9876543210UL, small = 0x100000001UL;

	OPAQUE(big);
	OPAQUE(small);
	return (long)mix8(big, small, big >> 7, small << 3, 1, big ^ small, big + 1, small - 2);
}
