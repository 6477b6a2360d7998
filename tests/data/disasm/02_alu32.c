/* 32-bit arithmetic in w-registers (ALU32 is on from -mcpu=v3, the default). */
unsigned int alu32(unsigned int a, unsigned int b, int c)
{
	unsigned int x = a * 13 + b;
	x ^= (unsigned int)c << 3;
	x |= 0x80000000u;
	x &= b - 1;
	x /= (a | 1);
	x %= 1000;
	return x - (unsigned int)c + (unsigned int)-c;
}
