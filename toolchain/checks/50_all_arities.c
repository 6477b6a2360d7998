/* 50_all_arities.c: one caller calling callees of every arity 6..12 in sequence (slot counts 1..7). */
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

NOINLINE long f6(long a, long b, long c, long d, long e, long f)
{ return a + b + c + d + e + f * 6; }
NOINLINE long f7(long a, long b, long c, long d, long e, long f, long g)
{ return f6(a, b, c, d, e, f) + g * 7; }
NOINLINE long f8(long a, long b, long c, long d, long e, long f, long g, long h)
{ return a + b + c + d + e + f + g + h * 8; }
NOINLINE long f9(long a, long b, long c, long d, long e, long f, long g, long h, long i)
{ return a + b + c + d + e + f + g + h + i * 9; }
NOINLINE long f10(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j)
{ return a + b + c + d + e + f + g + h + i + j * 10; }
NOINLINE long f11(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j,
		  long k)
{ return a + b + c + d + e + f + g + h + i + j + k * 11; }
NOINLINE long f12(long a, long b, long c, long d, long e, long f, long g, long h, long i, long j,
		  long k, long l)
{ return a + b + c + d + e + f + g + h + i + j + k + l * 12; }

SEC("tc") long check_main(void)
{
	long v = 1, r = 0;

	OPAQUE(v);
	r += f12(v, v, v, v, v, v, v, v, v, v, v, v + 1);
	r = r * 3 + f6(v, v, v, v, v, r);
	r = r * 3 + f11(v, v, v, v, v, v, v, v, v, v, r);
	r = r * 3 + f7(v, v, v, v, v, v, r);
	r = r * 3 + f10(v, v, v, v, v, v, v, v, v, r);
	r = r * 3 + f8(v, v, v, v, v, v, v, r);
	r = r * 3 + f9(v, v, v, v, v, v, v, v, r);
	return r;
}
