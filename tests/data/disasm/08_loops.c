/* Bounded loops with backward branches (not unrolled: the trip count is variable). */
long loops(long *p, unsigned int n)
{
	long s = 0;
	if (n > 64)
		n = 64;
#pragma clang loop unroll(disable)
	for (unsigned int i = 0; i < n; i++)
		s += p[i] * (long)i;
	unsigned int j = n;
#pragma clang loop unroll(disable)
	while (j > 3) {
		s ^= j;
		j -= 3;
	}
	return s;
}
