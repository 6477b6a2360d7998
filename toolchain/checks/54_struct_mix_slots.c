/* 54_struct_mix_slots.c: structs of 4/8/12/16 bytes mixed with constant and live longs, several in stack slots; one struct and one long constant, one struct unused (DAE). */
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

struct s4 { int a; };
struct s8 { short a; signed char b; int c; };
struct s12 { int a; int b; int c; };
struct s16 { int a; long b; };

NOINLINE long g(struct s4 p, long c1, struct s16 q, struct s12 r, long live, struct s8 s,
		struct s16 unused, struct s12 t)
{
	(void)unused;
	return p.a + c1 * 3 + q.a * 5 + q.b * 7 + r.a * 11 + r.b * 13 + r.c * 17 + live * 19
	       + s.a * 23 + s.b * 29 + (long)s.c * 31 + t.a * 37 + t.b * 41 + t.c * 43;
}

NOINLINE long h(long c1, struct s12 k, long c2, struct s4 z, long live, struct s16 w, struct s8 e)
{
	return c1 + k.a * 2 + k.b * 3 + k.c * 4 + c2 * 5 + z.a * 6 + live * 7 + w.a * 8 + w.b * 9
	       + e.a * 10 + e.b * 11 + (long)e.c * 12;
}

SEC("tc") long check_main(void)
{
	long v = -7, acc = 0;

	OPAQUE(v);
	for (int k = 0; k < 2; k++) {
		struct s4 p = { (int)v * 9 + k };
		struct s16 q = { (int)v, v * 123456789 };
		struct s12 r = { 1, 2, 3 };              /* constant at every call */
		struct s8 s = { (short)(v * 300), (signed char)(v * 20), (int)v << 20 };
		struct s16 u = { (int)v, v };
		struct s12 t = { (int)v + k, (int)v * k, -(int)v };

		OPAQUE(v);
		acc += g(p, 4, q, r, v + k, s, u, t);
		acc += h(100, t, -3, p, v * k, q, s) * 3;
	}
	return acc;
}
