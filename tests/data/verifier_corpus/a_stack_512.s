// intent: accept
// retval: 0
// about: lowest stack slot

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 512) = 0
	r0 = 0
	exit
