/* 21_struct8.c: 8-byte structs by value in stack slots (one slot each). */
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

struct s8 { int x; short y; signed char z; unsigned char w; };

NOINLINE long st7(long a, long b, long c, long d, long e, struct s8 p, struct s8 q)
{
	return a + b + c + d + e + p.x * 2 + p.y * 3 + p.z * 5 + p.w * 7 + q.x * 11 + q.y * 13
	       + q.z * 17 + q.w * 19;
}

SEC("tc") long check_main(void)
{
	long v = -9;

	OPAQUE(v);
	struct s8 p = { (int)v, (short)(v * 3), (signed char)v, 200 };
	struct s8 q = { 123456, -2, 100, (unsigned char)v };
	return st7(1, 2, 3, 4, 5, p, q) + st7(v, v, -v, v * 2, v + 4, q, p) * 5;
}
