// intent: accept
// retval: 11

	.section socket,"ax",@progbits
	.globl prog
	.type prog,@function
prog:
	*(u64 *)(r10 - 8) = 5
	r1 = 9
	r1 = xchg_64(r10 - 8, r1)
	r0 = 9
	r2 = 11
	r0 = cmpxchg_64(r10 - 8, r0, r2)
	r0 = *(u64 *)(r10 - 8)
	exit
