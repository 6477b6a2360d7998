/* Logical and arithmetic shifts by immediates and registers, 32 and 64 bit. */
long shifts(long a, unsigned long b, int c, unsigned int d)
{
	long r = a >> 5;
	r += (long)(b >> 17);
	r += a << (b & 63);
	r += (long)(b >> (a & 63));
	r += (long)(c >> 3) + (long)(d >> 9) + (long)(c << d) + (long)(d >> c);
	return r + (a >> (b & 63));
}
