/* BPF-to-BPF calls to static noinline functions (src = 1 pseudo calls with relocations). */
static __attribute__((noinline)) long add3(long a, long b, long c)
{
	return a + b + c;
}

static __attribute__((noinline)) int twice(int x)
{
	return x * 2;
}

long calls(long a, long b)
{
	long r = add3(a, b, 1);
	r += twice((int)r);
	return r + add3(r, a, b);
}
