// intent: reject
// expect: unknown opcode ff

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	.quad 0xff
	exit
