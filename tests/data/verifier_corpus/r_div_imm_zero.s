// intent: reject
// expect: div by zero
// about: r0 /= 0 with an immediate zero

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r0 = 1
	.quad 0x0000000000000037
	exit
