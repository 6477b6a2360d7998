// flags: -mcpu=v4
/* Sign-extending loads (BPF_MEMSX): s8, s16, s32. */
long ldsx(signed char *b, short *h, int *w)
{
	long r = b[3];
	r += h[-2];
	r += w[5];
	r *= b[0];
	return r;
}
