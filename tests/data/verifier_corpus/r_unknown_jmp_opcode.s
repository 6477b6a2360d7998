// intent: reject
// expect: unknown opcode f5

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	.quad 0x00000000000000f5
	exit
