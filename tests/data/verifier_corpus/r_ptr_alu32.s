// intent: reject
// expect: 32-bit pointer arithmetic prohibited

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = r10
	w1 += 1
	r0 = 0
	exit
