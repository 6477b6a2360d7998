// flags: -mcpu=v4
/* Byte swaps on cpu v4: unconditional bswap16/32/64 (BPF_ALU64 | BPF_END). */
unsigned long swaps4(unsigned short a, unsigned int b, unsigned long c)
{
	return __builtin_bswap16(a) + __builtin_bswap32(b) + __builtin_bswap64(c);
}
