/* Bitfield reads and writes: masks, shifts, byte and halfword stores. */
struct bf {
	unsigned int a : 3;
	unsigned int b : 7;
	int c : 5;
	unsigned int d : 17;
	unsigned char e;
	unsigned short f : 9;
};

int bitfields(struct bf *s, int v)
{
	s->a = v;
	s->b += 3;
	s->c = -v;
	s->d ^= s->a;
	s->e = (unsigned char)(s->f + s->c);
	s->f = v >> 2;
	return s->a + s->b + s->c + s->d;
}
