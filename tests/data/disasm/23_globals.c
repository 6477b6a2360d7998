/* Globals in .data/.bss/.rodata: LD_IMM64 with relocations (r = 0x0 ll in the object). */
long counter;
int table[4] = {1, 2, 3, 4};
const char msg[] = "hello";
static volatile long hidden = 42;

long globals(int i)
{
	counter += table[i & 3];
	hidden++;
	return counter + msg[i & 3] + hidden + 0x123456789abcdefLL;
}
