// flags: -mcpu=v4
/* Immediate stores (BPF_ST) of every width, positive and negative. */
void st_imm(unsigned char *b, short *h, int *w, long *d)
{
	b[1] = 0x7f;
	h[2] = -300;
	w[3] = 0x12345678;
	d[4] = -1;
	d[5] = 0x7fffffff;
}
