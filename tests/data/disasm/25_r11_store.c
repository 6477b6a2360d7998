/* Stack-argument stores through r11 (STX | MEM | DW, dst = 11) via inline asm. */
void r11_store(long a, long b)
{
	asm volatile("*(u64 *)(r11 - 8) = %0" :: "r"(a) : "memory");
	asm volatile("*(u64 *)(r11 - 16) = %0" :: "r"(b) : "memory");
	asm volatile("*(u64 *)(r11 - 56) = r1" ::: "memory");
}
