/* 64-bit arithmetic: add/sub/mul/div/mod/or/and/xor, immediates of every size. */
long alu64(long a, long b, unsigned long c)
{
	long x = a + b * 7 - (long)(c / 3);
	x ^= c | 0x1234;
	x &= ~0xff0000L;
	x += (long)(c % 10);
	x -= 0x7fffffff;
	x *= -3;
	return x + (long)(c / (unsigned long)b) + (long)(c % (unsigned long)a);
}
