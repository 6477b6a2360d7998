/* 08_schar_neg.c: signed char args in stack slots with negative values (caller sign-extends). */
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

NOINLINE long sc8(signed char a, signed char b, signed char c, signed char d, signed char e,
		  signed char f, signed char g, signed char h)
{
	/* (long) of each stack argument uses the whole slot the caller extended */
	return (long)a + (long)b * 3 + (long)c * 5 + (long)d * 7 + (long)e * 11 + (long)f * 13
	       + (long)g * 17 + (long)h * 19;
}

SEC("tc") long check_main(void)
{
	long v = -100;

	OPAQUE(v);
	return sc8((signed char)v, 1, (signed char)(v + 1), 2, 3, (signed char)v, (signed char)(v - 28),
		   (signed char)(-v))
	       + 1000 * sc8(3, (signed char)(v + 50), 4, (signed char)v, (signed char)(v * 2),
			    (signed char)(v + 99), 5, (signed char)(v + 27));
}
