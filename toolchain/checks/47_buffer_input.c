/* 47_buffer_input.c: a 64-byte input buffer (a global, reached through an opaque pointer); bytes become narrow stack args. */
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

/* the 64-byte input (buf[i] = (37 * i + 11) & 0xff, the README's convention) in .data,
 * where the optimiser cannot fold it; the verifier sees a map value */
unsigned char check_buf[64] = {
	11, 48, 85, 122, 159, 196, 233, 14, 51, 88, 125, 162, 199, 236, 17, 54,
	91, 128, 165, 202, 239, 20, 57, 94, 131, 168, 205, 242, 23, 60, 97, 134,
	171, 208, 245, 26, 63, 100, 137, 174, 211, 248, 29, 66, 103, 140, 177, 214,
	251, 32, 69, 106, 143, 180, 217, 254, 35, 72, 109, 146, 183, 220, 1, 38,
};

SEC("tc") long check_main(void)
{
	const unsigned char *buf = check_buf;
	long r = 0;

	OPAQUE(buf);
	for (int i = 0; i < 48; i += 8)
		r = r * 7 + bytes8(buf[i], (signed char)buf[i + 1], buf[i + 2], (signed char)buf[i + 3],
				   (short)(buf[i + 4] << 8 | buf[i + 5]), (signed char)buf[i + 6],
				   buf[i + 7], (short)-buf[i]);
	return r;
}
