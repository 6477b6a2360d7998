/* Stack arrays, memset/memcpy expansion, r10-relative stores of registers and immediates. */
struct pt { long x, y; int z; short s; char c; };

long stack(long a, struct pt *out)
{
	struct pt p;
	char buf[40];
	__builtin_memset(buf, 0, sizeof(buf));
	buf[a & 31] = 7;
	p.x = a;
	p.y = buf[3] + 1;
	p.z = 5;
	p.s = -2;
	p.c = 'q';
	__builtin_memcpy(out, &p, sizeof(p));
	return p.x + p.y + buf[(a + 1) & 31];
}
