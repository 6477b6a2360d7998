// flags: -mcpu=v4
/* Sign-extending register moves (BPF_MOV with off 8/16/32), 64- and 32-bit. */
long movsx(long a, int b, long c)
{
	long r = (signed char)a;
	r += (short)a;
	r += (int)c;
	int w = (signed char)b;
	w += (short)b;
	return r * w;
}
