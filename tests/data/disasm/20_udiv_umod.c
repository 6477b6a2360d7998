/* Unsigned division and modulo, 64- and 32-bit. */
unsigned long udiv(unsigned long a, unsigned long b, unsigned int c, unsigned int d)
{
	unsigned long r = a / b + a % b + a / 1000 + a % 17;
	unsigned int w = c / d + c % d + c / 3 + c % 5;
	return r + w;
}
