// flags: -mcpu=v2
/* cpu v2: extended jumps (JLT/JLE...) but still no ALU32 / JMP32. */
long v2(unsigned long a, unsigned long b, int c)
{
	long r = 0;
	if (a < b) r += 1;
	if (a <= 9) r += 2;
	if (c < 0) r += 4;
	return r + (c >> 2);
}
