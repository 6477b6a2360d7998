// flags: -mcpu=v4
/* Signed division and modulo (off = 1), 64- and 32-bit, register and immediate. */
long sdiv(long a, long b, int c, int d)
{
	long r = a / b + a % b;
	r += a / 7 + a % -9;
	int w = c / d + c % d + c / 3 + c % 5;
	return r + w;
}
