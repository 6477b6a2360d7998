/* Conditional selects and min/max patterns. */
long sel(long a, long b, unsigned long c, unsigned long d)
{
	long m = a < b ? a : b;
	long n = a > b ? a : b;
	unsigned long u = c < d ? d : c;
	return m * 3 + n + (long)u + (a == 0 ? 17 : -17);
}
