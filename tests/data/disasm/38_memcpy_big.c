/* Larger memcpy/memset expansions with DW/W/H/B moves and unaligned tails. */
struct big { char data[61]; };

void big_copy(struct big *dst, const struct big *src, int n)
{
	__builtin_memcpy(dst, src, sizeof(*dst));
	if (n)
		__builtin_memset(dst->data + 3, n, 29);
}
