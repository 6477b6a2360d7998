// intent: accept
// retval: 0
// about: root may read the stack at a bounded variable offset

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 8) = 0
	*(u64 *)(r10 - 16) = 0
	call 7
	r0 &= 7
	r1 = r10
	r1 += -16
	r1 += r0
	r0 = *(u8 *)(r1 + 0)
	exit
