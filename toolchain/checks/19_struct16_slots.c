/* 19_struct16_slots.c: 16-byte structs passed by value in stack slots. */
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

struct pair { long lo; long hi; };

NOINLINE long sp8(long a, long b, long c, long d, long e, struct pair p, long f, struct pair q)
{
	return a + b + c + d + e + p.lo * 3 - p.hi * 5 + f * 7 + q.lo * 11 - q.hi * 13;
}

SEC("tc") long check_main(void)
{
	long v = 21;

	OPAQUE(v);
	struct pair p = { v, v * 2 }, q = { -v, 1000 };
	return sp8(1, 2, 3, 4, 5, p, 6, q) + sp8(v, -v, v * 3, v + 1, v - 1, q, v * 9, p);
}
