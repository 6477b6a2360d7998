/* Bit-test jumps (JSET): LLVM never selects them from C, so they come from inline asm,
 * against an immediate and a register, 64- and 32-bit. */
long jset(unsigned long flags, unsigned long mask)
{
	long r = 0;
	asm volatile(
		"if %1 & 0x4 goto 1f;"
		"%0 += 1;"
		"1: if %1 & %2 goto 2f;"
		"%0 += 2;"
		"2: if w1 & 0x80 goto 3f;"
		"%0 += 4;"
		"3: if w1 & w2 goto 4f;"
		"%0 += 8;"
		"4:"
		: "+r"(r) : "r"(flags), "r"(mask));
	return r;
}
