/* Several program sections and global subprograms calling each other. */
__attribute__((noinline)) int helper_global(int x)
{
	return x * x + 1;
}

__attribute__((section("tc"))) int prog_tc(int *ctx)
{
	return helper_global(ctx[0]) > 10 ? 1 : 2;
}

__attribute__((section("xdp"))) int prog_xdp(int *ctx)
{
	int s = 0;
	for (int i = 0; i < 4; i++)
		s += helper_global(ctx[i]);
	return s & 3;
}
