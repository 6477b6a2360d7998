/* Unsigned 64-bit compares, equality and inequality. */
unsigned long ucmp(unsigned long a, unsigned long b, unsigned long c)
{
	unsigned long r = 0;
	if (a > 5) r += 1;
	if (a >= b) r += 2;
	if (b < 77) r += 4;
	if (c <= a) r += 8;
	if (c == 0x12345678) r += 16;
	if (b != c) r += 32;
	return r;
}
