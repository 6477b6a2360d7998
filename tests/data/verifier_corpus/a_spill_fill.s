// intent: accept
// retval: 7

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	r1 = 7
	*(u64 *)(r10 - 8) = r1
	r0 = *(u64 *)(r10 - 8)
	exit
