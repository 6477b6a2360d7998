/* 22_mixed12.c: 12 args of every scalar kind: char, short, int, long, unsigned, _Bool, enum, pointer. */
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

enum lvl { LOW = -1, HIGH = 7 };

NOINLINE long mix12(signed char a, unsigned char b, short c, unsigned short d, int e, unsigned f,
		    long g, u64 h, _Bool i, enum lvl j, const long *k, signed char l)
{
	u64 r = 0;

	r = r * 37 + (u64)(long)a; r = r * 37 + b; r = r * 37 + (u64)(long)c; r = r * 37 + d;
	r = r * 37 + (u64)(long)e; r = r * 37 + f; r = r * 37 + (u64)g; r = r * 37 + h;
	r = r * 37 + i; r = r * 37 + (u64)(long)j; r = r * 37 + (u64)*k; r = r * 37 + (u64)(long)l;
	return (long)r;
}

SEC("tc") long check_main(void)
{
	long v = -2, cell = 4242;

	OPAQUE(v);
	return mix12((signed char)v, (unsigned char)v, (short)(v * 300), (unsigned short)v, (int)v * 7,
		     (unsigned)v, v * 1000000007L, (u64)v, v < 0, v < 0 ? LOW : HIGH, &cell,
		     (signed char)(v * 60));
}
