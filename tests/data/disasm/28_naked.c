/* A naked function: the body is hand-written BPF, r11 forms and a call included. */
__attribute__((naked)) void naked(void)
{
	asm volatile(
		"r6 = *(u64 *)(r11 + 8);"
		"r1 = 1;"
		"*(u64 *)(r11 - 8) = r6;"
		"*(u64 *)(r11 - 16) = r1;"
		"call 1;"
		"r0 = 0;"
		"exit;"
		::: "memory");
}
