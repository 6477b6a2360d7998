// intent: reject
// expect: R1 tried to subtract pointer from scalar

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 1
	r1 -= r10
	r0 = 0
	exit
