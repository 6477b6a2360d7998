// intent: accept
// retval: 5

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u32 *)(r10 - 4) = 5
	r0 = *(u32 *)(r10 - 4)
	exit
