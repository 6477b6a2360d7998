// flags: -mcpu=v4
/* Stack-argument immediate stores through r11 (ST | MEM | DW, dst = 11). */
void r11_imm(void)
{
	asm volatile("*(u64 *)(r11 - 8) = 16" ::: "memory");
	asm volatile("*(u64 *)(r11 - 16) = 5" ::: "memory");
	asm volatile("*(u64 *)(r11 - 24) = -1" ::: "memory");
}
