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

SEC("tc") long check_main(const unsigned char *buf)
{
	long k = 0x100000003L;  /* (int)k == 3: the upper half must not matter */

	OPAQUE(k);
	return first_if(1, 2, 3, 4, 5, buf + 1, (int)k) * 1000 + first_if(1, 1, 1, 1, 1, buf, (int)-k);
}
