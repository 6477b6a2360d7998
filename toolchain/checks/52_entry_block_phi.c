/* 52_entry_block_phi.c: a stack-arg callee whose entry block is a phi predecessor, and a plain
 * int argument truncated from a long (any-extend: passed as the long, callee uses the low half). */
#ifdef __bpf__
#define SEC(name) __attribute__((section(name), used))
#else
#define SEC(name)
#endif
#define NOINLINE static __attribute__((noinline))
#define OPAQUE(x) __asm__ volatile("" : "+r"(x))

NOINLINE long first_if(long a, long b, long c, long d, long e, const unsigned char *p, int n)
{
	long r = a + b + c + d + e;

	if (n > 0)      /* the join block's phi names the entry block */
		r += p[0] * n;
	return r;
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
	long k = 0x100000003L;  /* (int)k == 3: the upper half must not matter */

	OPAQUE(buf);
	OPAQUE(k);
	return first_if(1, 2, 3, 4, 5, buf + 1, (int)k) * 1000 + first_if(1, 1, 1, 1, 1, buf, (int)-k);
}
