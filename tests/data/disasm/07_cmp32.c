/* 32-bit compares (JMP32, w-registers), signed and unsigned, against immediates and regs. */
int cmp32(int a, int b, unsigned int c, unsigned int d)
{
	int r = 0;
	if (a > 5) r += 1;
	if (a <= b) r += 2;
	if (c < 9) r += 4;
	if (c >= d) r += 8;
	if (a == -1) r += 16;
	if (d != 0xfffffffe) r += 32;
	if (b < a) r += 64;
	return r;
}
