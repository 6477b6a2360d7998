/* 49_big_struct_ptr.c: a 40-byte struct passed by pointer in a stack slot (structs > 16 bytes go by reference). */
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

struct big { long a, b, c, d, e; };

NOINLINE long bs7(long x1, long x2, long x3, long x4, long x5, long x6, struct big *p)
{
	p->e = p->a + p->b * x6;
	return x1 + x2 + x3 + x4 + x5 + p->c * p->d + p->e;
}

SEC("tc") long check_main(void)
{
	long v = 3;

	OPAQUE(v);
	struct big s = { v, 2 * v, 3 * v, 4 * v, 0 };
	long r = bs7(1, 2, 3, 4, 5, v * 10, &s);
	struct big t = { 1, 1, v, v, 0 };
	long r2 = bs7(v, v, v, v, v, 2, &t);
	return r * 1000 + s.e + r2 * 7 + t.e;
}
