/* 46_globals.c: global variables in .data/.bss/.rodata read and written by a many-argument callee. */
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

long g_in[4] = { 3, -4, 5, 1000 };
long g_out;
const long g_table[8] = { 11, 22, 33, 44, 55, 66, 77, 88 };

NOINLINE long gv7(long a, long b, long c, long d, long e, long f, long g)
{
	g_out += a * g - f;
	return g_table[(b + c + d + e) & 7] + g;
}

SEC("tc") long check_main(void)
{
	long r = 0;

	g_out = 0;      /* deterministic even if the entry runs twice */
	for (int i = 0; i < 4; i++)
		r += gv7(g_in[i], i, g_in[3 - i], 2, i * i, g_in[(i + 1) & 3], g_in[(i + 2) & 3]);
	return r * 100000 + g_out;
}
