// intent: reject
// expect: jump out of range from insn 1 to 7

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	goto +5
	exit
