// flags: -mcpu=v1
/* cpu v1: no ALU32, no JMP32; 32-bit values are zero-extended with shifts. */
int v1(int a, unsigned int b, long c)
{
	if ((unsigned int)a < b)
		return a * 3 + (int)(c >> 7);
	if (a > 100)
		return (int)(b / 7);
	return (int)(c & 0xffff) - a;
}
