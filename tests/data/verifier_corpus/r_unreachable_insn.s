// intent: reject
// expect: unreachable insn 2

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 0
	exit
	r0 = 1
	exit
