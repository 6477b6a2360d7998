/* 47_buffer_input.c: entry takes a pointer to a 64-byte input buffer; bytes become narrow stack args. */
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

NOINLINE long bytes8(unsigned char a, signed char b, unsigned char c, signed char d, short e,
		     signed char f, unsigned char g, short h)
{
	return a + b * 2 + c * 3 + d * 4 + e * 5 + f * 6 + g * 7 + h * 8;
}

SEC("tc") long check_main(const unsigned char *buf)
{
	long r = 0;

	for (int i = 0; i < 48; i += 8)
		r = r * 7 + bytes8(buf[i], (signed char)buf[i + 1], buf[i + 2], (signed char)buf[i + 3],
				   (short)(buf[i + 4] << 8 | buf[i + 5]), (signed char)buf[i + 6],
				   buf[i + 7], (short)-buf[i]);
	return r;
}
