// intent: accept
// retval: 1
// map: h hash 4 8 16

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u32 *)(r10 - 4) = 0
	r2 = r10
	r2 += -4
	r1 = h ll
	call 3
	r0 = 1
	exit
