/* Negation: BPF_NEG in both widths. */
long neg(long a, int b)
{
	long r = -a;
	int w = -b;
	return r * 5 + w + -(a ^ b);
}
