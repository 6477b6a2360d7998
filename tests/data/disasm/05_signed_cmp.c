/* Signed 64-bit compares against immediates and registers (s>, s>=, s<, s<=). */
long scmp(long a, long b, long c)
{
	long r = 0;
	if (a > 5) r += 1;
	if (a >= b) r += 2;
	if (b < -7) r += 4;
	if (c <= a) r += 8;
	if (c > b) r += 16;
	if (a < -2147483648L + 1) r += 32;
	return r;
}
