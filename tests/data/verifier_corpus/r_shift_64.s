// intent: reject
// expect: invalid shift 64

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 1
	r0 <<= 64
	exit
