/* 53_struct_mix_const.c: 8-, 12-, 4- and 16-byte structs by value after two constant ints: IPSCCP drops the ints, the structs travel as i64 / [2 x i64] pieces (BTF must count the same slots). */
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
struct s8 { int a, b; };
struct s12 { int a, b, c; };
struct s16 { long a, b; };

NOINLINE long f(int a, int b, struct s8 x, struct s12 y, struct s4 z, struct s16 w)
{
	return a * 3 + b + x.a - x.b * 2 + y.a * 5 + y.b * 7 + y.c * 11 + z.a * 13 + w.a * 17 - w.b * 19;
}

SEC("tc") long check_main(void)
{
	long v = 5, r = 0;

	OPAQUE(v);
	for (int k = 0; k < 3; k++) {
		struct s8 x = { (int)v + k, (int)v * 3 };
		struct s12 y = { (int)v - 100, k, (int)(v << 4) };
		struct s4 z = { (int)v ^ k };
		struct s16 w = { v * 1000 + k, -v * 77777 };

		OPAQUE(v);
		/* a and b are the same constants at every call */
		r += f(10, -20, x, y, z, w);
	}
	return r;
}
