// intent: reject
// expect: R11 is invalid
// about: *(u64 *)(r11 - 8) = r1: the stack-argument store is not known to this kernel

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	.quad 0x00000000fff81b7b
	r0 = 0
	exit
