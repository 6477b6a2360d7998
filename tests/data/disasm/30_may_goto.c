// flags: -mcpu=v4
/* may_goto (BPF_JMP | BPF_JCOND) and gotol via inline asm, with labels. */
int may(int n)
{
	int r = 0;
	asm volatile(
		"1: may_goto 2f;"
		"%0 += 1;"
		"if %0 s< %1 goto 1b;"
		"2: gotol 3f;"
		"%0 += 100;"
		"3:"
		: "+r"(r) : "r"(n));
	return r;
}
