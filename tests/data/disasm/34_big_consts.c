/* 64-bit constants (LD_IMM64 with both halves), negative and boundary immediates. */
unsigned long consts(unsigned long a)
{
	a += 0xdeadbeefcafebabeULL;
	a ^= 0x8000000000000000ULL;
	a -= 0xffffffffULL;
	a |= 0x100000000ULL;
	a *= 0x7fffffffffffffffULL;
	return a + (unsigned long)-0x80000000LL;
}
