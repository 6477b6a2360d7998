/* Stack-argument loads through r11 (LDX | MEM | DW, src = 11) via inline asm. */
long r11_load(void)
{
	long a, b;
	asm volatile("%0 = *(u64 *)(r11 + 8)" : "=r"(a));
	asm volatile("%0 = *(u64 *)(r11 + 16)" : "=r"(b));
	asm volatile("r1 = *(u64 *)(r11 + 0x38)" ::: "r1");
	return a + b;
}
