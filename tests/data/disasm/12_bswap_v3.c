/* Byte swaps on cpu v3: be16/be32/be64 (BPF_END | BPF_TO_BE on little-endian). */
unsigned long swaps(unsigned short a, unsigned int b, unsigned long c)
{
	return __builtin_bswap16(a) + __builtin_bswap32(b) + __builtin_bswap64(c);
}
