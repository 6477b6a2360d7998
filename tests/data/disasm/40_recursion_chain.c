/* A chain of static subprograms with different argument counts (up to 5 in registers). */
static __attribute__((noinline)) long f5(long a, long b, long c, long d, long e)
{
	return a * b + c * d + e;
}

static __attribute__((noinline)) long f3(long a, long b, long c)
{
	return f5(a, b, c, a ^ b, b ^ c) + 1;
}

static __attribute__((noinline)) long f1(long a)
{
	return f3(a, a + 1, a + 2) * 2;
}

long chain(long x)
{
	return f1(x) + f3(x, 1, 2) + f5(1, 2, 3, 4, x);
}
